"""Case "process": whole commands as a user runs them, wall time from start to exit.

``--help`` and ``--version`` run in an empty folder (no project to find), ``run`` in a
generated 3-node project with no dataset I/O (projects.py). Output is captured, not a
terminal, for both tools.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from config import BenchConfig
from measure import alternate, tool_environment
from outcome import CaseOutcome
from projects import RESULT_LINE, write_hookline_project, write_kedro_project
from report import NOT_MEASURED, Table, met, number, ratio
from targets import (
    HEAVY_MODULES,
    HELP_MAX_MS,
    KEDRO_ISSUE_RUN_MS,
    KEDRO_ISSUE_VERSION_MS,
    RUN_MAX_MS,
    TargetResult,
)

NAME = "process"

#: The entry-point groups through which hookline finds plugins.
PLUGIN_GROUPS = ("hookline.hooks", "hookline.commands")

LABELS = {
    "help": "--help",
    "version": "--version",
    "run": "run (3 nodes, no I/O)",
    "run-plugins": "run (3 nodes, all installed plugins active)",
}

COMMAND_TIMEOUT_SECONDS = 600

IMPORT_CHECK = (
    "import json, sys, hookline; "
    f"print(json.dumps([m for m in {list(HEAVY_MODULES)!r} if m in sys.modules]))"
)


def installed_plugins() -> list[str]:
    """Distribution names of the installed hookline plugins, from their entry points."""
    names = {
        entry_point.dist.name
        for group in PLUGIN_GROUPS
        for entry_point in metadata.entry_points(group=group)
        if entry_point.dist is not None
    }
    return sorted(names)


def script(tool: str) -> str:
    """The tool's console script next to this interpreter (else on PATH)."""
    beside = Path(sys.executable).parent / tool
    found = str(beside) if beside.is_file() else shutil.which(tool)
    if found is None:
        raise SystemExit(f"The `{tool}` command is not installed next to {sys.executable}.")
    return found


def run(config: BenchConfig) -> CaseOutcome:
    """Time each command with each tool and return one table and the target results."""
    plugins = installed_plugins()
    keys = ["help", "version", "run"] + (["run-plugins"] if plugins else [])
    versions = {"hookline": metadata.version("hookline")}
    if config.with_kedro:
        versions["kedro"] = metadata.version("kedro")
    expected = {
        "help": dict.fromkeys(config.tools, "Usage:"),
        "version": {tool: f"version {versions[tool]}" for tool in config.tools},
        "run": dict.fromkeys(config.tools, RESULT_LINE),
        "run-plugins": {"hookline": RESULT_LINE},
    }
    with tempfile.TemporaryDirectory(prefix="hookline-bench-process-") as tmp:
        root = Path(tmp)
        elsewhere = root / "elsewhere"
        elsewhere.mkdir()
        projects = {"hookline": write_hookline_project(root)}
        if config.with_kedro:
            projects["kedro"] = write_kedro_project(root, versions["kedro"])

        def measure_one(key: str, tool: str) -> dict[str, Any] | None:
            if tool not in expected[key]:
                return None
            env = tool_environment()
            if key == "run":
                # Core against core: plugin hooks (MLflow tracking, StatsD) are I/O.
                env["HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS"] = ",".join(plugins)
            argv = [script(tool), "run"] if key.startswith("run") else [script(tool), f"--{key}"]
            cwd = projects[tool] if key.startswith("run") else elsewhere
            return _time_command(argv, cwd, env, expected[key][tool])

        # Discarded runs: compiling bytecode and warming the file cache is not what we measure.
        for key in keys:
            for tool in config.tools:
                measure_one(key, tool)
        samples = alternate(
            keys,
            config.tools,
            lambda _: config.repeats_for(10),
            measure_one,
            lambda key, _: LABELS[key],
        )
        heavy = _heavy_imports(elsewhere)

    outcome = CaseOutcome()
    millis: dict[tuple[str, str], float | None] = {}
    table = Table(
        "Whole process (ms wall, median)",
        (
            "Command",
            "hookline ms",
            "Kedro ms",
            "hookline/Kedro",
            "Target (issue 2)",
            "Result check",
        ),
    )
    for key in keys:
        bad = []
        for tool in config.tools:
            sample = samples.get((key, tool))
            if sample is None:
                continue
            outcome.checked += len(sample.results)
            problems = [f"process {tool} {LABELS[key]}: {e}" for e in sample.errors]
            problems += [
                f"process {tool} {LABELS[key]}: {got}" for got in sorted(sample.digests() - {"ok"})
            ]
            if problems:
                bad.append(tool)
            outcome.failures.extend(problems)
            seconds = sample.median()
            millis[key, tool] = None if seconds is None else seconds * 1e3
        ours, theirs = millis.get((key, "hookline")), millis.get((key, "kedro"))
        limit = {"help": HELP_MAX_MS, "run": RUN_MAX_MS}.get(key)
        target = "—" if limit is None or ours is None else f"< {limit:g}: {met(ours < limit)}"
        table.rows.append(
            [
                LABELS[key],
                number(ours),
                number(theirs) if key != "run-plugins" and config.with_kedro else NOT_MEASURED,
                ratio(ours, theirs),
                target,
                "ok" if not bad else "**" + ", ".join(bad) + " WRONG or failed**",
            ]
        )
    table.notes.append(
        f"Each figure: the median of {config.repeats_for(10)} runs, tools alternated, after one "
        "discarded run of each command. Kedro runs with its telemetry opted out "
        "(KEDRO_DISABLE_TELEMETRY), since it may ask for consent and use the network. "
        f"hookline plugins installed: {', '.join(plugins) or 'none'}; their hooks are disabled "
        "for the plain `run` row, so that it compares core with core."
    )
    outcome.tables.append(table)

    help_ms, run_ms = millis.get(("help", "hookline")), millis.get(("run", "hookline"))
    outcome.targets.extend(
        [
            TargetResult(
                "`hookline --help` wall time, all plugins installed "
                f"(installed here: {', '.join(plugins) or 'none'})",
                f"< {HELP_MAX_MS:g} ms",
                f"{number(help_ms)} ms",
                None if help_ms is None else help_ms < HELP_MAX_MS,
                f"`kedro --version` {KEDRO_ISSUE_VERSION_MS} ms / "
                f"--help {number(millis.get(('help', 'kedro')))} ms, "
                f"--version {number(millis.get(('version', 'kedro')))} ms",
            ),
            TargetResult(
                "`hookline run` of a 3-node project with no I/O, wall time",
                f"< {RUN_MAX_MS:g} ms",
                f"{number(run_ms)} ms",
                None if run_ms is None else run_ms < RUN_MAX_MS,
                f"{KEDRO_ISSUE_RUN_MS} ms / {number(millis.get(('run', 'kedro')))} ms",
            ),
            TargetResult(
                f"`import hookline` imports none of {', '.join(HEAVY_MODULES)}",
                "none imported",
                "imported: " + (", ".join(heavy) if heavy else "none"),
                not heavy,
            ),
        ]
    )
    return outcome


def _time_command(argv: list[str], cwd: Path, env: dict[str, str], expect: str) -> dict[str, Any]:
    """Run ``argv`` once; its wall time, and ``ok`` if it exited 0 printing ``expect``."""
    started = time.perf_counter()
    proc = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_SECONDS,
        check=False,
    )
    seconds = time.perf_counter() - started
    output = proc.stdout + proc.stderr
    if proc.returncode == 0 and expect in output:
        return {"seconds": seconds, "digest": "ok"}
    tail = " | ".join(output.strip().splitlines()[-3:])
    return {"seconds": seconds, "digest": f"exit {proc.returncode}, no {expect!r}: {tail}"}


def _heavy_imports(cwd: Path) -> list[str]:
    """The heavy modules that ``import hookline`` pulls in, in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded: list[str] = json.loads(proc.stdout)
    return loaded
