"""Fixtures for hookline-memory's tests: runners, real allocations, a measurement sink.

Every figure in these tests comes from real memory: numpy arrays whose pages are written
(``np.ones``), measured by the real psutil/procfs readings of the plugin.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import psutil
import pytest

from hookline import Measurement, hook_impl
from hookline.datasets import AbstractDataset
from hookline.hooks.manager import HookManager, create_hook_manager
from hookline.runner import AbstractRunner
from hookline_memory import MemoryConfig, MemoryHooks
from tests.support import RUNNERS

MIB = 1024 * 1024


def allocate(mib: float) -> np.ndarray[Any, Any]:
    """An array of ``mib`` MiB whose every page has been written (so it is resident)."""
    return np.ones(int(mib * MIB) // 8)


#: The runners that keep everything in this process.
IN_PROCESS_RUNNERS = {name: RUNNERS[name] for name in ("sequential", "thread")}

#: The runners with worker processes (Dask where it is installed). Their tests live in
#: test_workers.py: the Dask scheduler runs in this process, in threads whose allocations
#: would show in the figures of the in-process runners' tests.
WORKER_RUNNERS = {
    name: RUNNERS[name]
    for name in ("parallel", "dask")
    if name != "dask" or importlib.util.find_spec("distributed") is not None
}


@pytest.fixture(params=sorted(IN_PROCESS_RUNNERS))
def runner(request: pytest.FixtureRequest) -> AbstractRunner:
    """SequentialRunner and ThreadRunner in turn."""
    return IN_PROCESS_RUNNERS[request.param](request)


@pytest.fixture(params=sorted(WORKER_RUNNERS))
def worker_runner(request: pytest.FixtureRequest) -> AbstractRunner:
    """ParallelRunner (spawn) and DaskRunner (a real LocalCluster) in turn."""
    return WORKER_RUNNERS[request.param](request)


class MeasurementSink:
    """A sink as another plugin would write one: keeps every measurement it is given."""

    def __init__(self) -> None:
        self.measurements: list[Measurement] = []
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"measurements": []}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__()  # type: ignore[misc]

    @hook_impl
    def on_measurement(self, measurement: Measurement) -> None:
        """Keep ``measurement``."""
        with self._lock:
            self.measurements.append(measurement)


@pytest.fixture
def sink() -> MeasurementSink:
    """A fresh measurement sink."""
    return MeasurementSink()


@pytest.fixture
def memory_hooks() -> Iterator[Callable[..., MemoryHooks]]:
    """Make ``MemoryHooks`` with the given settings (``MemoryConfig`` fields), backends and
    sampler steps; their sampler threads are stopped after the test."""
    made: list[MemoryHooks] = []
    stepped: list[SamplerSteps] = []

    def factory(
        backends: Any = None, sampler_steps: SamplerSteps | None = None, **settings: Any
    ) -> MemoryHooks:
        if sampler_steps is None:
            hooks = MemoryHooks(backends)
        else:
            hooks = MemoryHooks(backends, sampler_pause=sampler_steps)
            stepped.append(sampler_steps)
        hooks.configure(MemoryConfig(**settings))
        made.append(hooks)
        return hooks

    yield factory
    for steps in stepped:
        steps.release()
    for hooks in made:
        hooks.close()


class SamplerSteps:
    """The memory sampler's pause between two samples, held until the test lets it go on.

    Given to ``MemoryHooks`` as ``sampler_pause``: the sampler thread then takes a sample
    only when :meth:`take_sample` lets it, and the test knows that it did, instead of sleeping
    and hoping the sampler ran meanwhile.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._pauses_begun = 0
        self._pauses_ended = 0
        self._released = False

    def __call__(self, seconds: float) -> None:
        with self._changed:
            self._pauses_begun += 1
            mine = self._pauses_begun
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._released or self._pauses_ended >= mine)

    def take_sample(self) -> None:
        """Let the sampler take one sample that starts now, and wait until it has.

        Call it while an operation is open (the sampler samples only then).
        """
        with self._changed:
            # Ending pause n lets sample n + 1 start; it is over when pause n + 1 begins.
            self._pauses_ended += 1
            self._changed.notify_all()
            if not self._changed.wait_for(
                lambda: self._pauses_begun > self._pauses_ended, timeout=60
            ):
                raise AssertionError("the memory sampler took no sample within 60 s")

    def release(self) -> None:
        """Let the sampler run freely from now on (before it is stopped)."""
        with self._changed:
            self._released = True
            self._changed.notify_all()


def manager_with(*hooks: object) -> HookManager:
    """A hook manager with only ``hooks`` (no installed plugin)."""
    return create_hook_manager(hooks, load_entry_points=False)


def figures(measurements: list[Measurement], name: str) -> dict[tuple[Any, Any], float]:
    """(node, dataset) -> value of every measurement called ``name``."""
    found = [m for m in measurements if m.name == name]
    by_subject = {(m.node, m.dataset): m.value for m in found}
    assert len(by_subject) == len(found), f"{name} published twice for one operation: {found}"
    return by_subject


class KeptArrayDataset(AbstractDataset):
    """Loads a new array of ``mib`` MiB each time and keeps it, as a caching dataset would."""

    def __init__(self, mib: float) -> None:
        self.mib = mib
        self.kept: list[Any] = []

    def __getstate__(self) -> dict[str, Any]:
        return {"mib": self.mib, "kept": []}

    def load(self) -> Any:
        data = allocate(self.mib)
        self.kept.append(data)
        return data

    def save(self, data: Any) -> None:
        raise NotImplementedError("read-only")

    def exists(self) -> bool:
        return True

    def describe(self) -> dict[str, Any]:
        return {"mib": self.mib}


class SerialisingDataset(AbstractDataset):
    """Saves by making a temporary copy of ``mib`` MiB (as a serialiser does) and dropping it."""

    def __init__(self, mib: float) -> None:
        self.mib = mib
        self.saved = 0

    def load(self) -> Any:
        return self.saved

    def save(self, data: Any) -> None:
        buffer = allocate(self.mib)
        self.saved = int(buffer[0]) + int(data)
        del buffer

    def exists(self) -> bool:
        return True

    def describe(self) -> dict[str, Any]:
        return {"mib": self.mib}


def exited_process() -> psutil.Process:
    """A psutil handle on a process that has exited: every reading of it raises."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    process = psutil.Process(child.pid)
    child.wait()
    return process


class DeadProcessBackend:
    """Reads the memory of a process that is gone, at every start and end: psutil raises."""

    def __init__(self, config: MemoryConfig) -> None:
        self._process = exited_process()

    def read(self) -> int:
        return int(self._process.memory_info().rss)

    def sample(self) -> int:
        return self.read()
