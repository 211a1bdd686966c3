"""How the environments' configurations combine, per configuration name: Kedro's two merge
strategies.

- ``destructive``: a top-level key of a later environment replaces the earlier one whole.
- ``soft``: mappings merge key by key, at every depth; anything else (a list, a number) is
  replaced.

Kedro merges everything destructively unless ``CONFIG_LOADER_ARGS["merge_strategy"]`` says
otherwise; hookline merges ``parameters`` softly by default (a ``conf/local/parameters.yml``
changes one nested value without repeating its siblings), and the same setting changes it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["DEFAULT_MERGE_STRATEGY", "MERGE_STRATEGIES", "deep_merge", "merge"]

#: The strategies a configuration can be merged with.
MERGE_STRATEGIES = ("soft", "destructive")

#: hookline's strategies where they differ from Kedro's (``destructive`` for everything).
DEFAULT_MERGE_STRATEGY = {"parameters": "soft"}


def merge(base: dict[str, Any], later: Mapping[str, Any], strategy: str) -> dict[str, Any]:
    """Merge ``later`` (a later environment) into ``base`` in place with ``strategy``."""
    if strategy == "soft":
        return deep_merge(base, later)
    base.update(later)
    return base


def deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base`` in place: nested mappings merge, anything else replaces."""
    for key, value in override.items():
        current = base.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            deep_merge(current, value)
        else:
            base[key] = copy.deepcopy(value)
    return base
