"""Configuration: the YAML files of ``conf/base``, then ``conf/local``, then ``conf/<env>``,
read, merged and interpolated as Kedro's OmegaConfigLoader does.

- :mod:`.loader`: :class:`ConfigLoader`, ``loader["catalog"]``;
- :mod:`.patterns`: which files make up a configuration;
- :mod:`.yaml_files`: reading one file;
- :mod:`.merging`: how environments combine (``soft``, ``destructive``);
- :mod:`.resolution`: ``${...}`` interpolations, with OmegaConf;
- :mod:`.runtime_params`: ``--params``;
- :mod:`.loader_args`: ``CONFIG_LOADER_ARGS`` in ``settings.py``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = ["ConfigLoader", "parse_runtime_params"]

# Imported on first use: hookline.project (and so the plugin API) imports loader_args from
# this package, and must not import YAML.
_EXPORTS = {
    "ConfigLoader": "hookline.config.loader",
    "parse_runtime_params": "hookline.config.runtime_params",
}

if TYPE_CHECKING:
    from hookline.config.loader import ConfigLoader
    from hookline.config.runtime_params import parse_runtime_params


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is used."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hookline.config' has no attribute '{name}'")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
