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

from hookline.config.loader import ConfigLoader
from hookline.config.runtime_params import parse_runtime_params

__all__ = ["ConfigLoader", "parse_runtime_params"]
