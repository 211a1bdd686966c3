"""How memory is read: the backends ``memory.yml`` chooses from, and the OS high-water mark.

A backend answers two questions, both in bytes: :meth:`MemoryBackend.read` at the start and
the end of an operation (in the thread that runs it) and :meth:`MemoryBackend.sample` many
times a second from the sampler thread, so ``sample`` must cost microseconds.

psutil is imported when a backend is built, never when the plugin is imported.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

from hookline_memory.config import MemoryConfig

MIB = 1024 * 1024

# Children come and go far less often than the sampler reads; listing them means walking
# every process of the machine (about 1 ms), so the list is refreshed at most this often.
_CHILDREN_REFRESH_SECONDS = 0.1


class MemoryBackend(Protocol):
    """Reads the memory of the current process (and, if configured, of its children)."""

    def read(self) -> int:
        """Return the memory in bytes at an operation's start or end."""

    def sample(self) -> int:
        """Return the memory in bytes now, cheaply: called by the sampler thread."""


#: What ``backend:`` names in ``memory.yml`` map to: a callable building the backend.
BackendFactory = Callable[[MemoryConfig], MemoryBackend]


class ResidentMemory:
    """The resident set size (RSS) of this process, plus its children's if asked.

    On Linux the figure is read from ``/proc/<pid>/statm`` through a file kept open, which
    is what psutil's ``Process().memory_info().rss`` reads too, for about 1.5 us instead of
    psutil's 16 us; elsewhere it comes from psutil.

    Args:
        include_children: Add the RSS of every child process, listed again at most every
            0.1 s.
        clock: The seconds of a monotonic clock, which times the listing of the children.
    """

    def __init__(
        self, include_children: bool = False, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.include_children = include_children
        self._clock = clock
        self._pid = -1
        self._statm: int | None = None
        self._page_size = 4096
        self._psutil_process: Any = None
        self._children: list[Any] = []
        self._children_listed_at = float("-inf")
        self._open()

    def _open(self) -> None:
        """(Re)open what reading needs, for the current process (again after a fork)."""
        self.close()
        self._pid = os.getpid()
        self._children = []
        self._children_listed_at = float("-inf")
        self._psutil_process = None
        if sys.platform.startswith("linux"):
            try:
                self._statm = os.open(f"/proc/{self._pid}/statm", os.O_RDONLY | os.O_CLOEXEC)
                self._page_size = os.sysconf("SC_PAGE_SIZE")
            except OSError:  # /proc not mounted (some sandboxes): psutil knows other ways
                self._statm = None
        if self._statm is None or self.include_children:
            import psutil

            self._psutil_process = psutil.Process(self._pid)

    def __call__(self) -> int:
        """Return the RSS in bytes, children included when configured."""
        if self._pid != os.getpid():  # a forked child inherited this object
            self._open()
        if self._statm is not None:
            # statm: "size resident shared text lib data dt", in pages.
            rss = int(os.pread(self._statm, 128, 0).split()[1]) * self._page_size
        else:
            rss = int(self._psutil_process.memory_info().rss)
        if self.include_children:
            rss += self._children_rss()
        return rss

    def _children_rss(self) -> int:
        import psutil

        now = self._clock()
        if now - self._children_listed_at > _CHILDREN_REFRESH_SECONDS:
            try:
                self._children = self._psutil_process.children(recursive=True)
            except psutil.Error:
                self._children = []
            self._children_listed_at = now
        total = 0
        for child in self._children:
            try:
                total += child.memory_info().rss
            except psutil.Error:  # it ended, or is not ours to read: it holds nothing then
                continue
        return total

    def close(self) -> None:
        """Close the file kept open (also done when the object is collected)."""
        statm, self._statm = getattr(self, "_statm", None), None
        if statm is not None:
            os.close(statm)

    def __del__(self) -> None:
        self.close()


class PsutilBackend:
    """The default backend: the process's RSS, read in microseconds, at start, end and for
    every sample.

    Args:
        config: The settings; ``include_children`` adds the RSS of child processes.
        clock: Times the listing of the child processes (see :class:`ResidentMemory`).
    """

    def __init__(self, config: MemoryConfig, clock: Callable[[], float] = time.monotonic) -> None:
        self._rss = ResidentMemory(config.include_children, clock)

    def read(self) -> int:
        """Return the RSS in bytes."""
        return self._rss()

    def sample(self) -> int:
        """Return the RSS in bytes."""
        return self._rss()


class MemoryProfilerBackend:
    """The seed's readings: ``memory_profiler.memory_usage(-1, interval=..., max_usage=True,
    include_children=...)`` at start and end, each lasting ``interval`` (0.1 s by default).

    The retained figure is then exactly the seed's; the peak still comes from the sampler
    (reading RSS as :class:`PsutilBackend` does) and the OS high-water mark.
    """

    def __init__(self, config: MemoryConfig) -> None:
        from memory_profiler import memory_usage

        self._memory_usage = memory_usage
        self._interval = config.interval
        self._include_children = config.include_children
        self._rss = ResidentMemory(config.include_children)

    def read(self) -> int:
        """Return what the seed's call returns (MiB, a float), in bytes."""
        usage = self._memory_usage(
            -1,
            interval=self._interval,
            max_usage=True,
            retval=True,
            include_children=self._include_children,
        )
        # memory_profiler < 0.56 returns a list instead of a float (the seed handles it too).
        if isinstance(usage, list | tuple):
            usage = usage[0]
        return int(float(usage) * MIB)

    def sample(self) -> int:
        """Return the RSS in bytes (memory_profiler's reading would take ``interval``)."""
        return self._rss()


#: The built-in backends, by the name ``memory.yml`` gives them.
BACKENDS: dict[str, BackendFactory] = {
    "psutil": PsutilBackend,
    "memory_profiler": MemoryProfilerBackend,
}


class OsPeak:
    """The process's high-water mark of resident memory, as the operating system keeps it.

    Read through ``getrusage`` (``ru_maxrss``; 1 us) on Linux and macOS and through psutil's
    ``peak_wset`` on Windows. On Linux it can be reset to the current RSS by writing ``5`` to
    ``/proc/<pid>/clear_refs`` (kernel 4.0 and later), so that it tells the peak of each
    operation rather than of the whole process; where that write fails, it is not tried
    again and the mark is used only when it rose during an operation.

    Linux's ``ru_maxrss`` is the larger of the process's own mark and the mark of the program
    that ``exec``-ed it. A worker process started by a big parent (ParallelRunner, Dask)
    inherits the parent's size that way, and ``ru_maxrss`` would stay there, telling nothing
    about the worker's own peaks: such a process reads ``VmHWM`` from ``/proc/<pid>/status``
    instead (10 us).
    """

    def __init__(self, allow_reset: bool) -> None:
        self._allow_reset = allow_reset
        self._pid = -1
        self._clear_refs: int | None = None
        self._status: int | None = None
        self._read: Callable[[], int] | None = None
        self._open()

    @property
    def available(self) -> bool:
        """Whether this platform offers a high-water mark at all."""
        return self._read is not None

    @property
    def resettable(self) -> bool:
        """Whether the high-water mark can be reset (Linux with a writable clear_refs)."""
        return self._clear_refs is not None

    def _open(self) -> None:
        """(Re)open what reading and resetting need, for the current process."""
        self.close()
        self._pid = os.getpid()
        self._read = _os_peak_reader()
        if not sys.platform.startswith("linux"):
            return
        if self._allow_reset:
            try:
                self._clear_refs = os.open(
                    f"/proc/{self._pid}/clear_refs", os.O_WRONLY | os.O_CLOEXEC
                )
            except OSError:  # read-only /proc, or a kernel that hides it: no reset then
                self._clear_refs = None
        try:
            self._status = os.open(f"/proc/{self._pid}/status", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            return
        # Right after a reset the process's own mark is its current size: if ru_maxrss is
        # above it, ru_maxrss shows the exec-ing program's mark and cannot be used.
        self.reset()
        own = self._read_status()
        if self._read is not None and own >= 0 and self._read() > own + MIB:
            self._read = self._read_status

    def _read_status(self) -> int:
        if self._pid != os.getpid():  # after a fork, the inherited file names the parent
            self._open()
        if self._status is None:
            return -1
        status = os.pread(self._status, 4096, 0)
        start = status.find(b"VmHWM:")
        if start < 0:  # a kernel thread, or a /proc that hides it
            return -1
        return int(status[start + 6 : status.index(b"kB", start)]) * 1024

    def read(self) -> int:
        """Return the high-water mark in bytes, or -1 where there is none."""
        return -1 if self._read is None else self._read()

    def reset(self) -> None:
        """Reset the high-water mark to the current RSS, where possible."""
        if self._pid != os.getpid():  # after a fork, the inherited file names the parent
            self._open()
        if self._clear_refs is None:
            return
        try:
            os.write(self._clear_refs, b"5")
        except OSError:  # kernels before 4.0 refuse "5" (EINVAL): stop trying
            os.close(self._clear_refs)
            self._clear_refs = None

    def close(self) -> None:
        """Close the files kept open (also done when the object is collected)."""
        for name in ("_clear_refs", "_status"):
            fd = getattr(self, name, None)
            setattr(self, name, None)
            if fd is not None:
                os.close(fd)

    def __del__(self) -> None:
        self.close()


def _os_peak_reader() -> Callable[[], int] | None:
    try:
        import resource
    except ImportError:  # Windows
        return _peak_working_set_reader()
    # ru_maxrss is in KiB on Linux and the BSDs, in bytes on macOS.
    scale = 1 if sys.platform == "darwin" else 1024
    getrusage, who = resource.getrusage, resource.RUSAGE_SELF

    def read() -> int:
        return getrusage(who).ru_maxrss * scale

    return read


def _peak_working_set_reader() -> Callable[[], int] | None:
    import psutil

    process = psutil.Process()
    if not hasattr(process.memory_info(), "peak_wset"):
        return None

    def read() -> int:
        return int(getattr(process.memory_info(), "peak_wset"))  # noqa: B009 - Windows only

    return read
