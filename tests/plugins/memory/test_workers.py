"""hookline-memory under ParallelRunner (spawned processes) and DaskRunner (a real
LocalCluster): the hooks run in the worker, the figures are the worker's, and they reach the
main process.

Skipped with a hookline that has no runner with worker processes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hookline import DataCatalog, node, pipeline
from hookline.datasets import MemoryDataset
from hookline.runner import AbstractRunner
from hookline.session import HooklineSession
from hookline_memory import SOURCE, MemoryHooks
from tests.core.conftest import ProjectFactory

from .conftest import WORKER_RUNNERS, KeptArrayDataset, SerialisingDataset, figures, manager_with
from .test_failures import PIPE, BrokenSamplerBackend, DeadProcessBackend
from .test_measurements import KEPT_MIB, SPIKE_MIB, assert_near, first, identity, run, spike

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
