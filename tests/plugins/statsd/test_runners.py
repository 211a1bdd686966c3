"""hookline-statsd under every runner, against the real StatsD daemon: what the daemon
receives for a pipeline run by SequentialRunner, ThreadRunner, ParallelRunner (spawned worker
processes) and DaskRunner (a real LocalCluster), whose workers send their own metrics."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookline import DataCatalog, node, pipeline
from hookline.datasets import MemoryDataset
from hookline.runner import AbstractRunner
from hookline.session import HooklineSession, RunFailed
from tests.integration.servers.statsd_graphite import StatsdDaemon
from tests.support import ProjectFactory

from .conftest import hooks_for, lines_of, manager_with, parse, totals, wait_for_lines
from .pipelines import fail, keep_even, make_frame, measured, names_of

ROWS = 10

PIPE = pipeline(
    [
        node(make_frame, "params:rows", "frame", name="make frame"),
        node(keep_even, "frame", "even", name="keep_even"),
        node(names_of, "even", "names", name="names_of"),
        node(measured, "names", "checked", name="measured"),
    ]
)

NODES = ("make_frame", "keep_even", "names_of", "measured")


def frame_bytes(rows: int) -> int:
    """What pandas says a frame of ``rows`` rows takes, deep."""
    return int(make_frame(rows).memory_usage(index=True, deep=True).sum())


def even_bytes(rows: int) -> int:
    return int(keep_even(make_frame(rows)).memory_usage(index=True, deep=True).sum())


def test_every_node_and_dataset_metric_reaches_the_daemon(
    runner: AbstractRunner, statsd_console: StatsdDaemon, prefix: str
) -> None:
    hooks = hooks_for(statsd_console, prefix)
    catalog = DataCatalog({"params:rows": MemoryDataset(ROWS)})

    result = runner.run(PIPE, catalog, manager_with(hooks), "sid")

    assert result == {"checked": [f"item {i}" for i in range(0, ROWS, 2)]}
    lines = wait_for_lines(
        statsd_console,
        prefix,
        lambda lines: totals(lines, "c").get("run.__default__.nodes_completed") == len(NODES),
    )
    assert statsd_console.bad_lines_seen() == 0
    counters, gauges, timers = totals(lines, "c"), totals(lines, "g"), totals(lines, "ms")
    assert counters == {
        **{f"node.{name}.success": 1.0 for name in NODES},
        "run.__default__.nodes_completed": 4.0,
    }
    assert set(timers) == {
        *(f"node.{name}.duration" for name in NODES),
        "dataset.params-rows.load_duration",
        *(
            f"dataset.{name}.{kind}_duration"
            for name in ("frame", "even", "names")
            for kind in ("load", "save")
        ),
        "dataset.checked.save_duration",
    }
    assert all(len(values) == 1 and values[0] >= 0 for values in timers.values())
    assert gauges == {
        "dataset.params-rows.bytes": 28.0,
        "dataset.frame.rows": ROWS,
        "dataset.frame.columns": 2,
        "dataset.frame.bytes": frame_bytes(ROWS),
        "dataset.even.rows": ROWS // 2,
        "dataset.even.columns": 2,
        "dataset.even.bytes": even_bytes(ROWS),
        "dataset.names.length": ROWS // 2,
        "dataset.names.bytes": pytest.approx(gauges["dataset.names.bytes"]),
        "dataset.checked.length": ROWS // 2,
        "dataset.checked.bytes": gauges["dataset.names.bytes"],
        "measurement.quality.checked.measured": 3.0,
        "measurement.quality.delta.run": -2.5,
    }
    # Deep: the list's strings are counted, not only its array of pointers.
    assert gauges["dataset.names.bytes"] > 5 * 50


def test_a_failing_node_is_counted_as_failed(
    runner: AbstractRunner, statsd_console: StatsdDaemon, prefix: str
) -> None:
    hooks = hooks_for(statsd_console, prefix)
    pipe = pipeline(
        [
            node(make_frame, "params:rows", "frame", name="make_frame"),
            node(fail, "frame", "never", name="fail"),
        ]
    )
    with pytest.raises(ValueError, match="bad row 7"):
        runner.run(pipe, DataCatalog({"params:rows": MemoryDataset(3)}), manager_with(hooks))

    lines = wait_for_lines(
        statsd_console, prefix, lambda lines: "node.fail.failure" in totals(lines, "c")
    )
    assert totals(lines, "c") == {
        "node.make_frame.success": 1.0,
        "run.__default__.nodes_completed": 1.0,
        "node.fail.failure": 1.0,
    }
    # The failed node's load was measured; its function never returned.
    names = {name for name, _, _ in parse(lines)}
    assert "dataset.frame.load_duration" in names
    assert "node.fail.duration" not in names


SESSION_NODES = """
def make_rows(rows):
    return list(range(rows))


def total(values):
    return sum(values)
"""

SESSION_REGISTRY = """return {"__default__": pipeline([
    node(make_rows, "params:rows", "values", name="make_rows"),
    node(total, "values", "sum", name="total"),
])}"""


@pytest.fixture
def project(make_project: ProjectFactory, prefix: str) -> Path:
    """A project whose statsd.yml sets the prefix (workers never read it: they get it from
    export_worker_state) and whose port comes from STATSD_PORT."""
    return make_project(
        SESSION_NODES,
        SESSION_REGISTRY,
        conf={
            "base/parameters.yml": "rows: 4\n",
            "base/statsd.yml": f"host: 127.0.0.1\nport: 9\nprefix: {prefix}\n",
        },
    )


def test_a_session_under_every_runner_sends_run_and_worker_metrics(
    runner: AbstractRunner,
    statsd_console: StatsdDaemon,
    project: Path,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The installed plugin, found through its entry point, configured by statsd.yml and the
    # environment; in worker processes a fresh copy that knows only what it was handed.
    monkeypatch.setenv("STATSD_PORT", str(statsd_console.port))

    result = HooklineSession.create(project).run(runner=runner)

    assert result.outputs == {"sum": 6}
    lines = wait_for_lines(
        statsd_console,
        prefix,
        lambda lines: (
            totals(lines, "c").get("run.__default__.nodes_completed") == 2
            and "run.__default__.count" in totals(lines, "c")
        ),
    )
    assert totals(lines, "c") == {
        "node.make_rows.success": 1.0,
        "node.total.success": 1.0,
        "run.__default__.nodes_completed": 2.0,
        "run.__default__.count": 1.0,
    }
    timers = totals(lines, "ms")
    assert {"node.make_rows.duration", "node.total.duration", "run.__default__.duration"} <= set(
        timers
    )
    assert totals(lines, "g")["dataset.values.length"] == 4
    assert statsd_console.bad_lines_seen() == 0


def test_a_failed_session_counts_the_run_failure(
    statsd_console: StatsdDaemon,
    make_project: ProjectFactory,
    prefix: str,
) -> None:
    project = make_project(
        "def boom(x):\n    raise ValueError('boom')\n",
        'return {"__default__": pipeline([node(boom, "params:x", "y", name="boom")])}',
        conf={
            "base/parameters.yml": "x: 1\n",
            "base/statsd.yml": (
                f"host: 127.0.0.1\nport: {statsd_console.port}\nprefix: {prefix}\n"
            ),
        },
    )
    with pytest.raises(RunFailed):
        HooklineSession.create(project).run()

    lines = wait_for_lines(
        statsd_console, prefix, lambda lines: "run.__default__.failures" in totals(lines, "c")
    )
    assert totals(lines, "c") == {
        "node.boom.failure": 1.0,
        "run.__default__.count": 1.0,
        "run.__default__.failures": 1.0,
    }
    assert "run.__default__.duration" in totals(lines, "ms")
    assert not [line for line in lines_of(statsd_console, prefix) if "success" in line]
