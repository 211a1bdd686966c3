"""What hookline-memory reports for real allocations, under SequentialRunner and ThreadRunner
(test_workers.py runs the same checks under the runners with worker processes).

Nodes and datasets allocate real numpy arrays (every page written), and the figures the
plugin publishes are checked against what was allocated: within 10%.
"""

from __future__ import annotations

import logging
import re
import resource
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import pytest

from hookline import DataCatalog, Measurement, node, pipeline
from hookline.datasets import MemoryDataset
from hookline.measurements import publishing_to
from hookline.runner import AbstractRunner, ProgressReporter, SequentialRunner, ThreadRunner
from hookline_memory import SOURCE, MemoryHooks
from hookline_memory.backends import PsutilBackend
from tests.support import SteppedClock

from .conftest import (
    MIB,
    KeptArrayDataset,
    MeasurementSink,
    SamplerSteps,
    SerialisingDataset,
    allocate,
    figures,
    manager_with,
)

SPIKE_MIB = 200
KEPT_MIB = 100


def spike(x: int) -> int:
    """Allocate SPIKE_MIB, use it, and free it before returning."""
    data = allocate(SPIKE_MIB)
    total = int(data[:1000].sum()) + x
    del data
    return total


def first(array: Any) -> int:
    return int(array[0])


def identity(x: int) -> int:
    return x


def spike_then_fail(x: int) -> int:
    data = allocate(SPIKE_MIB)
    raise RuntimeError(f"gave up after allocating {data.nbytes} bytes")


def run(
    runner: AbstractRunner, pipe: Any, catalog: DataCatalog, *hooks: object
) -> list[Measurement]:
    """Run ``pipe`` with ``hooks`` and return every measurement of the run, from whichever
    process it was taken in.

    Measurements taken in this process reach the sink here; those taken in worker processes
    reach the sinks there and come back with the nodes' results to the reporter (a session
    gathers both into ``RunResult.measurements``).
    """
    sink, reporter = MeasurementSink(), ProgressReporter()
    runner.run(pipe, catalog, manager_with(*hooks, sink), "sid", reporter)
    return sink.measurements + reporter.measurements


def assert_near(value: float, expected: float, what: str) -> None:
    assert abs(value - expected) <= 0.1 * expected, f"{what}: {value:.2f} MiB, not ~{expected}"


def test_a_node_that_allocates_and_frees_reports_its_peak_and_nothing_retained(
    runner: AbstractRunner, memory_hooks: Callable[..., MemoryHooks]
) -> None:
    measurements = run(
        runner,
        pipeline([node(spike, "x", "y", name="spike")]),
        DataCatalog({"x": MemoryDataset(1)}),
        memory_hooks(),
    )

    peak = figures(measurements, "memory.node.peak")[("spike", None)]
    delta = figures(measurements, "memory.node.delta")[("spike", None)]
    start = figures(measurements, "memory.node.start")[("spike", None)]
    assert peak >= 180
    assert_near(peak, SPIKE_MIB, "peak of node spike")
    assert abs(delta) <= 0.1 * SPIKE_MIB, f"node spike retained {delta:.2f} MiB"
    assert start > 10  # the process's own memory: an interpreter with numpy
    assert {m.unit for m in measurements} == {"MiB"}
    assert {m.source for m in measurements} == {SOURCE}


def test_a_load_that_keeps_memory_reports_it_retained(
    runner: AbstractRunner, memory_hooks: Callable[..., MemoryHooks]
) -> None:
    # Chained, so that no other operation runs at the same time (under ThreadRunner): memory
    # is the process's, and overlapping operations would share it.
    pipe = pipeline([node(identity, "x", "y", name="before"), node(first, "big", "z", name="use")])
    catalog = DataCatalog({"x": MemoryDataset(1), "big": KeptArrayDataset(KEPT_MIB)})

    measurements = run(runner, pipe, catalog, memory_hooks())

    delta = figures(measurements, "memory.load.delta")[("use", "big")]
    peak = figures(measurements, "memory.load.peak")[("use", "big")]
    assert_near(delta, KEPT_MIB, "retained by loading big")
    assert_near(peak, KEPT_MIB, "peak of loading big")
    assert ("before", "x") in figures(measurements, "memory.load.delta")


def test_a_save_is_measured(
    runner: AbstractRunner, memory_hooks: Callable[..., MemoryHooks]
) -> None:
    pipe = pipeline([node(identity, "x", "out", name="write")])
    catalog = DataCatalog({"x": MemoryDataset(1), "out": SerialisingDataset(50)})

    measurements = run(runner, pipe, catalog, memory_hooks())

    assert_near(figures(measurements, "memory.save.peak")[("write", "out")], 50, "save peak")
    assert abs(figures(measurements, "memory.save.delta")[("write", "out")]) < 5


def test_every_figure_reaches_other_sinks(
    runner: AbstractRunner,
    memory_hooks: Callable[..., MemoryHooks],
    sink: MeasurementSink,
) -> None:
    pipe = pipeline([node(identity, "x", "y", name="copy")])

    published = run(runner, pipe, DataCatalog({"x": MemoryDataset(1)}), memory_hooks(), sink)

    names = sorted((m.name, m.node, m.dataset) for m in sink.measurements)
    assert names == sorted(
        (f"memory.{kind}.{figure}", "copy", dataset)
        for kind, dataset in (("load", "x"), ("node", None), ("save", "y"))
        for figure in ("start", "delta", "peak")
    )
    assert sink.measurements == published


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/statm")
def test_the_peak_is_sampled_when_the_os_high_water_mark_cannot_tell(
    memory_hooks: Callable[..., MemoryHooks],
) -> None:
    # With the mark not reset and already far above what the node reaches, it cannot rise
    # during the node: the peak can only come from the sampler thread.
    steps = SamplerSteps()
    hooks = memory_hooks(reset_os_peak=False, sampler_steps=steps)
    high = allocate(2 * SPIKE_MIB + 100)
    del high
    with open("/proc/self/statm") as statm:
        rss = int(statm.read().split()[1]) * resource.getpagesize()
    high_water = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    assert high_water > rss + (SPIKE_MIB + 50) * MIB  # the premise of this test

    def spike_held(x: int) -> int:
        """Like spike, but let the sampler take a sample before freeing the memory."""
        data = allocate(SPIKE_MIB)
        steps.take_sample()
        del data
        return x

    measurements = run(
        SequentialRunner(),
        pipeline([node(spike_held, "x", "y", name="spike")]),
        DataCatalog({"x": MemoryDataset(1)}),
        hooks,
    )

    assert_near(figures(measurements, "memory.node.peak")[("spike", None)], SPIKE_MIB, "peak")


def test_nested_operations_each_get_the_peak_of_their_own_time(
    memory_hooks: Callable[..., MemoryHooks], sink: MeasurementSink
) -> None:
    # No runner nests a load in a node today; a runner that loads lazily would.
    steps = SamplerSteps()
    hooks = memory_hooks(reset_os_peak=False, sampler_steps=steps)
    outer = node(identity, "x", "y", name="outer")
    with publishing_to(sink.on_measurement):
        hooks.before_node_run(node=outer)
        held = allocate(50)
        hooks.before_dataset_loaded(dataset_name="inner", node=outer)
        transient = allocate(100)
        steps.take_sample()  # the OS mark, not reset, cannot tell: the sampler must see it
        del transient
        hooks.after_dataset_loaded(dataset_name="inner", node=outer)
        del held
        hooks.after_node_run(node=outer)

    node_peak = figures(sink.measurements, "memory.node.peak")[("outer", None)]
    load_peak = figures(sink.measurements, "memory.load.peak")[("outer", "inner")]
    assert_near(node_peak, 150, "the node's peak (its 50 MiB and the load's 100)")
    assert_near(load_peak, 100, "the load's peak (measured from its own start)")
    assert abs(figures(sink.measurements, "memory.node.delta")[("outer", None)]) < 5


def test_operations_of_concurrent_threads_do_not_clash(
    memory_hooks: Callable[..., MemoryHooks], caplog: pytest.LogCaptureFixture
) -> None:
    # Eight nodes on four threads, all loading the same dataset "x" at once.
    pipe = pipeline([node(identity, "x", f"y{i}", name=f"n{i}") for i in range(8)])
    hooks = memory_hooks()

    measurements = run(
        ThreadRunner(max_workers=4), pipe, DataCatalog({"x": MemoryDataset(1)}), hooks
    )

    for kind, dataset in (("load", "x"), ("node", None)):
        for figure in ("start", "delta", "peak"):
            subjects = figures(measurements, f"memory.{kind}.{figure}")
            assert set(subjects) == {(f"n{i}", dataset) for i in range(8)}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_failing_node_reports_what_it_used_before_failing(
    runner: AbstractRunner,
    memory_hooks: Callable[..., MemoryHooks],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="hookline_memory")
    sink = MeasurementSink()
    with pytest.raises(RuntimeError, match="gave up"):
        runner.run(
            pipeline([node(spike_then_fail, "x", "y", name="greedy")]),
            DataCatalog({"x": MemoryDataset(1)}),
            manager_with(memory_hooks(), sink),
        )

    peaks = [m for m in sink.measurements if m.name == "memory.node.peak"]
    assert [(m.node, m.tags) for m in peaks] == [("greedy", {"status": "failed"})]
    assert_near(peaks[0].value, SPIKE_MIB, "peak of the failed node")
    assert re.search(
        r"Running node greedy consumed -?\d+\.\d\dMiB memory \(peak \d+\.\d\dMiB\) before failing",
        caplog.text,
    )


def test_one_log_line_per_operation_above_the_threshold_in_the_seeds_words(
    memory_hooks: Callable[..., MemoryHooks], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hookline_memory")
    pipe = pipeline([node(first, "big", "y", name="use"), node(spike, "y", "z", name="spike")])
    catalog = DataCatalog({"big": KeptArrayDataset(KEPT_MIB)})

    run(SequentialRunner(), pipe, catalog, memory_hooks(threshold_mib=50))

    lines = [r.getMessage() for r in caplog.records if r.name == "hookline_memory"]
    assert len(lines) == 2, lines  # the small loads, saves and node "use" stay quiet
    assert re.fullmatch(r"Loading big consumed \d+\.\d\dMiB memory \(peak \d+\.\d\dMiB\)", lines[0])
    assert re.fullmatch(
        r"Running node spike consumed -?\d+\.\d\dMiB memory \(peak \d+\.\d\dMiB\)", lines[1]
    )


def test_measure_switches_off_loads_saves_or_nodes(
    memory_hooks: Callable[..., MemoryHooks],
) -> None:
    pipe = pipeline([node(identity, "x", "y", name="copy")])

    measurements = run(
        SequentialRunner(),
        pipe,
        DataCatalog({"x": MemoryDataset(1)}),
        memory_hooks(measure_loads=False, measure_saves=False),
    )

    assert {m.name for m in measurements} == {
        "memory.node.start",
        "memory.node.delta",
        "memory.node.peak",
    }


def test_the_sampler_thread_is_one_and_idle_between_operations(
    memory_hooks: Callable[..., MemoryHooks],
) -> None:
    hooks = memory_hooks()
    pipe = pipeline([node(identity, "x", f"y{i}", name=f"n{i}") for i in range(20)])

    for _ in range(3):
        run(ThreadRunner(max_workers=4), pipe, DataCatalog({"x": MemoryDataset(1)}), hooks)

    samplers = [t for t in threading.enumerate() if t.name == "hookline-memory-sampler"]
    assert len([t for t in samplers if t.is_alive()]) >= 1
    assert hooks._tracker.open_count == 0
    assert not hooks._tracker._armed.is_set()  # waiting, not sampling


def test_the_memory_profiler_backend_gives_the_seeds_figures(
    memory_hooks: Callable[..., MemoryHooks], caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("memory_profiler")
    caplog.set_level(logging.INFO, logger="hookline_memory")
    hooks = memory_hooks(
        backend="memory_profiler",
        interval=0.1,
        include_children=True,
        measure_saves=False,
        measure_nodes=False,
    )
    pipe = pipeline([node(first, "big", "y", name="use")])

    measurements = run(
        SequentialRunner(), pipe, DataCatalog({"big": KeptArrayDataset(KEPT_MIB)}), hooks
    )

    assert_near(figures(measurements, "memory.load.delta")[("use", "big")], KEPT_MIB, "delta")
    assert_near(figures(measurements, "memory.load.peak")[("use", "big")], KEPT_MIB, "peak")
    assert "Loading big consumed" in caplog.text


CHILD = """
import numpy as np
from hookline_memory.backends import OsPeak

peak = OsPeak(allow_reset=True)
before = peak.read()
data = np.ones(50 * 2**20 // 8)
del data
print((peak.read() - before) / 2**20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's ru_maxrss floor")
def test_the_os_mark_tells_the_peaks_of_a_process_started_by_a_bigger_one() -> None:
    # A process inherits the high-water mark of the program that exec-ed it in ru_maxrss
    # (as a ParallelRunner worker does from a big parent): the mark must still show the
    # child's own 50 MiB.
    high = allocate(2 * SPIKE_MIB)
    done = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, timeout=60
    )
    del high

    assert_near(float(done.stdout), 50, "rise of the child's high-water mark")


HOLDER = """
import sys
import numpy as np

data = np.ones(100 * 2**20 // 8)
print("ready", flush=True)
sys.stdin.read()
"""


@pytest.mark.parametrize("include_children", [True, False])
def test_include_children_adds_the_memory_of_child_processes(
    memory_hooks: Callable[..., MemoryHooks], include_children: bool
) -> None:
    clock, steps = SteppedClock(), SamplerSteps()
    hooks = memory_hooks(
        backends={"psutil": lambda config: PsutilBackend(config, clock)},
        sampler_steps=steps,
        include_children=include_children,
    )

    def start_a_child_holding_memory(x: int) -> int:
        """Run a child process that holds 100 MiB while the sampler takes a sample."""
        child = subprocess.Popen(
            [sys.executable, "-c", HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
            clock.advance(1.0)  # past the refresh: the next reading lists the children again
            steps.take_sample()
        finally:
            child.communicate("", timeout=30)
        return x

    measurements = run(
        SequentialRunner(),
        pipeline([node(start_a_child_holding_memory, "x", "y", name="parent")]),
        DataCatalog({"x": MemoryDataset(1)}),
        hooks,
    )

    peak = figures(measurements, "memory.node.peak")[("parent", None)]
    if include_children:
        assert peak >= KEPT_MIB  # the child's 100 MiB, and its interpreter
    else:
        assert peak < 20
