"""A run's baseline: the median of each node's duration and of each watched measurement over
the last successful runs of the same pipeline structure."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter
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
        medians([durations for durations, _ in found]),
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
    # One column per run, aligned on ``keys``; each key's values sorted. All in C.
    columns = [list(map(run.get, keys)) for run in runs]
    if all(len(run) == len(keys) for run in runs):  # the usual case: no value is missing
        ordered = map(sorted, zip(*columns, strict=True))
        middle = len(runs) // 2
        if len(runs) % 2:
            return dict(zip(keys, map(itemgetter(middle), ordered), strict=True))
        return {key: (v[middle - 1] + v[middle]) / 2 for key, v in zip(keys, ordered, strict=True)}
    return {
        key: _median([v for v in values if v is not None])
        for key, values in zip(keys, zip(*columns, strict=True), strict=True)
    }


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
