"""SIGTERM and SIGHUP stop a run as Ctrl-C does, within a grace period.

``docker stop``, Kubernetes, systemd, Slurm and Airflow end a process with SIGTERM; a closed
terminal sends SIGHUP. During a run, the first of them raises :class:`~hookline.errors.Terminated`
(a ``KeyboardInterrupt``) in the main thread, as SIGINT raises ``KeyboardInterrupt``: the node
running is interrupted, the runner stops its workers, ``on_pipeline_error`` lets every plugin
end its work, and the caller decides how the process ends (``hookline run`` exits with
128 + the signal's number). A second signal, or the end of the grace period, ends the process
at once (``os._exit``) with the same code, naming what was not finished: a hung error hook
cannot keep an orchestrator waiting until it sends SIGKILL.

The grace period is :data:`DEFAULT_GRACE_SECONDS`, below Kubernetes' 30 s before SIGKILL;
``STOP_GRACE_SECONDS`` in the project's ``settings.py`` changes it, and the environment
variable ``HOOKLINE_STOP_GRACE_SECONDS`` overrides both.

Handlers are installed only in the main thread (Python delivers signals nowhere else), only
for the length of a run, and only where the signal's handler is the default one: a program
that runs hookline as a library and installed its own SIGTERM handler keeps it, and decides
itself what SIGTERM does to a run.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

from hookline.errors import ConfigError, Terminated, signal_name

#: The signals that stop a run as Ctrl-C does.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)

#: Seconds the run gets to end its work after the first signal.
DEFAULT_GRACE_SECONDS = 25.0

#: The environment variable that sets the grace period, over the project's setting.
GRACE_ENV_VAR = "HOOKLINE_STOP_GRACE_SECONDS"


def grace_seconds(setting: object = None) -> float:
    """The grace period: ``HOOKLINE_STOP_GRACE_SECONDS`` if set, else ``setting`` (the
    project's ``STOP_GRACE_SECONDS``) if not ``None``, else :data:`DEFAULT_GRACE_SECONDS`.

    Raises:
        ConfigError: If the value is not a number of seconds above 0, naming where it is set.
    """
    raw = os.environ.get(GRACE_ENV_VAR, "").strip()
    if raw:
        return _positive_seconds(raw, f"The environment variable {GRACE_ENV_VAR}")
    if setting is not None:
        return _positive_seconds(setting, "STOP_GRACE_SECONDS in settings.py")
    return DEFAULT_GRACE_SECONDS


def _positive_seconds(value: object, where: str) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = float("nan")
    if isinstance(value, bool) or not seconds > 0 or seconds == float("inf"):
        raise ConfigError(f"{where} must be a number of seconds above 0, got {value!r}.")
    return seconds


class StopGuard:
    """What a run does on SIGTERM and SIGHUP while :func:`stop_on_signals` is active.

    Args:
        grace: Seconds between the first signal and the forced exit.
        unfinished: Describes what is still running, for the line printed at a forced exit.
    """

    def __init__(self, grace: float, unfinished: Callable[[], str]) -> None:
        self.grace = grace
        self._unfinished = unfinished
        self._stopped_by: int | None = None
        self._timer: threading.Timer | None = None

    def handle(self, signum: int, frame: FrameType | None) -> None:
        """The signal handler: raise :class:`Terminated` the first time, exit at once after."""
        if self._stopped_by is not None:
            self.exit_now(f"a second {signal_name(signum)}")
        self._stopped_by = signum
        # A daemon thread: it must not keep a process alive that ended in time.
        self._timer = threading.Timer(
            self.grace, self.exit_now, (f"the end of the {self.grace:g} s grace period",)
        )
        self._timer.daemon = True
        self._timer.start()
        raise Terminated(signum)

    def exit_now(self, reason: str) -> None:
        """End the process with the first signal's exit code, after one line saying why and
        what was not finished."""
        assert self._stopped_by is not None
        try:
            sys.stderr.write(
                f"Stopped at once by {reason} after {signal_name(self._stopped_by)}; "
                f"not finished: {self._unfinished()}.\n"
            )
            sys.stderr.flush()
        finally:
            os._exit(128 + self._stopped_by)

    def cancel(self) -> None:
        """Stop the grace period's clock: the run has ended its work."""
        if self._timer is not None:
            self._timer.cancel()


@contextmanager
def stop_on_signals(grace: float, unfinished: Callable[[], str]) -> Iterator[StopGuard]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated` in the main thread (see
    the module's docstring); the previous handlers are put back afterwards.

    Outside the main thread nothing is installed, and a signal whose handler is not the
    default one (a library caller's own, or ``SIG_IGN`` under ``nohup``) is left alone.
    """
    guard = StopGuard(grace, unfinished)
    installed: dict[signal.Signals, object] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in STOP_SIGNALS:
            if signal.getsignal(sig) is signal.SIG_DFL:
                installed[sig] = signal.signal(sig, guard.handle)
    try:
        yield guard
    finally:
        guard.cancel()
        for sig, previous in installed.items():
            signal.signal(sig, previous)  # type: ignore[arg-type]
