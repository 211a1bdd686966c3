"""How a run looks to the person who started it: log lines, a progress bar on a terminal, and
the summary table at the end.

rich is imported only when the output is a terminal, so piped and CI runs start faster.
"""

from __future__ import annotations

import logging
import sys
from collections import defaultdict
from collections.abc import Sequence
from typing import IO, Any

from hookline.measurements import Measurement
from hookline.node import Node
from hookline.runner.progress import NodeRecord, ProgressReporter
from hookline.tables import is_terminal, write_table

# is_terminal is hookline.tables', named here too for the CLI, which asks before drawing a bar.
__all__ = [
    "RichProgressReporter",
    "configure_logging",
    "is_terminal",
    "render_hook_table",
    "render_summary",
]

#: Above this many nodes the summary shows the slowest ones and a total, not every node.
SUMMARY_NODE_ROWS = 25

PLAIN_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(level: str) -> None:
    """Send hookline's and plugins' logs to stderr at ``level``: rich on a terminal, plain
    lines otherwise."""
    root = logging.getLogger()
    root.setLevel(level)
    if is_terminal(sys.stderr):
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(show_path=False, rich_tracebacks=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(PLAIN_LOG_FORMAT))
    root.handlers[:] = [handler]
    logging.captureWarnings(True)


class RichProgressReporter(ProgressReporter):
    """Draws a progress bar on the terminal as nodes complete, next to the usual log lines."""

    def __init__(self) -> None:
        super().__init__()
        from rich.progress import Progress

        self._progress = Progress(transient=True)
        self._task: Any = None

    def start(self, total: int) -> None:
        """Show the bar."""
        super().start(total)
        self._progress.start()
        self._task = self._progress.add_task("Running nodes", total=total)

    def node_completed(self, node: Node, seconds: float) -> None:
        """Advance the bar."""
        super().node_completed(node, seconds)
        self._progress.advance(self._task)

    def finish(self) -> None:
        """Remove the bar."""
        self._progress.stop()


def render_summary(
    records: Sequence[NodeRecord], measurements: Sequence[Measurement], stream: IO[str]
) -> None:
    """Write the run summary: each node's status and duration, then the measurements."""
    rows = _node_rows(records)
    write_table(stream, "Nodes", ("node", "status", "seconds"), rows)
    if measurements:
        write_table(
            stream,
            "Measurements",
            ("measurement", "unit", "count", "max", "max for"),
            _measurement_rows(measurements),
        )


def _node_rows(records: Sequence[NodeRecord]) -> list[tuple[str, ...]]:
    shown = list(records)
    if len(shown) > SUMMARY_NODE_ROWS:
        shown = sorted(records, key=lambda r: r.seconds, reverse=True)[:SUMMARY_NODE_ROWS]
    rows: list[tuple[str, ...]] = [(r.name, r.status, f"{r.seconds:.3f}") for r in shown]
    if len(records) > len(shown):
        failed = sum(r.status != "completed" for r in records)
        total = sum(r.seconds for r in records)
        rows.append(
            (f"... all {len(records)} nodes (slowest shown)", f"{failed} failed", f"{total:.3f}")
        )
    return rows


def _measurement_rows(measurements: Sequence[Measurement]) -> list[tuple[str, ...]]:
    groups: dict[tuple[str, str], list[Measurement]] = defaultdict(list)
    for measurement in measurements:
        groups[(measurement.name, measurement.unit)].append(measurement)
    rows: list[tuple[str, ...]] = []
    for (name, unit), group in sorted(groups.items()):
        top = max(group, key=lambda m: m.value)
        rows.append((name, unit, str(len(group)), f"{top.value:.4g}", top.subject()))
    return rows


def render_hook_table(implementations: Sequence[Any], stream: IO[str]) -> None:
    """Write ``hookline hooks``: every implementation with its source and firing order."""
    rows = [(i.hook, str(i.order), i.class_name, i.source) for i in implementations]
    if not rows:
        stream.write("No hook implementations are registered.\n")
        return
    write_table(stream, "Hook implementations", ("hook", "order", "class", "source"), rows)
