"""Case "history": what the run history and the regression guard cost (issue 19).

- Recording, per node, at 10,000 nodes: the whole run of a linear pipeline of identity nodes
  with the history on and off, side by side (alternating), and the history's own work
  (starting the recorder, building the record at the end of the run and writing it in one
  transaction) timed alone.
- ``hookline runs`` and ``hookline runs compare`` as real processes on a history of 10,000
  runs, alternating with ``hookline --help`` (the command's start-up, for scale).
- The guard (baseline query and comparison) after a run of a 100-node and of the 10,000-node
  pipeline, with 5 baseline runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from importlib import metadata
from pathlib import Path

from config import BenchConfig
from measure import tool_environment
from outcome import CaseOutcome
from report import Table, number
from targets import TargetResult

from hookline.runner.progress import ProgressReporter

NAME = "history"

NODES = 10_000
HISTORY_RUNS = 10_000
RECORD_LIMIT_US = 2.0
COMMAND_LIMIT_MS = 200.0
GUARD_LIMIT_MS = 50.0


def write_project(root: Path, nodes: int) -> Path:
    """A project whose default pipeline is a chain of ``nodes`` identity nodes, fed by the
    parameter ``start``."""
    package = f"history_bench_{nodes}"
    source = root / "src" / package
    source.mkdir(parents=True)
    (root / "conf" / "base").mkdir(parents=True)
    (root / "pyproject.toml").write_text(f'[tool.hookline]\npackage_name = "{package}"\n')
    (source / "__init__.py").write_text("")
    (source / "pipeline_registry.py").write_text(
        textwrap.dedent(
            f"""
            from hookline import node, pipeline

            def identity(x):
                return x

            def register_pipelines():
                nodes = [node(identity, "params:start", "d1", name="n0")]
                nodes += [node(identity, f"d{{i}}", f"d{{i + 1}}", name=f"n{{i}}")
                          for i in range(1, {nodes})]
                return {{"__default__": pipeline(nodes)}}
            """
        )
    )
    (root / "conf" / "base" / "parameters.yml").write_text("start: 1\n")
    return root


def _run_once(project: Path, history: bool) -> float:
    from hookline.session import HooklineSession

    os.environ["HOOKLINE_HISTORY"] = str(project / "runs.db") if history else "off"
    session = HooklineSession.create(project, extra_params={})
    session.load_context()  # settings and config read before the clock starts
    started = time.perf_counter()
    session.run(reporter=ProgressReporter())
    return time.perf_counter() - started


def run(config: BenchConfig) -> CaseOutcome:
    """Measure the three figures; their tables and issue 19's targets."""
    outcome = CaseOutcome()
    # The core's figures: no installed plugin takes part.
    plugins = {ep.dist.name for ep in metadata.entry_points(group="hookline.hooks") if ep.dist}
    os.environ["HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS"] = ",".join(sorted(plugins))
    repeats = config.repeats_for(5)
    with tempfile.TemporaryDirectory(prefix="hookline-bench-history-") as tmp:
        big = write_project(Path(tmp) / "big", NODES)
        sys.path.insert(0, str(big / "src"))
        record_us, whole_on, whole_off = _recording(big, repeats, outcome)
        guard_small, guard_big = _guard(Path(tmp), big, repeats, outcome)
        runs_ms, compare_ms, help_ms = _commands(Path(tmp) / "many", repeats, outcome)
    os.environ.pop("HOOKLINE_HISTORY", None)
    table = Table(
        "Issue 19: run history and regression guard",
        ["figure", "measured", "target"],
        [
            [f"whole run, history off, per node ({NODES:,} nodes)", f"{number(whole_off, 2)} µs", ""],
            [f"whole run, history on, per node ({NODES:,} nodes)", f"{number(whole_on, 2)} µs", ""],
            ["whole run, history on / off", f"{whole_on / whole_off:.3f}", ""],
            [f"recording (start, record, one write) per node ({NODES:,} nodes)", f"{number(record_us, 2)} µs",
             f"< {RECORD_LIMIT_US} µs"],
            [f"`hookline runs` ({HISTORY_RUNS:,} runs)", f"{number(runs_ms)} ms", f"< {COMMAND_LIMIT_MS:g} ms"],
            [f"`hookline runs compare` ({HISTORY_RUNS:,} runs)", f"{number(compare_ms)} ms",
             f"< {COMMAND_LIMIT_MS:g} ms"],
            ["`hookline --help` (start-up alone, for scale)", f"{number(help_ms)} ms", ""],
            ["`hookline runs` / `hookline --help`", f"{runs_ms / help_ms:.2f}", ""],
            ["`hookline runs compare` / `hookline --help`", f"{compare_ms / help_ms:.2f}", ""],
            ["guard, 100-node pipeline, 5 baseline runs", f"{number(guard_small)} ms", f"< {GUARD_LIMIT_MS:g} ms"],
            [f"guard, {NODES:,}-node pipeline, 5 baseline runs", f"{number(guard_big)} ms",
             f"< {GUARD_LIMIT_MS:g} ms"],
        ],
        notes=[
            "Medians. The whole-run figures include the runner and the session (and, history "
            "on, the guard); the recording figure is the history's own work (starting the "
            "recorder, which hashes the pipeline, and writing the run), timed alone. The commands "
            "are real processes (Python start-up included), alternating with `hookline --help`."
        ],
    )  # fmt: skip
    outcome.tables.append(table)
    outcome.targets.extend(
        [
            TargetResult("recording per node, amortised (10,000 nodes)", f"< {RECORD_LIMIT_US} µs",
                         f"{number(record_us, 2)} µs", record_us < RECORD_LIMIT_US, issue=19),
            TargetResult("`hookline runs`, 10,000 runs", f"< {COMMAND_LIMIT_MS:g} ms",
                         f"{number(runs_ms)} ms", runs_ms < COMMAND_LIMIT_MS, issue=19),
            TargetResult("`hookline runs compare`, 10,000 runs", f"< {COMMAND_LIMIT_MS:g} ms",
                         f"{number(compare_ms)} ms", compare_ms < COMMAND_LIMIT_MS, issue=19),
            TargetResult("guard's added time (100 nodes)", f"< {GUARD_LIMIT_MS:g} ms",
                         f"{number(guard_small)} ms", guard_small < GUARD_LIMIT_MS, issue=19),
            TargetResult("guard's added time (10,000 nodes)", f"< {GUARD_LIMIT_MS:g} ms",
                         f"{number(guard_big)} ms", guard_big < GUARD_LIMIT_MS, issue=19),
        ]
    )  # fmt: skip
    return outcome


def _recording(project: Path, repeats: int, outcome: CaseOutcome) -> tuple[float, float, float]:
    """(history's own µs per node, whole run µs per node with it, without it)."""
    from hookline.history.recorder import RunRecorder
    from hookline.session import HooklineSession

    on: list[float] = []
    off: list[float] = []
    for _ in range(repeats):  # alternating, so that load affects both alike
        off.append(_run_once(project, history=False) / NODES * 1e6)
        on.append(_run_once(project, history=True) / NODES * 1e6)
    outcome.checked += 1
    os.environ["HOOKLINE_HISTORY"] = str(project / "runs.db")
    session = HooklineSession.create(project)
    context = session.load_context()
    from hookline.project import load_pipelines

    pipeline = load_pipelines(session.metadata)["__default__"]
    reporter = ProgressReporter()
    session.run(reporter=reporter)
    run_params = {"run_id": "bench", "pipeline_name": "__default__", "runner": "SequentialRunner"}
    own: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()  # start() included: it may do per-run work too
        recorder = RunRecorder.start(
            session.metadata, pipeline, run_params, context.params, context.config_loader
        )
        if recorder.finish(reporter.records, reporter.measurements, None) is None:
            outcome.failures.append("history: the run could not be recorded")
        own.append((time.perf_counter() - started) / NODES * 1e6)
    return statistics.median(own), statistics.median(on), statistics.median(off)


def _guard(tmp: Path, big: Path, repeats: int, outcome: CaseOutcome) -> tuple[float, float]:
    """Milliseconds of the guard's check after a run, for 100 and 10,000 nodes."""
    small = write_project(tmp / "small", 100)
    sys.path.insert(0, str(small / "src"))
    figures = []
    for project in (small, big):
        for _ in range(5):  # the baseline
            _run_once(project, history=True)
        figures.append(_time_check(project, repeats, outcome))
    return figures[0], figures[1]


def _time_check(project: Path, repeats: int, outcome: CaseOutcome) -> float:
    from hookline.history.recorder import RunRecorder
    from hookline.project import load_pipelines
    from hookline.session import HooklineSession

    session = HooklineSession.create(project)
    context = session.load_context()
    pipeline = load_pipelines(session.metadata)["__default__"]
    reporter = ProgressReporter()
    session.run(reporter=reporter)
    run_params = {"run_id": "bench", "pipeline_name": "__default__", "runner": "SequentialRunner"}
    times = []
    for _ in range(repeats):
        recorder = RunRecorder.start(
            session.metadata, pipeline, run_params, context.params, context.config_loader
        )
        started = time.perf_counter()
        report = recorder.check(reporter.records, reporter.measurements)
        times.append((time.perf_counter() - started) * 1000)
        outcome.checked += 1
        if report is None or report.baseline_runs != 5:
            outcome.failures.append(f"history: the guard found no 5-run baseline in {project}")
    return statistics.median(times)


def _commands(project: Path, repeats: int, outcome: CaseOutcome) -> tuple[float, float, float]:
    """Milliseconds of ``hookline runs`` and ``hookline runs compare`` on 10,000 runs, and of
    ``hookline --help`` (the command's start-up, for scale)."""
    import sqlite3

    from hookline.history.store import SCHEMA, pack_floats, pack_texts

    write_project(project, 10)
    path = project / ".hookline" / "runs.db"
    path.parent.mkdir()
    names = [f"n{j}" for j in range(10)]
    # One transaction for the lot: the figure is about reading 10,000 runs, not writing them.
    with sqlite3.connect(path) as connection:
        connection.executescript(SCHEMA)
        connection.executemany(
            "INSERT INTO runs VALUES (?, ?, '__default__', 'h', 'p', NULL, 'SequentialRunner', "
            "NULL, ?, 1.0, 'completed', NULL)",
            [(i + 1, f"run-{i}", float(i)) for i in range(HISTORY_RUNS)],
        )
        connection.executemany(
            "INSERT INTO run_nodes VALUES (?, ?, ?, ?, ?, ?)",
            [
                (i + 1, pack_texts(names), pack_texts(["completed"] * 10), pack_texts(["main"] * 10),
                 pack_floats([0.01 * j for j in range(10)]), pack_floats([i + 1.0] * 10))
                for i in range(HISTORY_RUNS)
            ],
        )  # fmt: skip
        connection.executemany(
            "INSERT INTO run_measurements VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (i + 1, pack_texts(["dataset.rows"] * 10), pack_floats(range(10)),
                 pack_texts(["rows"] * 10), pack_texts(names),
                 pack_texts([f"d{j}" for j in range(10)]), pack_texts(["hookline"] * 10))
                for i in range(HISTORY_RUNS)
            ],
        )  # fmt: skip
    connection.close()
    hookline = [sys.executable, "-m", "hookline"]
    at = ["--project", str(project)]
    env = tool_environment()  # bytecode cached, as a user's install has it
    env.pop("HOOKLINE_HISTORY", None)
    commands = (
        ["runs", *at],
        ["runs", "compare", "run-10", f"run-{HISTORY_RUNS - 1}", *at],
        ["--help"],
    )
    for args in commands:  # discarded: writes the bytecode caches
        subprocess.run([*hookline, *args], capture_output=True, env=env, check=False)
    times: list[list[float]] = [[] for _ in commands]
    for _ in range(repeats):
        # The three commands alternate, so that the machine's load weighs on them alike.
        for args, taken in zip(commands, times, strict=True):
            started = time.perf_counter()
            done = subprocess.run([*hookline, *args], capture_output=True, text=True, env=env,
                                  check=False)  # fmt: skip
            taken.append((time.perf_counter() - started) * 1000)
            outcome.checked += 1
            if done.returncode != 0 or "run" not in done.stdout:
                outcome.failures.append(f"history: hookline {args}: {done.stderr[-300:]}")
    runs_ms, compare_ms, help_ms = (statistics.median(taken) for taken in times)
    return runs_ms, compare_ms, help_ms
