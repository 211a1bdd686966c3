"""Names every test folder shares; the fixtures that use them are in tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hookline.runner import (
    AbstractRunner,
    DaskRunner,
    ParallelRunner,
    SequentialRunner,
    ThreadRunner,
)

#: What the ``make_project`` fixture returns: it writes a project and returns its folder.
ProjectFactory = Callable[..., Path]

RunnerFactory = Callable[[pytest.FixtureRequest], AbstractRunner]

#: Every runner of hookline, by short name, as the ``runner`` fixture gives them in turn.
RUNNERS: dict[str, RunnerFactory] = {
    "sequential": lambda request: SequentialRunner(),
    "thread": lambda request: ThreadRunner(max_workers=2),
    "parallel": lambda request: ParallelRunner(max_workers=2, mp_context="spawn"),
    # One LocalCluster of 2 worker processes per test module (the dask_cluster fixture).
    "dask": lambda request: DaskRunner(address=request.getfixturevalue("dask_cluster")),
}


class SteppedClock:
    """A monotonic clock that moves only when the test advances it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward."""
        self.now += seconds
