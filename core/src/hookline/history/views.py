"""Recorded runs turned into what people read: the run summary's inputs, and a comparison."""

from __future__ import annotations

from typing import IO, TYPE_CHECKING, Any

from hookline.history.records import RunRecord
from hookline.tables import write_table

# Imported only where used: ``hookline runs compare`` needs none of them.
if TYPE_CHECKING:
    from hookline.history.guard import RegressionReport
    from hookline.measurements import Measurement
    from hookline.runner.progress import NodeRecord


def as_summary(record: RunRecord) -> tuple[list[NodeRecord], list[Measurement]]:
    """The node records and measurements of ``record``, as the run summary takes them."""
    from hookline.measurements import Measurement
    from hookline.runner.progress import NodeRecord

    nodes = [NodeRecord(n.name, n.duration, n.status, n.ended, n.worker) for n in record.nodes]
    measurements = [
        Measurement(m.name, m.value, m.unit, m.node, m.dataset, m.source)
        for m in record.measurements
    ]
    return nodes, measurements


def compare_runs(first: RunRecord, second: RunRecord) -> dict[str, Any]:
    """Each node's seconds and each measurement in both runs, with the change.

    A measurement taken several times for one subject (a memory peak per save) is compared by
    its largest value. Something only one run has shows ``None`` for the other.
    """
    return {
        "first": first.run_id,
        "second": second.run_id,
        "nodes": [
            {"node": name, **_change(a, b)}
            for name, (a, b) in _paired(_durations(first), _durations(second)).items()
        ],
        "measurements": [
            {"measurement": name, "of": subject, "unit": unit, **_change(a, b)}
            for (name, subject, unit), (a, b) in _paired(
                _measurements(first), _measurements(second)
            ).items()
        ],
    }


def _durations(record: RunRecord) -> dict[str, float]:
    return dict(zip(record.nodes.names, record.nodes.durations, strict=True))


def _measurements(record: RunRecord) -> dict[tuple[str, str, str], float]:
    peaks: dict[tuple[str, str, str], float] = {}
    for m in record.measurements:
        key = (m.name, m.dataset or m.node or "run", m.unit)
        peaks[key] = max(peaks.get(key, m.value), m.value)
    return peaks


def _paired(first: dict[Any, float], second: dict[Any, float]) -> dict[Any, tuple[Any, Any]]:
    keys = list(first) + [key for key in second if key not in first]
    return {key: (first.get(key), second.get(key)) for key in keys}


def _change(first: float | None, second: float | None) -> dict[str, float | None]:
    change = None if first is None or second is None else second - first
    percent = None if change is None or not first else 100 * change / first
    return {"first": first, "second": second, "change": change, "change_percent": percent}


def render_regressions(report: RegressionReport, stream: IO[str]) -> None:
    """Write the regressions of a run after its summary (nothing when it had a baseline and
    no regression; the lack of a baseline is logged once by the guard)."""
    if not report.found:
        return
    write_table(
        stream,
        f"Regressions (against the median of {report.baseline_runs} earlier runs)",
        ("kind", "of", "figure", "this run", "baseline"),
        [
            (r.kind, r.subject, r.figure, f"{r.value:.4g}", f"{r.baseline:.4g}")
            for r in report.found
        ],
    )
