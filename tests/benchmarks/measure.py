"""Taking measurements: a fresh child process per measurement, tools alternated, medians.

Runs of both tools are interleaved (hookline, Kedro, Kedro, hookline, ...) within one harness
run, so a slow patch of the machine (another job, thermal throttling) hits both alike instead
of whichever tool happened to run during it.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

HERE = Path(__file__).resolve().parent

#: Generous: one Kedro run of 5,000 nodes with INFO logging takes minutes, not hours.
CHILD_TIMEOUT_SECONDS = 3_600

Key = TypeVar("Key", bound=Hashable)


def tool_environment() -> dict[str, str]:
    """The environment of every child: the harness's own, with two changes.

    Kedro's telemetry is opted out: kedro-telemetry (a dependency of Kedro) may ask for
    consent and send events over the network, neither of which belongs in a timing.

    Bytecode is cached: a user's packages have it (pip compiles at install time, Python caches
    on first import), but with PYTHONDONTWRITEBYTECODE set and packages installed by uv (which
    does not compile), every process would compile every module it imports, which made
    `kedro --version` 3.5 times slower here. The cases' discarded first runs write the caches.
    """
    env = dict(os.environ)
    env["KEDRO_DISABLE_TELEMETRY"] = "true"
    env["DO_NOT_TRACK"] = "1"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


@dataclass
class Samples:
    """The results of every repetition of one measurement (one key, one tool).

    Attributes:
        results: One JSON object per repetition, as the child wrote it (``seconds``,
            ``digest``, and case-specific extras), or ``{"error": ...}`` if the child failed.
    """

    results: list[dict[str, Any]] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """The error messages of failed repetitions."""
        return [r["error"] for r in self.results if "error" in r]

    @property
    def ok_results(self) -> list[dict[str, Any]]:
        """The repetitions that produced a result."""
        return [r for r in self.results if "error" not in r]

    def median(self, name: str = "seconds") -> float | None:
        """The median of ``name`` over the successful repetitions, ``None`` if there are none."""
        values = [float(r[name]) for r in self.ok_results]
        return statistics.median(values) if values else None

    def digests(self) -> set[str]:
        """Every distinct result digest the repetitions produced."""
        return {str(r["digest"]) for r in self.ok_results}


def run_child(job: Mapping[str, Any]) -> dict[str, Any]:
    """Run ``child.py`` on ``job`` in a fresh interpreter and return what it wrote.

    A failing child gives ``{"error": <last lines of its stderr>}`` instead of raising, so one
    broken measurement is reported in its table cell and the others still run.
    """
    with tempfile.TemporaryDirectory(prefix="hookline-bench-") as tmp:
        result_path = Path(tmp) / "result.json"
        command = [sys.executable, str(HERE / "child.py"), json.dumps(job), str(result_path)]
        try:
            proc = subprocess.run(
                command,
                cwd=tmp,
                env=tool_environment(),
                capture_output=True,
                text=True,
                timeout=CHILD_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {CHILD_TIMEOUT_SECONDS} s"}
        if proc.returncode != 0 or not result_path.is_file():
            tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
            return {"error": f"exit {proc.returncode}: {tail}"}
        result: dict[str, Any] = json.loads(result_path.read_text())
        return result


def duration(seconds: float) -> str:
    """``1.234 s``, ``12.3 ms``, ``12.3 µs`` or ``123 ns``: readable at any scale."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}" if unit != "s" else f"{seconds:.3f} s"
    return f"{seconds * 1e9:.0f} ns"


def alternate(
    keys: Sequence[Key],
    tools: Sequence[str],
    repeats: Callable[[Key], int],
    measure_one: Callable[[Key, str], dict[str, Any] | None],
    label: Callable[[Key, str], str] = lambda key, tool: str(key),
) -> dict[tuple[Key, str], Samples]:
    """Measure every key with every tool, ``repeats(key)`` times, alternating the tools.

    Repetition ``r`` runs the tools in order when ``r`` is even and in reverse when odd, so
    neither tool always runs first (on a warmer or colder machine). ``measure_one`` returns
    ``None`` for a (key, tool) pair that is not measured at all.

    Progress goes to stderr, one line per measurement: a full run takes a while.
    """
    samples: dict[tuple[Key, str], Samples] = {}
    total = sum(repeats(key) for key in keys) * len(tools)
    done = 0
    for rep in range(max((repeats(key) for key in keys), default=0)):
        order = list(tools) if rep % 2 == 0 else list(reversed(tools))
        for key in keys:
            if rep >= repeats(key):
                continue
            for tool in order:
                done += 1
                result = measure_one(key, tool)
                if result is None:
                    continue
                samples.setdefault((key, tool), Samples()).results.append(result)
                shown = result.get("error") or duration(result["seconds"])
                print(f"[{done}/{total}] {tool:8} {label(key, tool)}: {shown}", file=sys.stderr)
    return samples


@dataclass(frozen=True)
class ProcessRun:
    """One whole command: its wall time, its peak memory, how it ended and what it printed."""

    seconds: float
    rss_peak_mib: float
    returncode: int
    output: str

    def tail(self, lines: int = 3) -> str:
        """The last lines of its output, on one line, for an error message."""
        return " | ".join(self.output.strip().splitlines()[-lines:])


def run_process(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> ProcessRun:
    """Run ``argv`` once and measure it from start to exit.

    ``os.wait4`` gives the resource use of this one child (its peak resident set size), which
    ``RUSAGE_CHILDREN`` cannot: that is the maximum over every child waited for so far. Output
    goes to a file, not a pipe, so waiting needs no reader thread.
    """
    with tempfile.TemporaryFile(mode="w+") as output:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=dict(env), stdout=output, stderr=output)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        # Linux reports KiB, macOS bytes.
        peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
        return ProcessRun(seconds, peak, proc.returncode, output.read())
