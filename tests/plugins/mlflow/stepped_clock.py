"""A clock the run logger's tests step by hand: time moves only when a test says so, so that
no test waits in wall time or depends on a wait being long enough. The threads that wait on
it are real; only time is stepped."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from hookline_mlflow.clock import Waitable

# Real seconds between two looks of a waiting thread at what it waits on and at the clock:
# how promptly it notices, never how long anything lasts.
_POLL = 0.005


class SteppedClock:
    """A :class:`hookline_mlflow.clock.Clock` whose time starts at 0 and moves by
    :meth:`step` only."""

    def __init__(self) -> None:
        self._now = 0.0
        self._changed = threading.Condition()
        # The threads waiting on the clock, and the time each waits for.
        self._waiting: dict[threading.Thread, float] = {}

    def monotonic(self) -> float:
        with self._changed:
            return self._now

    def step(self, seconds: float) -> None:
        """Move time forward: every wait whose time has come returns."""
        with self._changed:
            self._now += seconds
            self._changed.notify_all()

    def sleep(self, seconds: float) -> None:
        with self._changed:
            end = self._now + seconds
            self._enter(end)
            try:
                self._changed.wait_for(lambda: self._now >= end)
            finally:
                self._leave()

    def wait(self, waitable: Waitable, timeout: float) -> bool:
        with self._changed:
            end = self._now + timeout
            self._enter(end)
        try:
            if isinstance(waitable, threading.Event):
                while not waitable.wait(_POLL):
                    if self.monotonic() >= end:
                        return False
                return True
            # A condition's notify can be lost to a loop of short waits (it may come as one
            # of them ends): wait one short while and let the caller look again, as after a
            # spurious wake-up, which every caller of a condition expects.
            return waitable.wait(_POLL)
        finally:
            with self._changed:
                self._leave()

    def waiting_until(self, thread: threading.Thread, timeout: float = 60.0) -> float:
        """Block until ``thread`` waits on the clock for a time still to come (``timeout`` real
        seconds at most, a guard against a hang); return that time."""

        def waits() -> bool:
            # A wait whose time has come is returning, not waiting.
            return self._waiting.get(thread, self._now) > self._now

        with self._changed:
            if not self._changed.wait_for(waits, timeout):
                raise AssertionError(f"{thread.name} never waited on the clock")
            return self._waiting[thread]

    def _enter(self, end: float) -> None:
        # Called with the lock held.
        self._waiting[threading.current_thread()] = end
        self._changed.notify_all()

    def _leave(self) -> None:
        # Called with the lock held.
        del self._waiting[threading.current_thread()]
        self._changed.notify_all()


class Background:
    """``action`` running on a daemon thread (a hang fails the test instead of stopping the
    session)."""

    def __init__(self, action: Callable[[], Any]) -> None:
        self._action = action
        self._result: Any = None
        self._error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self._result = self._action()
        except BaseException as error:
            self._error = error

    def result(self, timeout: float = 60.0) -> Any:
        """What ``action`` returned (``timeout`` real seconds at most, a guard against a
        hang); what it raised is raised here."""
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError(f"{self._action!r} did not return")
        if self._error is not None:
            raise self._error
        return self._result
