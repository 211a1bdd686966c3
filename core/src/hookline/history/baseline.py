"""A run's baseline: the median of each node's duration and of each watched measurement over
the last successful runs of the same pipeline structure."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import TypeVar

from hookline.history.records import MeasurementColumns
from hookline.history.store import HistoryStore

#: A measurement's subject: (measurement name, node, dataset).
Subject = tuple[str, str | None, str | None]

#: The measurements the guard compares: by exact name, and memory peaks by their shape.
WATCHED_NAMES = frozenset({"dataset.rows", "validation.failed"})

Key = TypeVar("Key", bound=Hashable)


def is_watched(name: str) -> bool:
    """Whether the guard compares the measurement ``name``."""
    return name in WATCHED_NAMES or (name.startswith("memory.") and name.endswith(".peak"))


@dataclass
class Baseline:
    """The medians the guard compares a run with.

    Attributes:
        runs: How many runs it was made of (0: no baseline yet).
        durations: Node name -> the median of its seconds.
        figures: (measurement, node, dataset) -> the median of its largest value in each run.
    """

    runs: int = 0
    durations: dict[str, float] = field(default_factory=dict)
    figures: dict[Subject, float] = field(default_factory=dict)


def read_baseline(
    store: HistoryStore,
    pipeline: str,
    structure: str,
    runs: int,
    before: float | None = None,
) -> Baseline:
    """The baseline of the last ``runs`` completed runs of ``pipeline`` with structure hash
    ``structure`` (started before ``before``, when given), read in one query.

    Raises:
        sqlite3.Error: If the history cannot be read.
    """
    found = store.completed_runs(pipeline, structure, runs, before)
    return Baseline(
        len(found),
        medians([nodes.completed_durations() for nodes, _ in found]),
        medians([largest_watched(measurements) for _, measurements in found]),
    )


def largest_watched(measurements: MeasurementColumns) -> dict[Subject, float]:
    """Each watched measurement by subject, at its largest (a memory peak is taken per save)."""
    largest: dict[Subject, float] = {}
    for name, value, node, dataset in zip(
        measurements.names, measurements.values, measurements.nodes, measurements.datasets,
        strict=True,
    ):  # fmt: skip
        if is_watched(name):
            key = (name, node, dataset)
            largest[key] = max(largest.get(key, value), value)
    return largest


def medians(runs: Sequence[dict[Key, float]]) -> dict[Key, float]:
    """Each key's median over the runs that have it."""
    keys = list(dict.fromkeys(chain.from_iterable(runs)))
    # One column per run, aligned on ``keys``, made in C; then one short sort per key.
    columns = [list(map(run.get, keys)) for run in runs]
    result: dict[Key, float] = {}
    for key, values in zip(keys, zip(*columns, strict=True), strict=True):
        present = sorted(v for v in values if v is not None) if None in values else sorted(values)
        middle = len(present) // 2
        result[key] = (
            present[middle] if len(present) % 2 else (present[middle - 1] + present[middle]) / 2
        )
    return result
