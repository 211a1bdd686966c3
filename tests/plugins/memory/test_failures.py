"""Monitoring never fails a run: whatever breaks in hookline-memory is logged once, and the
run goes on.

The failures are real: psutil raising ``NoSuchProcess`` because the backend reads the memory
of a process that has exited, and a sink of another plugin that raises. They are put in
through the plugin's own configuration point, the ``backends`` the hook object is built with.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from hookline import DataCatalog, Measurement, Pipeline, hook_impl, node, pipeline
from hookline.datasets import MemoryDataset
from hookline.runner import AbstractRunner, ProgressReporter, SequentialRunner
from hookline_memory import MemoryConfig, MemoryHooks
from hookline_memory.backends import PsutilBackend

from .conftest import DeadProcessBackend, MeasurementSink, allocate, manager_with


class BrokenSamplerBackend(DeadProcessBackend):
    """Reads this process at start and end, but samples a process that is gone."""

    def __init__(self, config: MemoryConfig) -> None:
        super().__init__(config)
        self._own = PsutilBackend(config)

    def read(self) -> int:
        return self._own.read()

    def sample(self) -> int:
        return int(self._process.memory_info().rss)


class RaisingSink:
    """Another plugin's sink that fails on every measurement."""

    @hook_impl
    def on_measurement(self, measurement: Measurement) -> None:
        raise ConnectionError("metrics server went away")


def hold(x: int) -> int:
    """Allocate 20 MiB and free it."""
    data = allocate(20)
    del data
    return x + 1


PIPE = pipeline([node(hold, "a", "b", name="n1"), node(hold, "b", "c", name="n2")])


@pytest.fixture
def stopped_measuring() -> Iterator[threading.Event]:
    """Set when hookline-memory warns: it has stopped measuring by then."""
    stopped = threading.Event()

    class Warned(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            stopped.set()

    handler, plugin_logger = Warned(logging.WARNING), logging.getLogger("hookline_memory")
    plugin_logger.addHandler(handler)
    yield stopped
    plugin_logger.removeHandler(handler)


def failing_in_n1(stopped: threading.Event) -> Pipeline:
    """PIPE, with n1 holding its memory until the plugin stopped measuring: a backend that
    fails (at a reading, or at a sample of the sampler thread) has failed within n1."""

    def hold_until_stopped(x: int) -> int:
        data = allocate(20)
        assert stopped.wait(60), "hookline-memory did not stop measuring within 60 s"
        del data
        return x + 1

    return pipeline(
        [node(hold_until_stopped, "a", "b", name="n1"), node(hold, "b", "c", name="n2")]
    )


def warnings_of_plugin(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "hookline_memory" and r.levelno >= logging.WARNING
    ]


def run(runner: AbstractRunner, *hooks: object, pipe: Pipeline = PIPE) -> dict[str, Any]:
    return runner.run(pipe, DataCatalog({"a": MemoryDataset(1)}), manager_with(*hooks), "sid")


@pytest.mark.parametrize("backend", [DeadProcessBackend, BrokenSamplerBackend])
def test_a_failing_backend_never_fails_the_run(
    runner: AbstractRunner,
    memory_hooks: Callable[..., MemoryHooks],
    backend: type[DeadProcessBackend],
    stopped_measuring: threading.Event,
) -> None:
    hooks = memory_hooks(backends={"psutil": backend})

    assert run(runner, hooks, pipe=failing_in_n1(stopped_measuring)) == {"c": 3}


@pytest.mark.parametrize("backend", [DeadProcessBackend, BrokenSamplerBackend])
def test_a_failing_backend_is_logged_once(
    memory_hooks: Callable[..., MemoryHooks],
    caplog: pytest.LogCaptureFixture,
    backend: type[DeadProcessBackend],
    stopped_measuring: threading.Event,
) -> None:
    hooks = memory_hooks(backends={"psutil": backend})
    sink = MeasurementSink()

    run(SequentialRunner(), hooks, sink, pipe=failing_in_n1(stopped_measuring))

    (warning,) = warnings_of_plugin(caplog)
    assert "hookline-memory stopped measuring memory for the rest of this run" in warning
    assert "NoSuchProcess" in warning
    # Measuring stopped at the failure: nothing after it is published.
    published = {m.node for m in sink.measurements}
    assert "n2" not in published


def test_a_raising_sink_of_another_plugin_never_fails_the_run_and_is_logged_once(
    memory_hooks: Callable[..., MemoryHooks], caplog: pytest.LogCaptureFixture
) -> None:
    result = run(SequentialRunner(), memory_hooks(), RaisingSink())

    assert result == {"c": 3}
    (warning,) = warnings_of_plugin(caplog)
    assert "ConnectionError: metrics server went away" in warning


def test_measuring_resumes_with_the_next_run(
    memory_hooks: Callable[..., MemoryHooks],
    caplog: pytest.LogCaptureFixture,
    stopped_measuring: threading.Event,
) -> None:
    hooks = memory_hooks(backends={"psutil": BrokenSamplerBackend})
    run(SequentialRunner(), hooks, pipe=failing_in_n1(stopped_measuring))
    assert len(warnings_of_plugin(caplog)) == 1

    hooks.backends["psutil"] = PsutilBackend
    hooks.configure(hooks.config)  # rebuild the backend, as a new after_context_created does
    hooks.before_pipeline_run()
    sink, reporter = MeasurementSink(), ProgressReporter()
    SequentialRunner().run(
        PIPE, DataCatalog({"a": MemoryDataset(1)}), manager_with(hooks, sink), "sid", reporter
    )

    assert {m.node for m in sink.measurements} == {"n1", "n2"}
    assert len(warnings_of_plugin(caplog)) == 1
