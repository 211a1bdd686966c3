"""Interpolation: the ``${...}`` of configuration values, resolved by OmegaConf as Kedro's
OmegaConfigLoader resolves them.

- ``${key}``, ``${a.b}``: another value of the same configuration, in the same environment;
- ``${globals:key}``, ``${globals:key,default}``: a value of ``globals.yml``;
- ``${runtime_params:key}``, ``${runtime_params:key,default}``: a ``--params`` value (not in
  ``globals.yml``);
- ``${oc.env:NAME}``, ``${oc.env:NAME,default}``: an environment variable, in credentials only
  (a project allows it everywhere by naming OmegaConf's ``oc.env`` among its custom resolvers,
  as in Kedro);
- OmegaConf's other resolvers (``oc.select``, ``oc.create``...), the project's custom ones, and
  any registered with OmegaConf directly.

OmegaConf keeps resolvers per process. ``globals``, ``runtime_params`` and ``oc.env`` are
registered as small functions that ask the interpolation being resolved at that moment (a
context variable), so that two loaders in one process (two projects, two environments) never
see each other's values; outside a hookline loader, ``oc.env`` is OmegaConf's own. A loader's
custom resolvers are registered while it resolves (replacing one of the same name that was
registered with OmegaConf directly), so that another loader never finds them.

Every failure is a :class:`~hookline.errors.ConfigError` naming the file and the key, and
quoting no value: credentials are interpolated too. This module imports OmegaConf, so the
loader imports it only for a configuration that holds an interpolation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import omegaconf
from omegaconf import OmegaConf
from omegaconf.errors import (
    GrammarParseError,
    InterpolationKeyError,
    KeyValidationError,
    OmegaConfBaseException,
    UnsupportedInterpolationType,
)
from omegaconf.resolvers import oc

from hookline.config.loader_args import RESERVED_RESOLVERS
from hookline.errors import ConfigError, HooklineError, did_you_mean

__all__ = ["Interpolation", "resolve"]

_ENV_RESOLVER = "oc.env"
_NO_VALUE: Any = object()
# register_resolver is the current name from OmegaConf 2.4 on; before, it was a legacy API
# with other semantics, and register_new_resolver the current one.
_MODERN_REGISTRATION = tuple(int(part) for part in omegaconf.__version__.split(".")[:2]) >= (2, 4)


@dataclass(frozen=True)
class Interpolation:
    """What the interpolations of one configuration may use.

    Attributes:
        config_name: The configuration being read (``catalog``), for messages.
        read_environment: Whether ``${oc.env:...}`` may read environment variables.
        global_values: Returns ``globals.yml``'s values; ``None`` while reading globals.
        runtime_params: The ``--params`` values as nested mappings; ``None`` while reading
            globals.
        custom_resolvers: The project's resolvers, by name.
        describe_file: The file (or files) that defined a top-level key, for messages.
    """

    config_name: str
    read_environment: bool
    global_values: Callable[[], Mapping[str, Any]] | None
    runtime_params: Mapping[str, Any] | None
    custom_resolvers: Mapping[str, Callable[..., Any]]
    describe_file: Callable[[str], str]


class _Refused(Exception):
    """An interpolation hookline refuses; the message says why, without the file and key."""


_ACTIVE: ContextVar[Interpolation | None] = ContextVar("hookline_interpolation", default=None)


def resolve(config: Mapping[str, Any], interpolation: Interpolation) -> dict[str, Any]:
    """``config`` with every interpolation replaced by its value.

    Raises:
        ConfigError: An interpolation cannot be resolved (an unknown resolver or key, a cycle,
            a missing globals key, ``oc.env`` outside credentials...), naming file and key.
    """
    added = _register_resolvers(interpolation.custom_resolvers)
    token = _ACTIVE.set(interpolation)
    try:
        resolved = OmegaConf.to_container(OmegaConf.create(dict(config)), resolve=True)
    except OmegaConfBaseException as error:
        failure = _explain(error, interpolation)
    else:
        return resolved  # type: ignore[return-value]
    finally:
        _ACTIVE.reset(token)
        # Another loader of this process must not find them.
        for name in added:
            OmegaConf.clear_resolver(name)
    # Raised outside the except block: OmegaConf's exception is no part of the message.
    raise failure


# -- resolvers -------------------------------------------------------------------------------


def _register_resolvers(custom_resolvers: Mapping[str, Callable[..., Any]]) -> list[str]:
    """Register hookline's resolvers and ``custom_resolvers``; return the names of the custom
    ones OmegaConf did not have before."""
    _register("globals", _global_value)
    _register("runtime_params", _runtime_param)
    _register(_ENV_RESOLVER, _environment_variable)
    added = []
    for name, resolver in custom_resolvers.items():
        # A custom oc.env is called by hookline's own (which knows when none applies).
        if name != _ENV_RESOLVER:
            if not OmegaConf.has_resolver(name):
                added.append(name)
            _register(name, resolver)
    return added


def _register(name: str, resolver: Callable[..., Any]) -> None:
    if _MODERN_REGISTRATION:
        OmegaConf.register_resolver(name, resolver, replace=True)
    else:  # pragma: no cover - OmegaConf 2.3
        OmegaConf.register_new_resolver(name, resolver, replace=True)


def _current() -> Interpolation | None:
    return _ACTIVE.get()


def _global_value(key: Any, default: Any = _NO_VALUE) -> Any:
    interpolation = _outside_hookline_refused("globals")
    if interpolation.global_values is None:
        raise _Refused("'${globals:...}' cannot be used in globals.yml itself")
    name = str(key)
    if name.startswith("_"):
        raise _Refused(
            f"'${{globals:{name}}}': globals keys that start with '_' are not global values"
        )
    found = _select(interpolation.global_values(), name)
    if found is not _NO_VALUE:
        return found
    if default is not _NO_VALUE:
        return default
    raise _Refused(
        f"globals key '{name}' is not defined in globals.yml, and '${{globals:{name}}}' gives no "
        f"default (write '${{globals:{name},default}}')"
    )


def _runtime_param(key: Any, default: Any = _NO_VALUE) -> Any:
    interpolation = _outside_hookline_refused("runtime_params")
    if interpolation.runtime_params is None:
        raise _Refused("'${runtime_params:...}' cannot be used in globals.yml")
    name = str(key)
    found = _select(interpolation.runtime_params, name)
    if found is not _NO_VALUE:
        return found
    if default is not _NO_VALUE:
        return default
    raise _Refused(
        f"runtime parameter '{name}' was not given (--params {name}=...), and "
        f"'${{runtime_params:{name}}}' gives no default "
        f"(write '${{runtime_params:{name},default}}')"
    )


def _environment_variable(name: Any, default: Any = _NO_VALUE) -> Any:
    interpolation = _current()
    custom = interpolation.custom_resolvers.get(_ENV_RESOLVER) if interpolation else None
    reader = custom or oc.env
    if interpolation is not None and custom is None and not interpolation.read_environment:
        raise _Refused(
            f"'${{oc.env:{name}}}' reads an environment variable, which hookline (as Kedro) "
            "does in credentials only: move the value to credentials.yml, or read environment "
            'variables everywhere with CONFIG_LOADER_ARGS = {"custom_resolvers": {"oc.env": '
            "omegaconf.resolvers.oc.env}} in settings.py"
        )
    try:
        return reader(name) if default is _NO_VALUE else reader(name, default)
    except KeyError:
        if interpolation is None:
            raise
        raise _Refused(
            f"environment variable '{name}' is not set (set it, or give a default: "
            f"${{oc.env:{name},default}})"
        ) from None


def _outside_hookline_refused(resolver: str) -> Interpolation:
    interpolation = _current()
    if interpolation is None:
        raise _Refused(f"'${{{resolver}:...}}' is resolved by hookline's config loader only")
    return interpolation


def _select(values: Mapping[str, Any], key: str) -> Any:
    return OmegaConf.select(OmegaConf.create(dict(values)), key, default=_NO_VALUE)


# -- errors ----------------------------------------------------------------------------------

_UNSUPPORTED = re.compile(r"Unsupported interpolation type (\S+)")
_MISSING_KEY = re.compile(r"Interpolation key '([^']*)' not found")
# What OmegaConf says of a value that depends on itself, directly or through its parent.
_CYCLES = ("Recursive interpolation detected", "Interpolation to parent node detected")
_OMEGACONF_RESOLVERS = (
    "oc.create",
    "oc.decode",
    "oc.deprecated",
    "oc.dict.keys",
    "oc.dict.values",
    "oc.select",
)


def _explain(error: OmegaConfBaseException, interpolation: Interpolation) -> ConfigError:
    """One message naming the file and the key for what OmegaConf raised."""
    full_key = str(getattr(error, "full_key", None) or "")
    top_key = re.split(r"[.\[]", full_key, maxsplit=1)[0]
    where = interpolation.describe_file(top_key)
    at = f"{where}: key '{full_key}'" if full_key else where
    cause = _first_cause(error)
    if isinstance(cause, _Refused | HooklineError):
        return ConfigError(f"{at}: {cause}")
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if isinstance(error, UnsupportedInterpolationType):
        match = _UNSUPPORTED.search(text)
        return ConfigError(f"{at}: {_unknown_resolver(match[1] if match else '?', interpolation)}")
    if isinstance(error, InterpolationKeyError):
        match = _MISSING_KEY.search(text)
        missing = match[1] if match else "?"
        return ConfigError(
            f"{at}: '${{{missing}}}' refers to '{missing}', which {interpolation.config_name} "
            "does not define in this environment (an interpolation sees the values of its own "
            "environment's files only)"
        )
    if isinstance(error, GrammarParseError):
        return ConfigError(f"{at}: not a valid interpolation (a literal '${{' is written '\\${{')")
    if text.startswith(_CYCLES):
        return ConfigError(f"{at}: interpolation cycle: the value depends on itself")
    if isinstance(error, KeyValidationError):
        return ConfigError(
            f"{at}: {text}: where a file has interpolations, OmegaConf resolves it, and its keys "
            "must be strings, numbers or booleans"
        )
    if cause is not None:
        # A custom resolver failed. A message about credentials may quote one: not shown.
        detail = "" if interpolation.read_environment else f": {cause}"
        return ConfigError(f"{at}: a resolver raised {type(cause).__name__}{detail}")
    return ConfigError(f"{at}: {text}")


def _first_cause(error: BaseException) -> BaseException | None:
    """The first exception behind ``error`` that is not OmegaConf's own."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if not isinstance(current, OmegaConfBaseException):
            return current
        current = current.__cause__ or current.__context__
    return None


def _unknown_resolver(name: str, interpolation: Interpolation) -> str:
    ours = [*RESERVED_RESOLVERS, *sorted(interpolation.custom_resolvers)]
    if interpolation.read_environment and _ENV_RESOLVER not in ours:
        ours.append(_ENV_RESOLVER)
    suggestion = did_you_mean(name, [*ours, *_OMEGACONF_RESOLVERS])
    return (
        f"unknown resolver '{name}' in '${{{name}:...}}'.{suggestion} Resolvers here: "
        f"{', '.join(ours)}, and OmegaConf's oc.select, oc.create... A project adds its own "
        "through CONFIG_LOADER_ARGS['custom_resolvers'] in settings.py, or from an "
        "after_context_created hook with context.config_loader._register_new_resolvers({...})"
    )
