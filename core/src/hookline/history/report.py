"""``hookline runs report``: one self-contained HTML page about a recorded run.

The page shows the timeline of the run's nodes per worker (a Gantt chart), each node's
duration and memory peak next to its baseline, the measurements, the regressions and the
error of a failed run. The charts are plotly's, with plotly.js embedded in the file, so it
opens without a network. plotly is imported only here (``pip install "hookline[report]"``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from hookline.errors import ConfigError
from hookline.history.baseline import Baseline
from hookline.history.guard import Regression
from hookline.history.records import RunRecord

#: The measurement whose per-node peak is charted against its baseline (hookline-memory's).
NODE_PEAK = "memory.node.peak"


def render_report(record: RunRecord, baseline: Baseline, regressions: Sequence[Regression]) -> str:
    """The HTML page about ``record``, compared with ``baseline``.

    Raises:
        ConfigError: If plotly is not installed.
    """
    figures = [_timeline(record), _against_baseline(record, baseline)]
    charts = [
        figure.to_html(full_html=False, include_plotlyjs=index == 0)
        for index, figure in enumerate(figures)
    ]
    title = f"hookline run {record.run_id}"
    sections = [
        f"<h1>{_e(title)}</h1>",
        f"<p>{_e(_headline(record))}</p>",
        _error(record),
        "<h2>Timeline</h2>",
        charts[0],
        "<h2>Against the baseline</h2>",
        f"<p>Median over {baseline.runs} earlier successful run(s) of this pipeline.</p>",
        charts[1],
        "<h2>Regressions</h2>",
        _regressions(regressions),
        "<h2>Nodes</h2>",
        _node_table(record, baseline),
        "<h2>Measurements</h2>",
        _measurement_table(record),
    ]
    body = "\n".join(section for section in sections if section)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        f"<style>{_STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _plotly() -> Any:
    try:
        import plotly.graph_objects as go
    except ImportError:
        raise ConfigError('The run report needs plotly: pip install "hookline[report]".') from None
    return go


def _timeline(record: RunRecord) -> Any:
    """A Gantt chart: one row per worker, one bar per node from its start to its end."""
    go = _plotly()
    start = min((n.started for n in record.nodes), default=record.started)
    colours = {"completed": "#4c78a8", "failed": "#e45756"}
    figure = go.Figure()
    for status, colour in colours.items():
        nodes = [n for n in record.nodes if n.status == status]
        if nodes:
            figure.add_bar(
                name=status,
                orientation="h",
                y=[n.worker for n in nodes],
                base=[n.started - start for n in nodes],
                x=[max(n.duration, 1e-4) for n in nodes],
                text=[n.name for n in nodes],
                textposition="inside",
                insidetextanchor="middle",
                marker_color=colour,
                hovertemplate="%{text}: %{x:.3f} s from %{base:.3f} s<extra></extra>",
            )
    figure.update_layout(
        barmode="overlay",
        xaxis_title="seconds since the first node started",
        yaxis_title="worker",
        height=160 + 40 * len({n.worker for n in record.nodes}),
        margin={"t": 20},
    )
    return figure


def _against_baseline(record: RunRecord, baseline: Baseline) -> Any:
    """Each node's seconds (and memory peak, when measured) next to its baseline."""
    from plotly.subplots import make_subplots

    go = _plotly()
    names = [n.name for n in record.nodes]
    peaks = {m.node: m.value for m in record.measurements if m.name == NODE_PEAK and m.node}
    rows = 2 if peaks else 1
    titles = ["seconds", "memory peak (MiB)"][:rows]
    figure = make_subplots(rows=rows, cols=1, subplot_titles=titles, vertical_spacing=0.15)
    figure.add_trace(go.Bar(name="this run", x=names, y=[n.duration for n in record.nodes],
                            marker_color="#4c78a8"), row=1, col=1)  # fmt: skip
    figure.add_trace(go.Bar(name="baseline", x=names, marker_color="#bab0ac",
                            y=[baseline.durations.get(name) for name in names]),
                     row=1, col=1)  # fmt: skip
    if peaks:
        base_peaks = {
            node: value for (name, node, dataset), value in baseline.figures.items()
            if name == NODE_PEAK and dataset is None
        }  # fmt: skip
        this_run = go.Bar(
            name="this run", x=names, y=[peaks.get(n) for n in names], marker_color="#4c78a8",
            showlegend=False,
        )  # fmt: skip
        before = go.Bar(
            name="baseline", x=names, y=[base_peaks.get(n) for n in names],
            marker_color="#bab0ac", showlegend=False,
        )  # fmt: skip
        figure.add_trace(this_run, row=2, col=1)
        figure.add_trace(before, row=2, col=1)
    figure.update_layout(barmode="group", height=320 * rows, margin={"t": 40})
    return figure


def _node_table(record: RunRecord, baseline: Baseline) -> str:
    rows = [
        (n.name, n.status, n.worker, f"{n.duration:.3f}", _seconds(baseline.durations.get(n.name)))
        for n in record.nodes
    ]
    return _table(("node", "status", "worker", "seconds", "baseline seconds"), rows)


def _measurement_table(record: RunRecord) -> str:
    return _table(
        ("measurement", "node", "dataset", "value", "unit"),
        [
            (m.name, m.node or "", m.dataset or "", f"{m.value:.4g}", m.unit)
            for m in record.measurements
        ],
    )


def _headline(record: RunRecord) -> str:
    started = datetime.fromtimestamp(record.started, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    return (
        f"Pipeline {record.pipeline}, {record.status}, {record.runner}, env {record.env or '-'}, "
        f"started {started} UTC, {record.duration:.3f} s, commit {record.git_commit or '-'}."
    )


def _error(record: RunRecord) -> str:
    if not record.error:
        return ""
    return f'<h2>Error</h2>\n<pre class="error">{_e(record.error)}</pre>'


def _regressions(regressions: Sequence[Regression]) -> str:
    if not regressions:
        return "<p>None.</p>"
    return _table(
        ("kind", "of", "figure", "this run", "baseline"),
        [(r.kind, r.subject, r.figure, f"{r.value:.4g}", f"{r.baseline:.4g}") for r in regressions],
    )


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{_e(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_e(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _e(text: str) -> str:
    return html.escape(str(text))


_STYLE = (
    "body{font-family:sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin-bottom:1.5em}"
    "th,td{border:1px solid #ccc;padding:0.2em 0.6em;text-align:left}"
    "pre.error{background:#fdecea;padding:1em;white-space:pre-wrap}"
)
