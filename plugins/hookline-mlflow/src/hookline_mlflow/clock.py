"""The time the run logger reads and waits by: the system's, unless a test steps its own.

:class:`hookline_mlflow.run_logger.RunLogger` takes a :class:`Clock` so that its tests move
time forward by hand instead of waiting in wall time; every run uses :data:`SYSTEM_CLOCK`.
"""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["SYSTEM_CLOCK", "Clock", "SystemClock", "Waitable"]


class Waitable(Protocol):
    """What a thread waits on: a ``threading.Event``, or a ``threading.Condition`` it holds."""

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until signalled or ``timeout`` seconds passed; whether it was signalled."""


class Clock(Protocol):
    """Reading time and waiting for it to pass."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary start, never going back."""

    def sleep(self, seconds: float) -> None:
        """Return once ``seconds`` passed."""

    def wait(self, waitable: Waitable, timeout: float) -> bool:
        """Wait on ``waitable`` for at most ``timeout`` seconds; whether it was signalled."""


class SystemClock:
    """The system's monotonic clock and its waits."""

    def monotonic(self) -> float:
        """``time.monotonic()``."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        """``time.sleep(seconds)``."""
        time.sleep(seconds)

    def wait(self, waitable: Waitable, timeout: float) -> bool:
        """``waitable.wait(timeout)``."""
        return waitable.wait(timeout)


#: The clock of every run.
SYSTEM_CLOCK: Clock = SystemClock()
