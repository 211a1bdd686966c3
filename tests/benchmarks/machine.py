"""Where the figures come from: the source measured, and how busy the machine was meanwhile.

Other work on the machine inflates every wall-clock figure. Alternating the tools keeps their
ratio fair, but the absolute figures (and so the targets) are only worth quoting from a quiet
machine, so the report says how quiet it was.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
from pathlib import Path
from types import TracebackType

REPOSITORY = Path(__file__).resolve().parents[2]

#: Seconds between two samples of the load average.
SAMPLE_EVERY = 5.0


def source_state() -> str:
    """The commit measured, and whether core/ or plugins/ differed from it."""

    def git(*args: str) -> str:
        proc = subprocess.run(
            ["git", *args], cwd=REPOSITORY, capture_output=True, text=True, check=False
        )
        return proc.stdout.strip() if proc.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "not a git checkout"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", "core", "plugins")
    return commit + (" with uncommitted changes under core/ or plugins/" if changed else "")


class LoadSampler:
    """Samples the 1-minute load average in a background thread while the cases run.

    Use it as a context manager; :meth:`summary` describes what it saw.
    """

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="load-sampler", daemon=True)

    def _sample(self) -> None:
        while True:
            self.samples.append(os.getloadavg()[0])
            if self._stop.wait(SAMPLE_EVERY):
                return

    def __enter__(self) -> LoadSampler:
        if hasattr(os, "getloadavg"):  # not on Windows
            self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def busy(self) -> bool:
        """Whether the load went above the number of CPUs at any time."""
        return bool(self.samples) and max(self.samples) > (os.cpu_count() or 1)

    def summary(self) -> str:
        """``load average (1 min): median 1.2, max 3.4`` or a note that it is unknown."""
        if not self.samples:
            return "load average not available"
        median, peak = statistics.median(self.samples), max(self.samples)
        return f"load average (1 min) during the run: median {median:.1f}, max {peak:.1f}"
