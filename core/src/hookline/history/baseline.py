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
    first = found[0][0] if found else []
    if all(names is first for names, _, _ in found):
        # The usual case: every run's nodes ended in one order (the store then hands over one
        # list of names), so the durations line up as they are.
        durations = dict(zip(first, column_medians([d for _, d, _ in found]), strict=True))
    else:
        durations = medians([dict(zip(names, d, strict=True)) for names, d, _ in found])
    return Baseline(
        len(found),
        durations,
        medians([largest_watched(measurements) for _, _, measurements in found]),
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
    if all(len(run) == len(keys) for run in runs):  # the usual case: no value is missing
        # One column per run, aligned on ``keys``, made in C.
        aligned = [list(map(run.__getitem__, keys)) for run in runs]
        return dict(zip(keys, column_medians(aligned), strict=True))
    columns = [list(map(run.get, keys)) for run in runs]
    return {
        key: _median([v for v in values if v is not None])
        for key, values in zip(keys, zip(*columns, strict=True), strict=True)
    }


def column_medians(columns: Sequence[Sequence[float]]) -> list[float]:
    """The median of each position over ``columns`` of equal length (one column per run)."""
    ordered = map(sorted, zip(*columns, strict=True))  # each position's values, sorted, in C
    middle = len(columns) // 2
    if len(columns) % 2:
        return list(map(itemgetter(middle), ordered))
    return [(values[middle - 1] + values[middle]) / 2 for values in ordered]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
