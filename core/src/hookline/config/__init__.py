"""Configuration: the YAML files of ``conf/base``, then ``conf/local``, then ``conf/<env>``,
read, merged and interpolated as Kedro's OmegaConfigLoader does.

- :mod:`.loader`: :class:`ConfigLoader`, ``loader["catalog"]``;
- :mod:`.patterns`: which files make up a configuration;
- :mod:`.yaml_files`: reading one file;
- :mod:`.merging`: how environments combine (``soft``, ``destructive``);
- :mod:`.resolution`: ``${...}`` interpolations, with OmegaConf;
- :mod:`.runtime_params`: ``--params``;
- :mod:`.loader_args`: ``CONFIG_LOADER_ARGS`` in ``settings.py``.

Where hookline differs from Kedro 1.7's OmegaConfigLoader, on purpose:

- environments: Kedro reads ``base`` then ``<env>`` or else ``local`` (which must exist);
  hookline reads ``base``, ``local`` when it exists, then ``<env>``;
- ``parameters`` merge softly across environments by default (Kedro: destructively);
  ``merge_strategy`` sets either;
- a name with no patterns of its own (``loader["mlflow"]``) reads ``mlflow*`` and ``mlflow*/**``
  (Kedro raises ``KeyError``), and a configuration no file supplies is ``{}`` (Kedro raises
  ``MissingConfigException``); so is Kedro 0.18's ``loader.get("spark*", "spark*/**")``;
- in one environment, two files never share a top-level key, in ``parameters`` too (Kedro lets
  two parameters files share one when their nested keys differ);
- ``${oc.env:...}`` in credentials resolves with the other interpolations of the environment
  (Kedro resolves it file by file first);
- ``globals``, ``runtime_params`` and custom resolvers belong to their loader (Kedro registers
  them with OmegaConf for the whole process, where a later loader cannot replace them); a
  resolver registered with OmegaConf directly works in both;
- ``conf_source`` is a local folder (not a URL or an archive), and results are cached.
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
