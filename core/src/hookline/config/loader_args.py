"""What a project may pass to its config loader through ``CONFIG_LOADER_ARGS`` in
``settings.py``, checked with messages that name the setting.

As in Kedro::

    CONFIG_LOADER_ARGS = {
        "config_patterns": {"spark": ["spark*", "spark*/**"]},
        "custom_resolvers": {"add": lambda a, b: a + b},
        "merge_strategy": {"parameters": "soft", "spark": "destructive"},
        "base_env": "base",
        "default_run_env": "local",
    }
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hookline.config.merging import MERGE_STRATEGIES
from hookline.errors import ConfigError, ProjectError, did_you_mean

__all__ = [
    "LOADER_ARGUMENTS",
    "RESERVED_RESOLVERS",
    "check_config_patterns",
    "check_custom_resolvers",
    "check_merge_strategy",
    "check_settings_args",
]

#: The keys ``CONFIG_LOADER_ARGS`` may have: the config loader's keyword arguments.
LOADER_ARGUMENTS = (
    "config_patterns",
    "custom_resolvers",
    "merge_strategy",
    "base_env",
    "default_run_env",
)

#: Resolvers the config loader answers itself (see :mod:`hookline.config.resolution`).
RESERVED_RESOLVERS = ("globals", "runtime_params")

_SETTING = "(CONFIG_LOADER_ARGS in settings.py)"


def check_settings_args(value: object, where: str) -> dict[str, Any]:
    """``CONFIG_LOADER_ARGS`` as keyword arguments of the config loader.

    Raises:
        ProjectError: It is not a dict, or has a key the loader does not take, naming
            ``where`` (the settings file).
    """
    if not isinstance(value, Mapping):
        raise ProjectError(
            f"{where}: CONFIG_LOADER_ARGS must be a dict, e.g. "
            f'{{"config_patterns": {{"spark": ["spark*"]}}}}, got {type(value).__name__}.'
        )
    for key in value:
        if key not in LOADER_ARGUMENTS:
            raise ProjectError(
                f"{where}: CONFIG_LOADER_ARGS has the key {key!r}, which hookline's config "
                f"loader does not take.{did_you_mean(str(key), LOADER_ARGUMENTS)} "
                f"Keys it takes: {', '.join(LOADER_ARGUMENTS)}."
            )
    return {str(key): item for key, item in value.items()}


def check_config_patterns(value: object) -> dict[str, list[str]]:
    """``config_patterns``: ``{name: [glob pattern, ...]}``.

    Raises:
        ConfigError: It is not such a mapping, naming the name at fault.
    """
    patterns = _mapping(value, "config_patterns", '{"spark": ["spark*", "spark*/**"]}')
    checked: dict[str, list[str]] = {}
    for name, globs in patterns.items():
        if isinstance(globs, str) or not isinstance(globs, list | tuple):
            raise ConfigError(
                f"config_patterns[{name!r}] {_SETTING} must be a list of glob patterns, "
                f"e.g. ['{name}*', '{name}*/**'], not {type(globs).__name__}"
            )
        if not all(isinstance(glob, str) and glob for glob in globs):
            raise ConfigError(
                f"config_patterns[{name!r}] {_SETTING} must hold glob patterns (non-empty "
                "strings) only"
            )
        checked[str(name)] = list(globs)
    return checked


def check_custom_resolvers(value: object) -> dict[str, Callable[..., Any]]:
    """``custom_resolvers``: ``{name: function}``.

    Raises:
        ConfigError: It is not such a mapping, or a name is one the loader answers itself.
    """
    resolvers = _mapping(value, "custom_resolvers", '{"add": lambda a, b: a + b}')
    checked: dict[str, Callable[..., Any]] = {}
    for name, resolver in resolvers.items():
        if not isinstance(name, str) or not name:
            raise ConfigError(f"custom_resolvers {_SETTING}: {name!r} is not a resolver name")
        if name in RESERVED_RESOLVERS:
            raise ConfigError(
                f"custom_resolvers[{name!r}] {_SETTING}: '{name}' is the config loader's own "
                "resolver; give yours another name"
            )
        if not callable(resolver):
            raise ConfigError(
                f"custom_resolvers[{name!r}] {_SETTING} must be a function, not "
                f"{type(resolver).__name__}"
            )
        checked[name] = resolver
    return checked


def check_merge_strategy(value: object) -> dict[str, str]:
    """``merge_strategy``: ``{name: "soft" | "destructive"}``, the strategy in lower case.

    Raises:
        ConfigError: It is not such a mapping, naming the name at fault.
    """
    strategies = _mapping(value, "merge_strategy", '{"parameters": "soft"}')
    checked: dict[str, str] = {}
    for name, strategy in strategies.items():
        if not isinstance(strategy, str) or strategy.lower() not in MERGE_STRATEGIES:
            raise ConfigError(
                f"merge_strategy[{name!r}] {_SETTING} must be 'soft' or 'destructive', "
                f"not {strategy!r}"
            )
        checked[str(name)] = strategy.lower()
    return checked


def _mapping(value: object, argument: str, example: str) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{argument} {_SETTING} must be a dict, e.g. {example}, not {type(value).__name__}"
        )
    return value
