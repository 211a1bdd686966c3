"""The speed targets of issue 2, and the Kedro figures that issue quotes, for the final table.

Each case turns its measurements into :class:`TargetResult` rows; ``run.py`` shows them all in
one table, so every target is next to its measured figure and marked met or not met.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from report import NOT_MEASURED, Table, met

#: SequentialRunner, linear identity nodes, one no-op hook class, logging at WARNING.
PER_NODE_WARNING_MAX_US = 30.0
#: The same with hookline's default INFO logging (one line per node).
PER_NODE_INFO_MAX_US = 100.0
#: The per-node figure at 10,000 nodes may be at most this many times the figure at 100.
FLATNESS_MAX = 1.5
FLATNESS_SMALL, FLATNESS_LARGE = 100, 10_000
#: Wall time of ``hookline --help`` with all plugins installed.
HELP_MAX_MS = 150.0
#: Wall time of ``hookline run`` of a 3-node project with no I/O.
RUN_MAX_MS = 300.0
#: ``import hookline`` must import none of these.
HEAVY_MODULES = ("pandas", "mlflow", "great_expectations")

#: Kedro 1.7 per node as issue 2 quotes it (µs; SequentialRunner, linear, no-op hooks, WARNING).
KEDRO_ISSUE_PER_NODE_US = {100: 373, 1_000: 1_647, 5_000: 12_473}
#: ... and with Kedro's default logging (rich, on a terminal) at 100 nodes.
KEDRO_ISSUE_DEFAULT_LOGGING_US = 4_600
#: Kedro's whole-process figures as issue 2 quotes them (ms).
KEDRO_ISSUE_VERSION_MS = 433
KEDRO_ISSUE_RUN_MS = 940


@dataclass(frozen=True)
class TargetResult:
    """One target of issue 2 next to what this run measured.

    Attributes:
        target: What is measured, in words.
        limit: The target, e.g. ``<= 30 µs/node``.
        measured: hookline's figure(s) in this run.
        ok: Whether the target is met; ``None`` when it was not measured in this run.
        kedro: Kedro's figure in issue 2 and in this run, for scale.
    """

    target: str
    limit: str
    measured: str
    ok: bool | None
    kedro: str = ""


def targets_table(results: Sequence[TargetResult]) -> Table:
    """Every target result in one table."""
    table = Table(
        "Targets of issue 2",
        ("Target", "Limit", "hookline (this run)", "Verdict", "Kedro (issue 2 / this run)"),
    )
    for result in results:
        verdict = NOT_MEASURED if result.ok is None else met(result.ok)
        table.rows.append(
            [result.target, result.limit, result.measured, verdict, result.kedro or "—"]
        )
    return table
