"""Names every test folder shares; the fixtures that use them are in tests/conftest.py."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
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


def hookline_command(*args: str) -> list[str]:
    """The ``hookline`` command line, run by the Python of the tests."""
    return [sys.executable, "-m", "hookline", *args]


@dataclass
class Interrupted:
    """A ``hookline run`` that was sent a signal at the point a test chose.

    Attributes:
        returncode: How the process ended.
        output: Its stdout and stderr, interleaved.
        seconds_to_exit: From the signal to the end of the process.
    """

    returncode: int
    output: str
    seconds_to_exit: float


def wait_until(
    ready: Callable[[], bool], process: subprocess.Popen[str], what: str, timeout: float = 240
) -> None:
    """Return once ``ready()`` is true: another process (``process``, or one it started) has
    reached ``what`` and said so in a file. Polled, because nothing here can be told when
    another process writes a file; the timeout only turns a run that hangs into a failure,
    and ``process`` ending first is one at once, with its output."""
    deadline = time.monotonic() + timeout
    while not ready():
        if process.poll() is not None:
            pytest.fail(f"hookline ended before {what}:\n{process.communicate()[0]}")
        if time.monotonic() > deadline:
            pytest.fail(f"the run never reached {what}")
        time.sleep(0.01)


def signal_when(
    project: Path,
    ready: Callable[[], bool],
    sig: signal.Signals,
    *args: str,
    start_timeout: float = 240,
    exit_timeout: float = 120,
) -> Interrupted:
    """Start ``hookline run <args>`` in ``project``, send ``sig`` as soon as ``ready()`` is
    true (a node wrote its marker file, a save's temporary file has grown), and wait for the
    process to end."""
    process = subprocess.Popen(
        hookline_command("run", *args),
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(ready, process, "the fault point", start_timeout)
        process.send_signal(sig)
        sent = time.monotonic()
        output, _ = process.communicate(timeout=exit_timeout)
        return Interrupted(process.returncode, output, time.monotonic() - sent)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
