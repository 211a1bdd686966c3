"""The run history: every run of a project kept in a SQLite file, for ``hookline runs``.

Names are imported on first use: the CLI imports ``hookline.history.commands`` to list the
``runs`` command, and ``hookline --help`` should not pay for SQLite and the records.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> the module that defines it.
_EXPORTS = {
    "HistoryStore": "hookline.history.store",
    "MeasurementColumns": "hookline.history.records",
    "MeasurementRow": "hookline.history.records",
    "NodeColumns": "hookline.history.records",
    "NodeRun": "hookline.history.records",
    "RunRecord": "hookline.history.records",
}

__all__ = [
    "HistoryStore",
    "MeasurementColumns",
    "MeasurementRow",
    "NodeColumns",
    "NodeRun",
    "RunRecord",
]

if TYPE_CHECKING:
    from hookline.history.records import (
        MeasurementColumns,
        MeasurementRow,
        NodeColumns,
        NodeRun,
        RunRecord,
    )
    from hookline.history.store import HistoryStore


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is used."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hookline.history' has no attribute '{name}'")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
