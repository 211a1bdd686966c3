"""Ending the plugins' run when `kedro run` stops without telling any hook (Ctrl-C).

Kedro fires ``on_pipeline_error`` only for an ``Exception`` raised by the runner; a
``KeyboardInterrupt`` (Ctrl-C) or a ``SystemExit`` passes through, and the process exits
with the plugins' run still open (an MLflow run left RUNNING). :func:`watch` remembers
whether SIGINT arrived during the run and, when the process exits with the run still open,
calls back so the bridge fires the plugins' ``on_pipeline_error``: with a
``KeyboardInterrupt`` after Ctrl-C, so the MLflow run ends KILLED as under hookline.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any


class InterruptWatch:
    """Watches one pipeline run; :meth:`stop` once the run ended through a hook."""

    def __init__(self, on_exit: Callable[[bool], None]) -> None:
        self._on_exit = on_exit
        self._pid = os.getpid()
        self.interrupted = False
        self._previous: Any = None
        # Only the main thread may set a handler, and a program's own handler is left alone:
        # the default one is wrapped, it still raises KeyboardInterrupt.
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._on_sigint)
        atexit.register(self._exiting)

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.interrupted = True
        signal.default_int_handler(signum, frame)

    def _exiting(self) -> None:
        # A forked worker process inherits the registration; the run is the main process's.
        if os.getpid() == self._pid:
            self._on_exit(self.interrupted)

    def stop(self) -> None:
        """Put the SIGINT handler back and forget the exit callback."""
        atexit.unregister(self._exiting)
        if self._previous is not None and os.getpid() == self._pid:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, self._previous)
            self._previous = None


def watch(on_exit: Callable[[bool], None]) -> InterruptWatch:
    """Call ``on_exit(interrupted)`` if the process exits before :meth:`InterruptWatch.stop`;
    ``interrupted`` says whether SIGINT (Ctrl-C) arrived meanwhile."""
    return InterruptWatch(on_exit)
