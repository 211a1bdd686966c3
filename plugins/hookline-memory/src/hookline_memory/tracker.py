"""The operations being measured in this process, and the thread that samples their peak.

One daemon thread per process samples memory every ``interval`` seconds, but only while at
least one operation is open (it waits on an :class:`threading.Event` otherwise, costing
nothing). Every sample raises the peak of every open operation, so nested operations (a load
inside a node) and overlapping ones (nodes on ThreadRunner's threads) each get the peak of
their own time span. Memory is a property of the process, not of a thread: two operations
that overlap in time see the same samples.

The OS high-water mark completes the samples: when it rose during an operation, the process
reached a new maximum during that operation and the mark is its peak, however briefly the
memory was held. On Linux the mark is reset whenever an operation starts with no other open,
so that it rises within nearly every operation.

The pause between two samples is the tracker's ``pause`` (:func:`time.sleep` unless told
otherwise), so that a test can hold the sampler and let it take one sample at a time.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hookline_memory.backends import MemoryBackend, OsPeak


class Operation:
    """One measured load, save or node run, in bytes.

    Attributes:
        kind: ``load``, ``save`` or ``node``.
        node: The node's name.
        dataset: The dataset's name, for loads and saves.
        thread: The identity of the thread that runs it.
        start: Memory when it started.
        peak: The highest memory seen while it ran (sampled, then completed at the end).
        end: Memory when it ended (``start`` until then).
        os_peak_start: The OS high-water mark when it started (-1: there is none).
        order: When it was opened, counted among the operations of this process.
    """

    __slots__ = (
        "dataset",
        "end",
        "kind",
        "node",
        "order",
        "os_peak_start",
        "peak",
        "start",
        "thread",
    )

    def __init__(self, kind: str, node: str, dataset: str | None, start: int) -> None:
        self.kind = kind
        self.node = node
        self.dataset = dataset
        self.thread = threading.get_ident()
        self.start = start
        self.peak = start
        self.end = start
        self.os_peak_start = -1
        self.order = 0

    def finish(self, end: int, os_peak_end: int) -> None:
        """Record the memory at the end and settle the peak."""
        self.end = end
        peak = max(self.peak, end)
        # A mark that rose was set during this operation: it is this operation's peak. With
        # children included it is a lower bound of the total (the process's own share).
        if os_peak_end > self.os_peak_start >= 0:
            peak = max(peak, os_peak_end)
        self.peak = peak


class Tracker:
    """Opens and closes operations and runs the sampler thread of this process.

    Args:
        on_error: Called (from the sampler thread) with the exception a sample raised; the
            open operations have been dropped and sampling stopped by then.
        pause: Called by the sampler thread after each sample with the seconds to wait
            before the next one.
    """

    def __init__(
        self, on_error: Callable[[BaseException], None], pause: Callable[[float], None] = time.sleep
    ) -> None:
        self._on_error = on_error
        self.pause = pause
        self.backend: MemoryBackend | None = None
        self.os_peak: OsPeak | None = None
        self.interval = 0.002
        self._closed = False
        self._new_process_state()
        # Threads do not survive a fork and the lock may be held by one that did not: a
        # forked worker (ParallelRunner with fork) starts from a clean state.
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _after_fork(ref))

    def _new_process_state(self) -> None:
        self._lock = threading.Lock()
        self._armed = threading.Event()
        self._open: dict[Hashable, Operation] = {}
        # How many operations were opened so far: each operation's order among them.
        self._opened = 0
        self._thread: threading.Thread | None = None

    def configure(self, backend: MemoryBackend, os_peak: OsPeak | None, interval: float) -> None:
        """Use ``backend`` and ``os_peak`` from now on, sampling every ``interval`` seconds."""
        with self._lock:
            self.backend, self.os_peak, self.interval = backend, os_peak, interval

    @property
    def open_count(self) -> int:
        """How many operations are open."""
        return len(self._open)

    def begin(self, key: Hashable, kind: str, node: str, dataset: str | None) -> None:
        """Open an operation under ``key`` (unique among the open ones)."""
        backend = self.backend
        if backend is None:
            raise RuntimeError("Tracker.begin called before Tracker.configure")
        # Read before taking the lock: memory_profiler's reading lasts its interval.
        operation = Operation(kind, node, dataset, backend.read())
        os_peak = self.os_peak
        with self._lock:
            if not self._open:
                # With nothing else open nobody loses by a reset, and the mark then rises
                # within this operation whatever the process held before.
                if os_peak is not None:
                    os_peak.reset()
                self._armed.set()
                if self._thread is None or not self._thread.is_alive():
                    self._start_thread()
            if os_peak is not None:
                operation.os_peak_start = os_peak.read()
            self._opened += 1
            operation.order = self._opened
            self._open[key] = operation

    def end(self, key: Hashable) -> Operation | None:
        """Close the operation opened under ``key`` and return it, or ``None`` if none is."""
        with self._lock:
            operation = self._open.pop(key, None)
            if operation is None:
                return None
            os_peak_end = -1 if self.os_peak is None else self.os_peak.read()
            if not self._open:
                self._armed.clear()
        backend = self.backend
        operation.finish(operation.start if backend is None else backend.read(), os_peak_end)
        return operation

    def end_node(self, node: str) -> list[Operation]:
        """Close every operation of ``node`` open in the calling thread (after a failure)."""
        thread = threading.get_ident()
        with self._lock:
            keys = [k for k, op in self._open.items() if op.thread == thread and op.node == node]
        return [op for op in map(self.end, keys) if op is not None]

    def clear(self) -> None:
        """Drop every open operation and stop sampling until the next one opens."""
        with self._lock:
            self._open.clear()
            self._armed.clear()

    def close(self) -> None:
        """Stop the sampler thread for good (for tests and short-lived hook objects)."""
        self._closed = True
        self.clear()
        # Wake the thread so that it sees _closed and returns.
        self._armed.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._armed.clear()

    def _start_thread(self) -> None:
        self._closed = False
        # The thread holds the tracker weakly: a hook object nobody uses any more lets its
        # tracker be collected, and its thread then ends.
        thread = threading.Thread(
            target=_sample_forever,
            args=(weakref.ref(self), self._armed),
            name="hookline-memory-sampler",
            daemon=True,
        )
        self._thread = thread
        thread.start()

    def _sample_once(self) -> float | None:
        """Raise the peak of every open operation to the memory now; return the interval to
        sleep, or ``None`` when the thread must stop."""
        if self._closed:
            return None
        try:
            with self._lock:
                backend, opened = self.backend, self._opened
            if backend is None or not self._open:
                return self.interval
            # Read outside the lock (with children included a reading may take a while), and
            # give the value only to operations that were open when it was read.
            value = backend.sample()
            with self._lock:
                for operation in self._open.values():
                    if value > operation.peak and operation.order <= opened:
                        operation.peak = value
        except Exception as error:
            self.clear()
            # An exception escaping this thread would help nobody.
            with contextlib.suppress(Exception):
                self._on_error(error)
        return self.interval


def _sample_forever(ref: weakref.ref[Tracker], armed: threading.Event) -> None:
    """The sampler thread's body: sleep on ``armed``, sample while it is set."""
    while True:
        # A timeout lets the thread notice that its tracker was collected.
        if not armed.wait(timeout=60.0):
            if ref() is None:
                return
            continue
        tracker = ref()
        if tracker is None:
            return
        interval, pause = tracker._sample_once(), tracker.pause
        del tracker
        if interval is None:
            return
        pause(interval)


def _after_fork(ref: weakref.ref[Tracker]) -> None:
    tracker = ref()
    if tracker is not None:
        tracker._new_process_state()
