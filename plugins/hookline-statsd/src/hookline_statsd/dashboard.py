"""The Grafana dashboard of hookline-statsd, built from the metric names the hooks send.

Every panel queries a Graphite data source with the daemon's default (legacy) namespace:
timers under ``stats.timers.<prefix>``, gauges under ``stats.gauges.<prefix>``, counters
(raw counts per flush) under ``stats_counts.<prefix>``. The prefix is the dashboard variable
``$prefix``; the data source is the variable ``$datasource`` (any Graphite data source).

``grafana/dashboard.json`` in the repository is :func:`dashboard_json` for the default prefix
(a test checks they agree); ``hookline statsd dashboard`` writes it for the prefix a project
configures. Series are named with negative ``aliasByNode`` positions, counted from the end of
the path, so that a prefix of several levels (``team.pipelines``) names them the same.
"""

from __future__ import annotations

import json
from typing import Any

from hookline_statsd.config import DEFAULT

#: The dashboard's Grafana uid (stable, so provisioning and imports replace it in place).
UID = "hookline-statsd"

_TIMERS = "stats.timers.$prefix"
_GAUGES = "stats.gauges.$prefix"
_COUNTS = "stats_counts.$prefix"
_DATASOURCE = {"type": "graphite", "uid": "${datasource}"}

#: (title, unit, panel type, Graphite targets, description), in the order of the grid.
_PANELS: list[tuple[str, str, str, list[str], str]] = [
    (
        "Node duration (mean)",
        "ms",
        "timeseries",
        [f"aliasByNode({_TIMERS}.node.*.duration.mean, -3)"],
        "Mean time of each node's function per flush interval (node.<node>.duration).",
    ),
    (
        "Node duration (p90)",
        "ms",
        "timeseries",
        [f"aliasByNode({_TIMERS}.node.*.duration.upper_90, -3)"],
        "90th percentile of each node's duration per flush interval.",
    ),
    (
        "Slowest nodes",
        "ms",
        "bargauge",
        [f"aliasByNode(highestMax({_TIMERS}.node.*.duration.upper, 10), -3)"],
        "The 10 nodes with the longest single run in the time range.",
    ),
    (
        "Node successes and failures",
        "short",
        "timeseries",
        [f"aliasByNode({_COUNTS}.node.*.{{success,failure}}, -2, -1)"],
        "Nodes that completed (with their saves) and nodes that failed, per flush interval.",
    ),
    (
        "Dataset rows and columns",
        "short",
        "timeseries",
        [
            f"aliasByNode({_GAUGES}.dataset.*.rows, -2, -1)",
            f"aliasByNode({_GAUGES}.dataset.*.columns, -2, -1)",
        ],
        "Rows and columns of the data frames and arrays loaded and saved.",
    ),
    (
        "Dataset bytes",
        "bytes",
        "timeseries",
        [f"aliasByNode({_GAUGES}.dataset.*.bytes, -2)"],
        "Deep size of the data loaded and saved, where it can be measured.",
    ),
    (
        "Dataset lengths",
        "short",
        "timeseries",
        [f"aliasByNode({_GAUGES}.dataset.*.length, -2)"],
        "Length of the lists, dicts, strings and bytes loaded and saved.",
    ),
    (
        "Dataset load and save duration (mean)",
        "ms",
        "timeseries",
        [
            f"aliasByNode({_TIMERS}.dataset.*.load_duration.mean, -3, -2)",
            f"aliasByNode({_TIMERS}.dataset.*.save_duration.mean, -3, -2)",
        ],
        "Mean time of each dataset's loads and saves per flush interval.",
    ),
    (
        "Dataset loads and saves",
        "short",
        "timeseries",
        [
            f"aliasByNode({_TIMERS}.dataset.*.load_duration.count, -3, -2)",
            f"aliasByNode({_TIMERS}.dataset.*.save_duration.count, -3, -2)",
        ],
        "How many times each dataset was loaded and saved, per flush interval.",
    ),
    (
        "Runs and failures",
        "short",
        "timeseries",
        [f"aliasByNode({_COUNTS}.run.*.{{count,failures,nodes_completed}}, -2, -1)"],
        "Runs finished or failed, failed runs, and nodes completed, per pipeline.",
    ),
    (
        "Run duration",
        "ms",
        "timeseries",
        [f"aliasByNode({_TIMERS}.run.*.duration.mean, -3)"],
        "Wall time of each run, per pipeline.",
    ),
    (
        "Memory peaks (hookline-memory)",
        "decmbytes",
        "timeseries",
        [f"aliasByNode({_GAUGES}.measurement.memory.*.peak.*, -3, -1)"],
        "How far memory rose above its start during each load, save and node "
        "(memory.<kind>.peak, published by hookline-memory).",
    ),
    (
        "Regressions",
        "short",
        "timeseries",
        [f"aliasByNode({_GAUGES}.measurement.regression.*.*, -2, -1)"],
        "Regressions the run history's guard found, as <kind>.<node or dataset>: a node slower, "
        "a memory peak higher, fewer rows, a validation failing where its baseline passed "
        "(measurement.regression.<kind>.<subject>, 1 per regression). Alert on any point.",
    ),
]


def dashboard(prefix: str = DEFAULT.prefix) -> dict[str, Any]:
    """The Grafana dashboard, with ``prefix`` as the default of its ``$prefix`` variable.

    Args:
        prefix: The metric prefix the project sends with (``prefix`` in ``statsd.yml``).
    """
    panels = []
    for index, (title, unit, kind, targets, description) in enumerate(_PANELS):
        panels.append(_panel(index + 1, title, unit, kind, targets, description))
    return {
        "title": "hookline pipelines",
        "uid": UID,
        "description": "Node, dataset and run metrics sent by hookline-statsd, from Graphite.",
        "tags": ["hookline", "statsd", "graphite"],
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "annotations": {"list": []},
        "links": [],
        "templating": {
            "list": [
                {
                    "name": "datasource",
                    "label": "Graphite",
                    "type": "datasource",
                    "query": "graphite",
                    "current": {},
                    "hide": 0,
                    "refresh": 1,
                },
                {
                    "name": "prefix",
                    "label": "Prefix",
                    "type": "textbox",
                    "query": prefix,
                    "current": {"selected": False, "text": prefix, "value": prefix},
                    "options": [{"selected": True, "text": prefix, "value": prefix}],
                    "hide": 0,
                    "description": "The prefix of hookline-statsd (prefix in statsd.yml).",
                },
            ]
        },
        "panels": panels,
    }


def dashboard_json(prefix: str = DEFAULT.prefix) -> str:
    """:func:`dashboard` as the JSON text Grafana imports (indented, ending in a newline)."""
    return json.dumps(dashboard(prefix), indent=2) + "\n"


def _panel(
    panel_id: int, title: str, unit: str, kind: str, targets: list[str], description: str
) -> dict[str, Any]:
    width = 12
    # Two panels per row, each 8 units high.
    grid = {"h": 8, "w": width, "x": ((panel_id - 1) % 2) * width, "y": ((panel_id - 1) // 2) * 8}
    panel: dict[str, Any] = {
        "id": panel_id,
        "type": kind,
        "title": title,
        "description": description,
        "datasource": dict(_DATASOURCE),
        "gridPos": grid,
        "targets": [
            {"refId": chr(ord("A") + i), "target": target, "datasource": dict(_DATASOURCE)}
            for i, target in enumerate(targets)
        ],
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
    }
    if kind == "bargauge":
        panel["options"] = {
            "reduceOptions": {"calcs": ["max"], "fields": "", "values": False},
            "orientation": "horizontal",
            "displayMode": "gradient",
        }
    else:
        panel["fieldConfig"]["defaults"]["custom"] = {
            "drawStyle": "points" if unit == "short" else "line",
            "pointSize": 6,
            "spanNulls": True,
            "showPoints": "always",
        }
        panel["options"] = {"legend": {"displayMode": "table", "placement": "right"}}
    return panel
