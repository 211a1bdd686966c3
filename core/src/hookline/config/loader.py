"""The config loader: ``loader["catalog"]`` reads, merges and resolves one configuration of a
project, as Kedro's OmegaConfigLoader does.

For each environment folder in turn (``conf/base``, then ``conf/local`` when it exists, then
``conf/<env>``) the files matching the configuration's patterns (:mod:`.patterns`) are read
(:mod:`.yaml_files`); a top-level key may be defined in one file of a folder only. For
``parameters`` the runtime parameters (``--params``) are laid over them, then their
interpolations are resolved (:mod:`.resolution`, with OmegaConf, imported only for a
configuration that holds one) and, except in ``parameters``, top-level keys starting with ``_``
(anchors, values to interpolate) are dropped. Each environment is then merged over the ones
before it (:mod:`.merging`).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from hookline.config.loader_args import (
    check_config_patterns,
    check_custom_resolvers,
    check_merge_strategy,
)
from hookline.config.merging import DEFAULT_MERGE_STRATEGY, merge
from hookline.config.patterns import (
    default_config_patterns,
    is_glob,
    matching_files,
    patterns_for,
)
from hookline.config.runtime_params import apply_runtime_params
from hookline.config.yaml_files import read_config_file
from hookline.errors import ConfigError, did_you_mean

__all__ = ["ConfigLoader"]

_PARAMETERS = "parameters"
_CREDENTIALS = "credentials"
_GLOBALS = "globals"


class _Loaded(NamedTuple):
    """One configuration, merged and resolved, and the file each top-level key came from."""

    config: dict[str, Any] | None
    origins: dict[str, Path]


class ConfigLoader:
    """Reads, merges and resolves the configuration of a project.

    Args:
        conf_source: the configuration folder (``conf``).
        env: an extra environment read last (``conf/<env>``); it must exist.
        runtime_params: ``{"a.b": value}`` overriding parameters last (``--params``).
        base_env: the environment read first (must exist).
        default_run_env: the environment read second, when its folder exists.
        config_patterns: glob patterns per configuration name, added to the defaults
            (:mod:`hookline.config.patterns`).
        custom_resolvers: ``{name: function}`` for ``${name:...}`` interpolations.
        merge_strategy: ``{name: "soft" | "destructive"}`` (:mod:`hookline.config.merging`).

    ``loader[name]`` is the merged configuration ``name`` (``{}`` when no file supplies it);
    ``loader.get(name, default)`` the same, or ``default``; ``loader.get("spark*",
    "spark*/**")`` reads the files matching those patterns, as Kedro 0.18's ConfigLoader did.
    Every mistake is a :class:`~hookline.errors.ConfigError` naming the file and the key, and
    no value ever appears in a message or a ``repr()``: credentials live in these files too.
    Results are cached; each call returns a fresh copy.
    """

    def __init__(
        self,
        conf_source: str | os.PathLike[str],
        env: str | None = None,
        runtime_params: Mapping[str, Any] | None = None,
        *,
        base_env: str = "base",
        default_run_env: str = "local",
        config_patterns: Mapping[str, Iterable[str]] | None = None,
        custom_resolvers: Mapping[str, Callable[..., Any]] | None = None,
        merge_strategy: Mapping[str, str] | None = None,
    ) -> None:
        self.conf_source = Path(conf_source)
        self.env = env
        self.runtime_params: dict[str, Any] = dict(runtime_params or {})
        self.base_env = base_env
        self.default_run_env = default_run_env
        #: Patterns per configuration name; a hook may add some (kedro-mlflow does).
        self.config_patterns: dict[str, list[str]] = default_config_patterns()
        self.config_patterns.update(check_config_patterns(config_patterns))
        self.custom_resolvers = check_custom_resolvers(custom_resolvers)
        self.merge_strategy = {**DEFAULT_MERGE_STRATEGY, **check_merge_strategy(merge_strategy)}
        self.layers: list[Path] = self._find_layers()
        self._cache: dict[tuple[str, tuple[str, ...]], _Loaded] = {}

    def _find_layers(self) -> list[Path]:
        source = self.conf_source
        if not source.is_dir():
            raise ConfigError(f"Configuration folder {source} does not exist")
        envs = sorted(p.name for p in source.iterdir() if p.is_dir() and p.name[0] != ".")
        known = ", ".join(envs) or "none"
        base = source / self.base_env
        if not base.is_dir():
            raise ConfigError(
                f"Configuration folder {base} does not exist (environments in {source}: {known})"
            )
        layers = [base]
        local = source / self.default_run_env
        if self.default_run_env != self.base_env and local.is_dir():
            layers.append(local)
        env = self.env
        if env and env not in (self.base_env, self.default_run_env):
            folder = source / env
            if not folder.is_dir():
                raise ConfigError(
                    f"Environment '{env}' does not exist: no folder {folder} "
                    f"(environments in {source}: {known}).{did_you_mean(env, envs)}"
                )
            layers.append(folder)
        return layers

    # -- reading -----------------------------------------------------------------------------

    def __getitem__(self, key: str) -> dict[str, Any]:
        """The merged configuration ``key``; ``{}`` when no file supplies it."""
        merged = self._load(key).config
        return {} if merged is None else copy.deepcopy(merged)

    def get(self, key: str, *more: Any) -> Any:
        """``get(name, default=None)``: the merged configuration ``name``, or ``default`` when
        no file supplies it.

        ``get("spark*", "spark*/**")``, Kedro 0.18's ConfigLoader form (the first argument is
        a glob pattern): the files of every environment matching any of the patterns, merged
        (``{}`` when none does).
        """
        if is_glob(key):
            patterns = [key, *more]
            merged = self._load_files(", ".join(patterns), patterns).config
            return {} if merged is None else copy.deepcopy(merged)
        if len(more) > 1:
            raise TypeError(f"get() takes a name and a default, not {1 + len(more)} arguments")
        merged = self._load(key).config
        if merged is None:
            return more[0] if more else None
        return copy.deepcopy(merged)

    def __contains__(self, key: object) -> bool:
        """Whether some file (or, for parameters, a runtime parameter) supplies ``key``."""
        return isinstance(key, str) and self._load(key).config is not None

    def origin(self, key: str, top_level_key: str) -> Path | None:
        """The file that supplied ``top_level_key`` of config ``key`` (the last layer's).

        ``None`` when no file has it (for instance a parameter given only at run time).
        """
        return self._load(key).origins.get(top_level_key)

    def files(self, key: str) -> list[Path]:
        """Every file read for ``key``, in the order they are merged."""
        patterns = patterns_for(key, self.config_patterns)
        return [file for layer in self.layers for file in matching_files(layer, patterns)]

    def _register_new_resolvers(self, resolvers: Mapping[str, Callable[..., Any]]) -> None:
        """Add custom resolvers, as Kedro's loader does for a hook in
        ``after_context_created`` (kedro-pandera); a name already registered keeps its
        first function."""
        for name, resolver in check_custom_resolvers(resolvers).items():
            self.custom_resolvers.setdefault(name, resolver)

    def __repr__(self) -> str:
        # Never the values: credentials are configuration too.
        layers = ", ".join(repr(layer.name) for layer in self.layers)
        return (
            f"ConfigLoader(conf_source='{self.conf_source}', env={self.env!r}, layers=[{layers}])"
        )

    # -- internals ---------------------------------------------------------------------------

    def _load(self, key: str) -> _Loaded:
        return self._load_files(key, patterns_for(key, self.config_patterns))

    def _load_files(self, name: str, patterns: list[str]) -> _Loaded:
        cache_key = (name, tuple(patterns))
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        strategy = self.merge_strategy.get(name, "destructive")
        merged: dict[str, Any] | None = None
        origins: dict[str, Path] = {}
        for layer in self.layers:
            files = matching_files(layer, patterns)
            if not files:
                continue
            config, layer_origins = self._read_layer(layer, files)
            if name == _PARAMETERS:
                apply_runtime_params(config, self.runtime_params, layer_origins)
            config = self._resolve(name, config, layer_origins, files)
            if name != _PARAMETERS:
                config = {k: v for k, v in config.items() if not str(k).startswith("_")}
            merged = config if merged is None else merge(merged, config, strategy)
            origins.update(layer_origins)
        if merged is None and name == _PARAMETERS and self.runtime_params:
            merged = apply_runtime_params({}, self.runtime_params)
        loaded = _Loaded(merged, origins)
        self._cache[cache_key] = loaded
        return loaded

    @staticmethod
    def _read_layer(layer: Path, files: list[Path]) -> tuple[dict[str, Any], dict[str, Path]]:
        """The files of one environment as one mapping, refusing a top-level key in two."""
        config: dict[str, Any] = {}
        origins: dict[str, Path] = {}
        for file in files:
            for top, value in read_config_file(file).items():
                if top in config:
                    raise ConfigError(
                        f"Key '{top}' is defined twice in the '{layer.name}' environment: "
                        f"in {origins[top]} and in {file}"
                    )
                config[top] = value
                origins[top] = file
        return config, origins

    def _resolve(
        self, name: str, config: dict[str, Any], origins: dict[str, Path], files: list[Path]
    ) -> dict[str, Any]:
        """``config`` (one environment's) with its interpolations resolved."""
        if not _has_interpolation(config):
            return config
        # Imported here: OmegaConf is needed only by a configuration with an interpolation.
        from hookline.config.resolution import Interpolation, resolve

        def describe_file(top_level_key: str) -> str:
            origin = origins.get(top_level_key)
            return str(origin) if origin is not None else ", ".join(map(str, files))

        reading_globals = name == _GLOBALS
        return resolve(
            config,
            Interpolation(
                config_name=name,
                read_environment=name == _CREDENTIALS,
                global_values=None if reading_globals else self._global_values,
                runtime_params=None if reading_globals else self._nested_runtime_params(),
                custom_resolvers=self.custom_resolvers,
                describe_file=describe_file,
            ),
        )

    def _global_values(self) -> dict[str, Any]:
        return self._load(_GLOBALS).config or {}

    def _nested_runtime_params(self) -> dict[str, Any]:
        """``{"a.b": 1}`` as ``{"a": {"b": 1}}``, for ``${runtime_params:a.b}``."""
        return apply_runtime_params({}, self.runtime_params)


def _has_interpolation(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, dict):
        return any(_has_interpolation(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_interpolation(item) for item in value)
    return False
