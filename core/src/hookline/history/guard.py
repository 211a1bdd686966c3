"""The regression guard: each node's duration and each measurement of a run compared with its
baseline, the median over the last successful runs of the same pipeline structure.

Four kinds of regression (thresholds in :mod:`hookline.history.thresholds`): a node slower,
a memory peak higher, a dataset with fewer rows, a validation failing where it passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from hookline.history.baseline import Baseline, Subject
from hookline.history.thresholds import Limits, Thresholds
from hookline.measurements import CORE_SOURCE, Measurement, publish_measurement


@dataclass(frozen=True)
class Regression:
    """One figure of a run that is worse than its baseline.

    Attributes:
        kind: ``duration``, ``memory``, ``rows`` or ``validation``.
        figure: What was compared: ``seconds`` or a measurement's name.
        value: The figure in this run.
        baseline: Its baseline (the median over the baseline runs).
        node: The node it is about, if any.
        dataset: The dataset it is about, if any.
    """

    kind: str
    figure: str
    value: float
    baseline: float
    node: str | None = None
    dataset: str | None = None

    @property
    def subject(self) -> str:
        """The dataset, else the node it is about."""
        return self.dataset or self.node or "run"

    def describe(self) -> str:
        """One line for people: what got worse, by how much."""
        return (
            f"{self.kind}: {self.subject} {self.figure} {self.value:.4g} "
            f"(baseline {self.baseline:.4g})"
        )


@dataclass
class RegressionReport:
    """What the guard found in one run.

    Attributes:
        baseline_runs: How many runs the baseline was made of; 0 when there was none.
        found: The regressions, nodes first.
        fail: Whether the settings say a regression fails the run.
    """

    baseline_runs: int
    found: list[Regression] = field(default_factory=list)
    fail: bool = False


def find_regressions(
    durations: dict[str, float],
    figures: dict[Subject, float],
    baseline: Baseline,
    thresholds: Thresholds,
) -> list[Regression]:
    """Every regression of a run against ``baseline``.

    Args:
        durations: Node name -> seconds, of each node of the run that completed.
        figures: Each watched measurement of the run at its largest (see
            :func:`~hookline.history.baseline.largest_watched`).
    """
    found = []
    base_durations = baseline.durations
    for name, duration in durations.items():
        base = base_durations.get(name)
        # No threshold makes a node that is not slower a regression: skip the lookup.
        if base is None or duration <= base:
            continue
        if _slower(duration, base, thresholds.of(name, None)):
            found.append(Regression("duration", "seconds", duration, base, node=name))
    for (name, node, dataset), value in figures.items():
        base = baseline.figures.get((name, node, dataset))
        if base is None:
            continue
        kind = _worse(name, value, base, thresholds.of(node, dataset))
        if kind is not None:
            found.append(Regression(kind, name, value, base, node=node, dataset=dataset))
    return found


def publish(regressions: Sequence[Regression]) -> None:
    """Publish each regression as a ``regression.<kind>`` count, for every measurement sink."""
    for regression in regressions:
        publish_measurement(
            Measurement(
                f"regression.{regression.kind}",
                1.0,
                "count",
                node=regression.node,
                dataset=regression.dataset,
                source=CORE_SOURCE,
                tags={"figure": regression.figure},
            )
        )


def _slower(seconds: float, base: float, limits: Limits) -> bool:
    return seconds > base * limits.duration_factor and seconds - base > limits.duration_seconds


def _worse(name: str, value: float, base: float, limits: Limits) -> str | None:
    if name.startswith("memory."):
        if value > base * limits.memory_factor and value - base > limits.memory_mib:
            return "memory"
    elif name == "dataset.rows":
        if base > 0 and value <= base * (1 - limits.rows_drop):
            return "rows"
    elif name == "validation.failed" and limits.validation and value > 0 and base == 0:
        return "validation"
    return None
