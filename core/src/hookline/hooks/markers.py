"""The pluggy markers of hookline (its entry-point groups are in :mod:`hookline.entry_points`).

A hook class written for Kedro only needs its import line changed:
``from kedro.framework.hooks import hook_impl`` becomes ``from hookline import hook_impl``.
"""

from __future__ import annotations

import pluggy

#: The pluggy project name: every spec and implementation is registered under it.
HOOK_NAMESPACE = "hookline"

#: Marks a function in :mod:`hookline.hooks.specs` as a hook specification.
hook_spec = pluggy.HookspecMarker(HOOK_NAMESPACE)

#: Marks a method of a hook class as the implementation of the spec with the same name.
hook_impl = pluggy.HookimplMarker(HOOK_NAMESPACE)
