"""Reading and checking a plugin's own configuration file (``conf/<env>/<name>.yml``).

Every plugin reads one YAML mapping through the context's config loader and turns it into a
frozen config object. The checks that do not depend on the plugin (which file said it, unknown
keys with a suggestion, booleans, numbers in a range, one of a few choices, non-empty text)
live here, so that every plugin words its errors the same way: ``<file>: key 'x' must be ...``.

Each checker takes ``raw`` (the mapping being read), ``key``, ``where`` (the file, for the
message) and a ``default`` used when the key is absent; ``path`` prefixes the key in messages
for nested sections (``"measure."``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hookline.errors import ConfigError, did_you_mean

__all__ = [
    "boolean",
    "check_keys",
    "choice",
    "describe_origin",
    "mapping",
    "number",
    "project_config_loader",
    "read_section",
    "text",
    "whole",
]


def read_section(config_loader: Any, key: str) -> tuple[Mapping[str, Any], str] | None:
    """The merged configuration ``key`` and the files it came from, or None if no file has it.

    Args:
        config_loader: The context's ``ConfigLoader`` (which already refuses a file whose top
            level is not a mapping); ``origin`` and ``files`` are used when present.
        key: The configuration's name: ``mlflow`` reads ``mlflow.yml`` of every layer.
    """
    raw = config_loader[key]
    if not raw:
        return None
    return raw, describe_origin(config_loader, key, raw)


def project_config_loader(project: Path | None, env: str | None) -> tuple[Any, Path]:
    """The config loader of the project at or above ``project`` (default: the working
    folder), with ``env`` laid over base and local, and the project's folder: what a plugin's
    own command (``hookline mlflow ui``) reads the plugin's file through.

    Raises:
        HooklineError: If no project is found there, or its settings or configuration are bad.
    """
    # Imported here: a plugin imports this module when it loads, and most runs never call this.
    from hookline.config import ConfigLoader
    from hookline.project import find_project, load_settings

    metadata = find_project(project)
    settings = load_settings(metadata)
    conf_source = metadata.project_path / settings.conf_source
    return ConfigLoader(conf_source, env=env, **settings.config_loader_args), metadata.project_path


def describe_origin(config_loader: Any, key: str, raw: Mapping[str, Any]) -> str:
    """The file or files that supplied configuration ``key``, for error messages.

    Names the files that supplied ``raw``'s top-level keys when the loader can tell, else every
    file read for ``key``, else ``<key>.yml``.
    """
    files: list[Path] = []
    origin = getattr(config_loader, "origin", None)
    if origin is not None:
        for top_level_key in raw:
            path = origin(key, top_level_key)
            if path is not None and path not in files:
                files.append(path)
    if not files and hasattr(config_loader, "files"):
        files = list(config_loader.files(key))
    return ", ".join(str(path) for path in files) or f"{key}.yml"


def check_keys(
    raw: Mapping[str, Any], allowed: tuple[str, ...], where: str, what: str, path: str = ""
) -> None:
    """Refuse a key of ``raw`` that is not in ``allowed``, suggesting the closest one.

    Args:
        raw: The mapping read.
        allowed: Its allowed keys, in the order the message lists them.
        where: The file(s), for the message.
        what: What is configured (``"the mlflow configuration"``).
        path: The section's dotted prefix (``"measure."``), empty at the top level.
    """
    unknown = [str(key) for key in raw if key not in allowed]
    if unknown:
        under = f" under '{path[:-1]}'" if path else ""
        raise ConfigError(
            f"{where}: unknown key '{path}{unknown[0]}' in {what}."
            f"{did_you_mean(unknown[0], allowed)} Allowed keys{under}: {', '.join(allowed)}."
        )


def boolean(raw: Mapping[str, Any], key: str, where: str, default: bool, path: str = "") -> bool:
    """``raw[key]`` as a boolean (``true``/``false`` only: ``1`` or ``"yes"`` are refused)."""
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: key '{path}{key}' must be true or false, not {value!r}.")
    return value


def number(
    raw: Mapping[str, Any],
    key: str,
    where: str,
    default: float,
    *,
    at_least: float | None = None,
    above: float | None = None,
    at_most: float | None = None,
    unit: str = "",
    path: str = "",
) -> float:
    """``raw[key]`` as a finite number, optionally ``>= at_least`` or ``> above``, and
    ``<= at_most``.

    ``unit`` (``"seconds"``) is named in the message.
    """
    value = raw.get(key, default)
    if not _is_finite_number(value) or not _within(value, at_least, above, at_most):
        bounds = [f"at least {at_least:g}" if at_least is not None else ""]
        bounds.append(f"above {above:g}" if above is not None else "")
        bounds.append(f"at most {at_most:g}" if at_most is not None else "")
        limits = " and ".join(bound for bound in bounds if bound)
        in_unit = f" is in {unit} and" if unit else ""
        raise ConfigError(
            f"{where}: key '{path}{key}'{in_unit} must be a number{' ' + limits if limits else ''}"
            f", not {value!r}."
        )
    return float(value)


def _is_finite_number(value: Any) -> bool:
    # bool is an int to Python, but "interval: true" is a mistake, not 1 second; an int too
    # large for a float (10**400) is refused too, as no setting means it.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _within(
    value: float, at_least: float | None, above: float | None, at_most: float | None
) -> bool:
    return (
        (at_least is None or value >= at_least)
        and (above is None or value > above)
        and (at_most is None or value <= at_most)
    )


def whole(
    raw: Mapping[str, Any], key: str, where: str, default: int, low: int, high: int, path: str = ""
) -> int:
    """``raw[key]`` as a whole number from ``low`` to ``high``."""
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(
            f"{where}: key '{path}{key}' must be a whole number from {low} to {high}, "
            f"not {value!r}."
        )
    return value


def choice(
    raw: Mapping[str, Any],
    key: str,
    where: str,
    choices: tuple[str, ...],
    default: str | None = None,
    path: str = "",
) -> str:
    """``raw[key]`` as one of ``choices`` (default: ``default``, else the first choice)."""
    value = raw.get(key, choices[0] if default is None else default)
    if not isinstance(value, str) or value not in choices:
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        raise ConfigError(
            f"{where}: key '{path}{key}' must be one of {', '.join(choices)}, not {value!r}.{hint}"
        )
    return value


def text(
    raw: Mapping[str, Any], key: str, where: str, default: str | None = None, path: str = ""
) -> str | None:
    """``raw[key]`` as a non-empty string without surrounding blanks; None when absent and
    ``default`` is None."""
    value = raw.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: key '{path}{key}' must be a non-empty string, not {value!r}.")
    return value.strip()


def mapping(value: Any, key: str, where: str) -> Mapping[str, Any]:
    """``value`` (the value of ``key``) as a mapping; an absent or empty value is ``{}``."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: key '{key}' must be a mapping, not {value!r}.")
    return value
