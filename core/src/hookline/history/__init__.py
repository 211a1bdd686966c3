"""The run history: every run of a project kept in a SQLite file, for ``hookline runs``."""

from hookline.history.records import (
    MeasurementColumns,
    MeasurementRow,
    NodeColumns,
    NodeRun,
    RunRecord,
)
from hookline.history.store import HistoryStore

__all__ = [
    "HistoryStore",
    "MeasurementColumns",
    "MeasurementRow",
    "NodeColumns",
    "NodeRun",
    "RunRecord",
]
