"""The speed targets of the issues, and the Kedro figures issue 2 quotes, for the final table.

Each case (and each plugin's benchmark script, see external.py) turns its measurements into
:class:`TargetResult` rows; ``run.py`` shows them all in one table, so every target is next to
its measured figure and marked met or not met, or "not measured" when this run did not measure
it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from report import Table, met

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
        kedro: Kedro's (or the seed's) figure, for scale.
        issue: The issue that states the target.
        report_only: The issue asks for the figure to be reported, with no limit.
    """

    target: str
    limit: str
    measured: str
    ok: bool | None
    kedro: str = ""
    issue: int = 2
    report_only: bool = False

    @property
    def verdict(self) -> str:
        """``met``, ``**not met**``, ``reported`` or ``not measured``."""
        if self.ok is None:
            return "not measured"
        if self.report_only:
            return "reported"
        return met(self.ok)


def targets_table(results: Sequence[TargetResult]) -> Table:
    """Every target result in one table."""
    table = Table(
        "Every target of the issues, next to this run's figure",
        (
            "Issue",
            "Target",
            "Limit",
            "hookline (this run)",
            "Verdict",
            "Kedro or the seed (for scale)",
        ),
    )
    for result in sorted(results, key=lambda r: r.issue):
        table.rows.append(
            [
                f"#{result.issue}",
                result.target,
                result.limit,
                result.measured,
                result.verdict,
                result.kedro or "—",
            ]
        )
    table.notes.append(
        "Issue 2's Kedro figures: as the issue quotes them / as measured in this run. A target "
        "measured by a plugin's own script is read from that script's output (shown above)."
    )
    return table
