"""hookline-memory under ParallelRunner (spawned processes) and DaskRunner (a real
LocalCluster): the hooks run in the worker, the figures are the worker's, and they reach the
main process.

Skipped with a hookline that has no runner with worker processes.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from hookline import DataCatalog, node, pipeline
from hookline.datasets import MemoryDataset
from hookline.runner import AbstractRunner
from hookline.session import HooklineSession, RunFailed
from hookline_memory import SOURCE, MemoryHooks
from tests.support import ProjectFactory

from .conftest import WORKER_RUNNERS, KeptArrayDataset, SerialisingDataset, figures, manager_with
from .test_failures import PIPE, BrokenSamplerBackend, DeadProcessBackend
from .test_measurements import KEPT_MIB, SPIKE_MIB, assert_near, first, identity, run, spike
from .test_plugin import NODES, SMALL_MIB

pytestmark = pytest.mark.skipif(not WORKER_RUNNERS, reason="no runner with worker processes")


def test_a_node_that_allocates_and_frees_reports_its_peak_and_nothing_retained(
    worker_runner: AbstractRunner, memory_hooks: Callable[..., MemoryHooks]
) -> None:
    measurements = run(
        worker_runner,
        pipeline([node(spike, "x", "y", name="spike")]),
        DataCatalog({"x": MemoryDataset(1)}),
        memory_hooks(),
    )

    peak = figures(measurements, "memory.node.peak")[("spike", None)]
    assert peak >= 180
    assert_near(peak, SPIKE_MIB, "peak of node spike")
    assert abs(figures(measurements, "memory.node.delta")[("spike", None)]) <= 0.1 * SPIKE_MIB


def test_a_load_that_keeps_memory_reports_it_retained(
    worker_runner: AbstractRunner, memory_hooks: Callable[..., MemoryHooks]
) -> None:
    pipe = pipeline([node(first, "big", "z", name="use")])

    measurements = run(
        worker_runner, pipe, DataCatalog({"big": KeptArrayDataset(KEPT_MIB)}), memory_hooks()
    )

    assert_near(figures(measurements, "memory.load.delta")[("use", "big")], KEPT_MIB, "delta")
    assert_near(figures(measurements, "memory.load.peak")[("use", "big")], KEPT_MIB, "peak")


def test_a_save_is_measured(
    worker_runner: AbstractRunner, memory_hooks: Callable[..., MemoryHooks]
) -> None:
    pipe = pipeline([node(identity, "x", "out", name="write")])
    catalog = DataCatalog({"x": MemoryDataset(1), "out": SerialisingDataset(50)})

    measurements = run(worker_runner, pipe, catalog, memory_hooks())

    assert_near(figures(measurements, "memory.save.peak")[("write", "out")], 50, "save peak")


@pytest.mark.parametrize("backend", [DeadProcessBackend, BrokenSamplerBackend])
def test_a_failing_backend_never_fails_a_run(
    worker_runner: AbstractRunner,
    memory_hooks: Callable[..., MemoryHooks],
    backend: type[DeadProcessBackend],
) -> None:
    # The copies of the hooks in the workers build the failing backend there.
    hooks = memory_hooks(backends={"psutil": backend})

    result = worker_runner.run(PIPE, DataCatalog({"a": MemoryDataset(1)}), manager_with(hooks))

    assert result == {"c": 3}


def test_the_settings_reach_worker_processes(make_project: ProjectFactory) -> None:
    from hookline.runner import ParallelRunner

    project = make_project(
        "def double(x):\n    return x * 2\n",
        'return {"__default__": pipeline([node(double, "params:x", "y", name="double"),'
        ' node(double, "y", "z", name="again")])}',
        conf={
            "base/parameters.yml": "x: 1\n",
            "base/memory.yml": "measure:\n  nodes: false\n  saves: false\n",
        },
    )
    # The workers load the plugin afresh from its entry point, with the defaults: only
    # restore_worker_state tells them that nodes and saves are not to be measured.
    result = HooklineSession.create(Path(project)).run(runner=ParallelRunner(max_workers=2))

    ours = [m for m in result.measurements if m.source == SOURCE]
    assert {m.name for m in ours} == {"memory.load.start", "memory.load.delta", "memory.load.peak"}
    assert {m.node for m in ours} == {"double", "again"}


SUMMARY_LINE = re.compile(
    r"  (?P<rank>\d+)\. (?P<what>.+): peak (?P<peak>-?\d+\.\d\d)MiB, "
    r"consumed (?P<delta>-?\d+\.\d\d)MiB"
)
# The other product plugins stay out: these tests are about this one's figures.
ALONE = """
DISABLE_HOOKS_FOR_PLUGINS = ("hookline-mlflow", "hookline-statsd", "hookline-great-expectations")
"""
PID_NODES = """
import os


def pid(x):
    return os.getpid()
"""


def summary_lines(caplog: pytest.LogCaptureFixture) -> list[re.Match[str]]:
    """The lines of the one summary record the main process logged after the run."""
    summaries = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Memory:")]
    assert len(summaries) == 1, f"one summary after the run expected, got {summaries}"
    header, *lines = summaries[0].splitlines()
    assert header == f"Memory: the {len(lines)} operation(s) with the highest peak:"
    matches = [SUMMARY_LINE.fullmatch(line) for line in lines]
    assert all(matches), lines
    return [match for match in matches if match]


def test_the_summary_after_the_run_lists_the_workers_operations(
    worker_runner: AbstractRunner, make_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    project = make_project(
        NODES + PID_NODES,
        'return {"__default__": pipeline([node(spike, "params:x", "a", name="spike"),'
        ' node(small, "a", "b", name="small"), node(pid, "b", "worker_pid", name="where")])}',
        settings=ALONE,
        conf={"base/parameters.yml": "x: 1\n", "base/memory.yml": "top: 3\n"},
    )
    caplog.set_level(logging.INFO, logger="hookline_memory")

    result = HooklineSession.create(Path(project)).run(runner=worker_runner)

    assert result.outputs["worker_pid"] != os.getpid()  # the nodes ran in a worker process
    ours = [m for m in result.measurements if m.source == SOURCE]
    node_peaks = {m.node: m.value for m in ours if m.name == "memory.node.peak"}
    node_deltas = {m.node: m.value for m in ours if m.name == "memory.node.delta"}
    spike_line, small_line, _ = summary_lines(caplog)
    # The figures of the summary are those the workers measured, to the hundredth.
    assert spike_line["what"] == "Running node spike"
    assert float(spike_line["peak"]) == round(node_peaks["spike"], 2)
    assert float(spike_line["delta"]) == round(node_deltas["spike"], 2)
    assert float(spike_line["peak"]) >= 180
    assert_near(float(spike_line["peak"]), SPIKE_MIB, "peak of node spike in the summary")
    assert abs(float(spike_line["delta"])) <= 0.1 * SPIKE_MIB
    assert small_line["what"] == "Running node small"
    assert float(small_line["peak"]) == round(node_peaks["small"], 2)
    assert_near(float(small_line["peak"]), SMALL_MIB, "peak of node small in the summary")


def test_a_failed_run_gets_the_summary_of_the_workers_operations(
    worker_runner: AbstractRunner, make_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    project = make_project(
        NODES,
        'return {"__default__": pipeline([node(spike, "params:x", "a", name="spike"),'
        ' node(boom, "a", "b", name="boom")])}',
        settings=ALONE,
        conf={"base/parameters.yml": "x: 1\n", "base/memory.yml": "top: 1\n"},
    )
    caplog.set_level(logging.INFO, logger="hookline_memory")

    with pytest.raises(RunFailed, match="boom"):
        HooklineSession.create(Path(project)).run(runner=worker_runner)

    (spike_line,) = summary_lines(caplog)
    assert spike_line["what"] == "Running node spike"
    assert_near(float(spike_line["peak"]), SPIKE_MIB, "peak of node spike in the summary")
