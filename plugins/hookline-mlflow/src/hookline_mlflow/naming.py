"""Turning hookline's names and values into what MLflow accepts, without importing MLflow.

MLflow refuses a metric, parameter or tag key outside ``^[/\\w.\\- :]*$`` (no ``:`` on
Windows), longer than 250 characters, or that is not a normalised path (``a//b``, ``./a``,
``a/``, ``..``); a parameter value is at most 6000 characters and a tag value 8000. These
functions make any name valid (the same input always gives the same name) and flatten
nested parameters into dotted keys.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

#: MLflow's limits (``mlflow.utils.validation``), kept here so that the hot path never imports
#: MLflow; :func:`hookline_mlflow.run_logger.check_limits` compares them with the installed one.
MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_METRICS_PER_BATCH = 1000
MAX_ENTITIES_PER_BATCH = 1000
MAX_BATCH_REQUEST_BYTES = 1_000_000

#: What a truncated value ends with.
TRUNCATED_SUFFIX = "...[truncated]"

# The colon is valid on POSIX only: a name made here must work wherever the run is read.
_INVALID = re.compile(r"[^/\w.\- ]")
_SLASHES = re.compile(r"/{2,}")


def sanitize_key(name: str) -> str:
    """Return ``name`` as a valid MLflow metric, parameter or tag key.

    Characters MLflow refuses become ``_``; repeated, leading and trailing slashes go; path
    parts ``.`` and ``..`` become ``_``; a key longer than 250 characters is cut and ends with
    a short hash of the whole name, so that two long names stay different.
    """
    key = _INVALID.sub("_", name)
    key = _SLASHES.sub("/", key).strip("/")
    if "/" in key or key in {".", ".."}:
        key = "/".join("_" if part in {".", ".."} else part for part in key.split("/"))
    if not key:
        key = "_"
    if len(key) > MAX_KEY_LENGTH:
        import hashlib  # rare: only names over 250 characters

        digest = hashlib.sha1(name.encode()).hexdigest()[:8]
        key = f"{key[: MAX_KEY_LENGTH - 9]}~{digest}"
    return key


def flatten(values: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Yield ``(dotted.key, value)`` for every leaf of nested mappings.

    ``{"model": {"alpha": 0.1, "layers": [2, 3]}}`` gives ``("model.alpha", 0.1)`` and
    ``("model.layers", [2, 3])``; an empty mapping is a leaf (``{}``).
    """
    for key, value in values.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            yield from flatten(value, path)
        else:
            yield path, value


def to_text(value: Any) -> str:
    """A parameter or tag value as text: strings as they are, other values as JSON where they
    can be (``[1, 2]``, ``true``, ``null``), else ``str()``."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending with :data:`TRUNCATED_SUFFIX` when cut."""
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATED_SUFFIX)] + TRUNCATED_SUFFIX


def metric_value(value: Any) -> float | None:
    """``value`` as a metric (a finite or infinite float), or ``None`` when it is not a number.

    Booleans count as 0 and 1; NaN is kept (MLflow stores it).
    """
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    # numpy scalars and 0-d arrays, without importing numpy.
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) in ((), None):
        try:
            converted = item()
        except (TypeError, ValueError):
            return None
        if isinstance(converted, bool | int | float):
            return float(converted)
    return None
