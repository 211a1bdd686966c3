"""Runtime parameters: ``--params "a.b=1,c=x"`` parsed, and laid over the parameters read from
the files (and offered to ``${runtime_params:a.b}``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from hookline.config.merging import deep_merge
from hookline.errors import ConfigError

__all__ = ["apply_runtime_params", "parse_runtime_params"]


def parse_runtime_params(text: str) -> dict[str, Any]:
    """Parse ``--params "a.b=1,c=x"`` into ``{"a.b": 1, "c": "x"}``.

    Values are read as YAML scalars (``1`` -> int, ``true`` -> bool, ``null`` -> None);
    anything else, an empty value included, stays a string. A value cannot contain a comma.

    Raises:
        ConfigError: an item is not ``key=value``, naming the item.
    """
    params: dict[str, Any] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep:
            raise ConfigError(f"Runtime parameter '{item.strip()}' is not of the form key=value")
        if not key:
            # The value is not echoed: runtime parameters may carry a token.
            raise ConfigError("Runtime parameter '=...' has an empty key (expected key=value)")
        params[key] = _parse_scalar(raw.strip())
    return params


def _parse_scalar(raw: str) -> Any:
    if not raw:
        return ""
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    if isinstance(value, dict | list):
        return raw
    return value


def apply_runtime_params(
    params: dict[str, Any],
    runtime_params: Mapping[str, Any],
    origins: Mapping[str, Path] | None = None,
) -> dict[str, Any]:
    """Lay ``{"a.b": value}`` over ``params`` in place; a mapping value merges into a mapping.

    Raises:
        ConfigError: A dotted key has an empty part, or goes below a value that is not a
            mapping (naming the file that value came from, when ``origins`` tells).
    """
    origins = origins or {}
    for dotted, value in runtime_params.items():
        parts = str(dotted).split(".")
        if not all(parts):
            raise ConfigError(f"Runtime parameter '{dotted}': empty part in the key")
        node = params
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            elif not isinstance(child, dict):
                where = origins.get(parts[0])
                source = f" (from {where})" if where else ""
                raise ConfigError(
                    f"Runtime parameter '{dotted}': parameter "
                    f"'{'.'.join(parts[: depth + 1])}'{source} is a "
                    f"{type(child).__name__}, not a mapping"
                )
            node = child
        deep_merge(node, {parts[-1]: value})
    return params
