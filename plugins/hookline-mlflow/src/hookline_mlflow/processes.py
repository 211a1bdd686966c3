"""Which process runs a pipeline run, and whether a process recorded earlier still exists.

A run records its host, process id and the process's start time. A process id alone names
nothing for long (ids are reused), so a process is "the same" only when its id and its start
time both match. Start times come from ``/proc`` on Linux (no dependency), else from psutil
when it is installed; where neither is available nothing can be proven and nothing is ended.
"""

from __future__ import annotations

import enum
import functools
import os
import socket
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessIdentity", "ProcessState", "process_state", "this_process"]

#: Seconds two start times may differ by and still be the same process: the kernel derives a
#: start time from the boot time, which moves a little when the clock is set. A new process
#: that got a dead one's id always starts later than this.
START_TIME_TOLERANCE = 1.0

_PROC = Path("/proc")


class ProcessState(enum.Enum):
    """What can be told about a recorded process from the host it ran on."""

    ALIVE = "alive"
    GONE = "gone"
    UNKNOWN = "cannot tell"


@dataclass(frozen=True)
class ProcessIdentity:
    """A process, as a run records it: its host, id and start time (seconds since the epoch;
    ``None`` when it cannot be read here)."""

    host: str
    pid: int
    started: float | None

    def tags(self) -> dict[str, str]:
        """The identity as run tags."""
        tags = {"hookline.host": self.host, "hookline.pid": str(self.pid)}
        if self.started is not None:
            tags["hookline.process_started"] = f"{self.started:.2f}"
        return tags

    @classmethod
    def from_tags(cls, tags: dict[str, str]) -> ProcessIdentity | None:
        """The identity a run's tags record, or ``None`` when they record none."""
        try:
            host, pid = tags["hookline.host"], int(tags["hookline.pid"])
        except (KeyError, ValueError):
            return None
        try:
            started: float | None = float(tags["hookline.process_started"])
        except (KeyError, ValueError):
            started = None
        return cls(host, pid, started)


def host_name() -> str:
    """This machine's name, as runs record it."""
    return socket.gethostname()


def this_process() -> ProcessIdentity:
    """The identity of the running process."""
    pid = os.getpid()
    started = start_time(pid)
    return ProcessIdentity(host_name(), pid, started if isinstance(started, float) else None)


def process_state(recorded: ProcessIdentity) -> ProcessState:
    """Whether the recorded process still exists. Only a process of this host can be told:
    gone when no process has its id (or only a zombie), or when the one that has it started at
    another time."""
    if recorded.host != host_name():
        return ProcessState.UNKNOWN
    started = start_time(recorded.pid)
    if started is ProcessState.GONE:
        return ProcessState.GONE
    if not isinstance(started, float) or recorded.started is None:
        return ProcessState.UNKNOWN
    if abs(started - recorded.started) > START_TIME_TOLERANCE:
        return ProcessState.GONE  # the id was given to another process
    return ProcessState.ALIVE


def start_time(pid: int) -> float | ProcessState | None:
    """When process ``pid`` started (seconds since the epoch), :attr:`ProcessState.GONE` when
    there is no such process (or it is a zombie), ``None`` when this cannot be read here."""
    if (_PROC / "self" / "stat").is_file():
        return _proc_start_time(pid)
    return _psutil_start_time(pid)


def _proc_start_time(pid: int) -> float | ProcessState | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return ProcessState.GONE
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold blanks: split after it.
    fields = stat.rpartition(")")[2].split()
    state, ticks = fields[0], int(fields[19])  # fields 3 and 22 of proc(5)
    if state in ("Z", "X"):
        return ProcessState.GONE
    boot = _boot_time()
    if boot is None:
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


@functools.cache
def _boot_time() -> float | None:
    try:
        for line in (_PROC / "stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def _psutil_start_time(pid: int) -> float | ProcessState | None:
    try:
        import psutil
    except ImportError:
        return None
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return ProcessState.GONE
        return float(process.create_time())
    except psutil.NoSuchProcess:
        return ProcessState.GONE
    except psutil.Error:
        return None
