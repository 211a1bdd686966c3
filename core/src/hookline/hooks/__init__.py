"""Hook markers, specifications and the hook manager factory."""

from hookline.hooks.markers import hook_impl, hook_spec

__all__ = ["hook_impl", "hook_spec"]
