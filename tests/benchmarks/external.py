"""Cases "parallel" and "plugins": the benchmark scripts of the other issues, run as they are.

``parallel.py`` (issue 3's runners, with Kedro's ParallelRunner next to them) runs with the
harness's own Python, which has Kedro and Dask. Each plugin's script (issues 4 to 8) runs with
the Python of the environment holding every plugin (``--plugins-python``). The harness shows
each script's output as it printed it, reads the figures its issue sets a target for, and
puts them in the targets table; a script that is not there, or cannot run here, leaves its
target "not measured".
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config import BenchConfig
from measure import tool_environment
from outcome import CaseOutcome
from report import NOT_MEASURED, Rendered
from targets import TargetResult

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]

#: A script that runs longer is stopped and its targets are "not measured".
SCRIPT_TIMEOUT_SECONDS = 3 * 3_600


@dataclass(frozen=True)
class Reading:
    """One target read off a script's output.

    Attributes:
        target: The target in words.
        limit: The limit, as the table shows it.
        pattern: A regular expression whose first group is hookline's figure, or several
            (the script's older and newer wordings); the first that matches counts.
        ok: Whether that figure meets the target.
        unit: Appended to the figure.
        scale: What the figure is shown next to: a pattern whose first group is the seed's
            (or the bare call's) figure, and how to word it.
    """

    target: str
    limit: str
    pattern: str | tuple[str, ...]
    ok: Callable[[float], bool]
    unit: str = ""
    scale: tuple[str, str] | None = None

    def result(self, output: str | None, issue: int) -> TargetResult:
        """The target's row, from ``output`` (``None``: the script did not run)."""
        patterns = (self.pattern,) if isinstance(self.pattern, str) else self.pattern
        matches = (re.search(pattern, output or "", re.MULTILINE) for pattern in patterns)
        found = next((match for match in matches if match), None)
        if found is None:
            reason = NOT_MEASURED if output is None else "not found in the script's output"
            return TargetResult(self.target, self.limit, reason, None, issue=issue)
        value = float(found.group(1).replace(",", ""))
        kedro = ""
        if self.scale is not None:
            other = re.search(self.scale[0], output or "", re.MULTILINE)
            kedro = self.scale[1].format(other.group(1)) if other else ""
        return TargetResult(
            self.target,
            self.limit,
            f"{found.group(1)}{self.unit}",
            self.ok(value),
            kedro,
            issue=issue,
        )


@dataclass(frozen=True)
class Script:
    """A plugin's benchmark script and the targets its issue sets."""

    issue: int
    title: str
    file: str
    quick_args: tuple[str, ...]
    readings: tuple[Reading, ...]


NUMBER = r"(-?[\d,]+\.?\d*)"

SCRIPTS = (
    Script(
        4,
        "example_project re-run, all four plugins against none",
        "example_overhead.py",
        ("--repeats", "1", "--shuttles", "500"),
        (
            Reading(
                "Re-running the example with every plugin, one-time mlflow and GX imports "
                "left out, against no plugin installed",
                "< 2x",
                rf"{NUMBER}x without the one-time imports",
                lambda v: v < 2.0,
                "x",
                (rf"{NUMBER}x raw", "{}x with the imports"),
            ),
        ),
    ),
    Script(
        5,
        "hookline-mlflow against the seed's ModelTrackingHooks",
        "mlflow_plugin.py",
        ("--repeats", "2"),
        (
            Reading(
                "hookline-mlflow, async logging, time added per node (200 nodes, real server)",
                "≤ 1 ms",
                rf"^\| hookline-mlflow, async logging \(default\)\s*\|[^|]*\|[^|]*\|\s*{NUMBER}",
                lambda v: v <= 1.0,
                " ms",
                (
                    rf"^\| seed ModelTrackingHooks[^|]*\|[^|]*\|[^|]*\|\s*{NUMBER}",
                    "seed: {} ms",
                ),
            ),
        ),
    ),
    Script(
        6,
        "hookline-memory against the seed's MemoryProfilingHooks",
        "memory_plugin.py",
        ("--repeats", "20", "--seed-repeats", "1"),
        (
            Reading(
                "hookline-memory, time added per dataset load (100 loads)",
                "< 0.2 ms",
                rf"^hookline-memory, loads only\s+\d+\s+[\d.,]+ ms\s+{NUMBER} ms",
                lambda v: v < 0.2,
                " ms",
                (rf"^seed MemoryProfilingHooks\s+\d+\s+[\d.,]+ ms\s+{NUMBER}", "seed: {} ms"),
            ),
        ),
    ),
    Script(
        7,
        "hookline-statsd against the seed's PipelineMonitoringHooks",
        "statsd_plugin.py",
        ("--repeats", "3", "--data", "int"),
        (
            Reading(
                "hookline-statsd, UDP, every metric: time added per node (wall clock)",
                "< 50 µs",
                rf"^target \(int, wall clock\).*?\({NUMBER} us",
                lambda v: v < 50.0,
                " µs",
                (r"^target \(int, wall clock\).*the seed's hook ([\d.,]+) us", "seed: {} µs"),
            ),
        ),
    ),
    Script(
        8,
        "hookline-great-expectations against the seed's way",
        "great_expectations_plugin.py",
        ("--datasets", "10", "--repeats", "1", "--calls", "10"),
        tuple(
            Reading(
                f"hookline-great-expectations ({style} style): the seed's way (a context per "
                "dataset) takes this many times as long, a run validating 50 datasets (10 when "
                "quick)",
                "≥ 3x",
                rf"^the seed's way takes {NUMBER}x as long as the plugin \({style} style\)",
                lambda v: v >= 3.0,
                "x",
            )
            for style in ("suite", "checkpoint")
        )
        + tuple(
            Reading(
                f"hookline-great-expectations ({style} style): one validation against a bare "
                "`batch.validate(suite)`",
                "≤ 1.3x",
                (
                    # A table row: style, bare, GX's own run, plugin, plugin/bare ...
                    rf"^{style}\s+[\d.,]+ ms\s+[\d.,]+ ms\s+[\d.,]+ ms\s+{NUMBER}x",
                    rf"^plugin \({style} style\).*?: {NUMBER}x; target",
                ),
                lambda v: v <= 1.3,
                "x",
                (rf"^{style}\s+{NUMBER} ms", "bare validate: {} ms"),
            )
            for style in ("suite", "checkpoint")
        ),
    ),
)


def _fenced(title: str, command: str, output: str) -> Rendered:
    return Rendered(f"### {title}\n\n`{command}`\n\n```\n{output.rstrip()}\n```\n")


def run_plugins(config: BenchConfig) -> CaseOutcome:
    """Run every plugin's script that exists, in the plugins' environment."""
    outcome = CaseOutcome()
    for script in SCRIPTS:
        path = HERE / script.file
        args = list(script.quick_args) if config.quick else []
        command = f"python tests/benchmarks/{script.file} {' '.join(args)}".rstrip()
        title = f"Issue {script.issue}: {script.title}"
        output: str | None = None
        if not path.is_file():
            outcome.tables.append(_fenced(title, command, "not measured: the script is not there"))
        elif config.plugins_python is None:
            outcome.tables.append(
                _fenced(title, command, "not measured: needs --plugins-python (nox -s bench)")
            )
        else:
            print(f"running {command} ...", file=sys.stderr, flush=True)
            output, failure = _run_script([config.plugins_python, str(path), *args])
            outcome.tables.append(_fenced(title, command, output))
            outcome.checked += 1
            if failure:
                outcome.failures.append(f"{script.file}: {failure}")
        outcome.targets.extend(r.result(output, script.issue) for r in script.readings)
    return outcome


def _run_script(argv: list[str]) -> tuple[str, str]:
    """Run a script from the repository root; its output and, if it failed, why."""
    try:
        proc = subprocess.run(
            argv,
            cwd=REPOSITORY,
            env=tool_environment(),
            capture_output=True,
            text=True,
            timeout=SCRIPT_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "", f"stopped after {SCRIPT_TIMEOUT_SECONDS} s"
    output = proc.stdout
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
        output += f"\n[exit {proc.returncode}] {tail}"
        return output, f"exit {proc.returncode}: {tail}"
    return output, ""


# -- issue 3: parallel.py -------------------------------------------------------------------------

RUNNER_TARGETS = {
    "hookline:parallel": "ParallelRunner (2 workers)",
    "hookline:dask-running": "DaskRunner on a running LocalCluster (2 workers)",
    "hookline:dask-embedded": "DaskRunner starting its own LocalCluster (start-up timed)",
}
PARALLEL_MAX_RATIO = 0.6


def run_parallel(config: BenchConfig) -> CaseOutcome:
    """Run parallel.py with this Python; its tables, its checks and issue 3's targets."""
    outcome = CaseOutcome()
    with tempfile.TemporaryDirectory(prefix="hookline-bench-parallel-") as tmp:
        figures_path = Path(tmp) / "figures.json"
        args = ["--json", str(figures_path)]
        if config.quick:
            args.append("--quick")
        if not config.with_kedro:
            args.append("--no-kedro")
        if config.repeats is not None:
            args += ["--repeats", str(config.repeats)]
        print("running tests/benchmarks/parallel.py ...", file=sys.stderr, flush=True)
        output, failure = _run_script([sys.executable, str(HERE / "parallel.py"), *args])
        figures = json.loads(figures_path.read_text()) if figures_path.is_file() else None
    command = f"python tests/benchmarks/parallel.py {' '.join(args[2:])}".rstrip()
    # parallel.py's own headings are level 2; under this section they become level 4.
    output = re.sub(r"^## ", "#### ", output, flags=re.MULTILINE)
    outcome.tables.append(Rendered(f"### Issue 3: worker processes\n\n`{command}`\n\n{output}"))
    outcome.checked += 1
    if failure:
        outcome.failures.append(f"parallel.py: {failure}")
    cpu = (figures or {}).get("cpu") or {}
    overhead = (figures or {}).get("overhead") or {}
    outcome.failures.extend(_parallel_failures(cpu, overhead))
    outcome.targets.extend(_parallel_targets(cpu, overhead))
    return outcome


def _parallel_failures(cpu: dict[str, Any], overhead: dict[str, Any]) -> list[str]:
    """Errors of any runner, and hookline runners whose outputs differ from sequential's."""
    problems: list[str] = []
    figures = cpu.get("figures", {})
    expected = figures.get("hookline:sequential", {}).get("outputs")
    for key, figure in figures.items():
        problems.extend(f"parallel.py cpu {key}: {error}" for error in figure["errors"])
        if key.startswith("hookline") and figure["outputs"] != expected:
            problems.append(f"parallel.py cpu {key}: outputs differ from SequentialRunner's")
        if not figure.get("returned", True):
            problems.append(f"parallel.py cpu {key}: outputs missing")
    for key, by_size in overhead.get("figures", {}).items():
        for size, figure in by_size.items():
            problems.extend(f"parallel.py overhead {key}@{size}: {e}" for e in figure["errors"])
    return problems


def _per_node_ms(by_size: dict[str, Any]) -> tuple[float | None, int]:
    sizes = sorted(by_size, key=int)
    small, large = by_size[sizes[0]]["seconds"], by_size[sizes[-1]]["seconds"]
    if small is None or large is None or len(sizes) < 2:
        return None, int(sizes[-1])
    return (large - small) / (int(sizes[-1]) - int(sizes[0])) * 1e3, int(sizes[-1])


def _parallel_targets(cpu: dict[str, Any], overhead: dict[str, Any]) -> list[TargetResult]:
    figures = cpu.get("figures", {})
    base = figures.get("hookline:sequential", {}).get("seconds")
    kedro = figures.get("kedro:parallel", {}).get("seconds")
    results = []
    for key, label in RUNNER_TARGETS.items():
        seconds = figures.get(key, {}).get("seconds")
        value = None if seconds is None or base is None else seconds / base
        results.append(
            TargetResult(
                f"{label}: 8 CPU-bound nodes of ~1 s, time / SequentialRunner's",
                f"≤ {PARALLEL_MAX_RATIO}x",
                NOT_MEASURED if value is None else f"{value:.2f}x",
                None if value is None else value <= PARALLEL_MAX_RATIO,
                ""
                if kedro is None or base is None
                else f"Kedro ParallelRunner {kedro / base:.2f}x",
                issue=3,
            )
        )
    by_runner = overhead.get("figures", {})
    ours = (
        _per_node_ms(by_runner["hookline:parallel"]) if "hookline:parallel" in by_runner else None
    )
    theirs = _per_node_ms(by_runner["kedro:parallel"]) if "kedro:parallel" in by_runner else None
    measured = NOT_MEASURED
    if ours is not None and ours[0] is not None:
        measured = f"{ours[0]:.3f} ms (on {ours[1]:,} nodes)"
    results.append(
        TargetResult(
            "ParallelRunner scheduling overhead per trivial node, next to Kedro's",
            "reported",
            measured,
            None if measured == NOT_MEASURED else True,
            ""
            if theirs is None or theirs[0] is None
            else f"Kedro ParallelRunner {theirs[0]:.3f} ms (on {theirs[1]:,} nodes)",
            issue=3,
            report_only=True,
        )
    )
    return results
