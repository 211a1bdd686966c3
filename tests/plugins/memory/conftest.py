"""Fixtures for hookline-memory's tests: runners, real allocations, a measurement sink.

Every figure in these tests comes from real memory: numpy arrays whose pages are written
(``np.ones``), measured by the real psutil/procfs readings of the plugin.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
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
    """Make ``MemoryHooks`` with the given settings (``MemoryConfig`` fields) and backends;
    their sampler threads are stopped after the test."""
    made: list[MemoryHooks] = []

    def factory(backends: Any = None, **settings: Any) -> MemoryHooks:
        hooks = MemoryHooks(backends)
        hooks.configure(MemoryConfig(**settings))
        made.append(hooks)
        return hooks

    yield factory
    for hooks in made:
        hooks.close()


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
