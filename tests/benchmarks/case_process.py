"""Case "process": whole commands as a user runs them, wall time from start to exit.

``--help`` and ``--version`` run in an empty folder (no project to find), ``run`` in a
generated 3-node project with no dataset I/O (projects.py). Output is captured, not a
terminal, for both tools.

The comparison with Kedro runs in the harness's own environment. Issue 2's ``--help`` target
is about an environment with every hookline plugin installed, whose dependencies (MLflow's
Flask, among others) would also slow Kedro's start-up down (its dynaconf imports Flask support
when Flask is importable), so that target is measured with the ``hookline`` command of a
second environment (``--hookline-with-plugins``, made by ``nox -s bench``), hookline only.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from config import BenchConfig
from measure import alternate, tool_environment
from outcome import CaseOutcome
from projects import RESULT_LINE, write_hookline_project, write_kedro_project
from report import Table, met, number, ratio
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

COMMAND_TIMEOUT_SECONDS = 600

IMPORT_CHECK = (
    "import json, sys, hookline; "
    f"print(json.dumps([m for m in {list(HEAVY_MODULES)!r} if m in sys.modules]))"
)


@dataclass(frozen=True)
class Command:
    """One row of the table.

    Attributes:
        label: The row's name.
        args: The arguments after the tool's name.
        in_project: Run in the generated project (else in an empty folder).
        with_plugins: Run the ``hookline`` of the environment with every plugin (hookline only).
    """

    label: str
    args: tuple[str, ...]
    in_project: bool = False
    with_plugins: bool = False


COMMANDS = {
    "help": Command("--help", ("--help",)),
    "version": Command("--version", ("--version",)),
    "run": Command("run (3 nodes, no I/O)", ("run",), in_project=True),
    "help-plugins": Command("--help, every plugin installed", ("--help",), with_plugins=True),
    "run-plugins": Command(
        "run (3 nodes), every plugin installed and active",
        ("run",),
        in_project=True,
        with_plugins=True,
    ),
}


def installed_plugins() -> list[str]:
    """Distribution names of the hookline plugins installed next to the harness."""
    names = {
        entry_point.dist.name
        for group in PLUGIN_GROUPS
        for entry_point in metadata.entry_points(group=group)
        if entry_point.dist is not None
    }
    return sorted(names)


def plugins_of(hookline: str) -> list[str]:
    """The plugins a ``hookline`` command finds, read from its ``hookline info``."""
    proc = subprocess.run([hookline, "info"], capture_output=True, text=True, check=True)
    # `hookline info` prints the core on the first line, then one indented line per plugin.
    return [line.split()[0] for line in proc.stdout.splitlines() if line.startswith("  ")]


def script(tool: str) -> str:
    """The tool's console script next to this interpreter (else on PATH)."""
    beside = Path(sys.executable).parent / tool
    found = str(beside) if beside.is_file() else shutil.which(tool)
    if found is None:
        raise SystemExit(f"The `{tool}` command is not installed next to {sys.executable}.")
    return found


def run(config: BenchConfig) -> CaseOutcome:
    """Time each command with each tool and return one table and the target results."""
    local_plugins = installed_plugins()
    all_plugins = plugins_of(config.plugins_hookline) if config.plugins_hookline else []
    keys = ["help", "version", "run"]
    if config.plugins_hookline:
        keys += ["help-plugins", "run-plugins"]
    versions = {"hookline": metadata.version("hookline")}
    if config.with_kedro:
        versions["kedro"] = metadata.version("kedro")

    def expect(key: str, tool: str) -> str:
        command = COMMANDS[key]
        if command.in_project:
            return RESULT_LINE
        return f"version {versions[tool]}" if key == "version" else "Usage:"

    with tempfile.TemporaryDirectory(prefix="hookline-bench-process-") as tmp:
        root = Path(tmp)
        elsewhere = root / "elsewhere"
        elsewhere.mkdir()
        projects = {"hookline": write_hookline_project(root)}
        if config.with_kedro:
            projects["kedro"] = write_kedro_project(root, versions["kedro"])

        def measure_one(key: str, tool: str) -> dict[str, Any] | None:
            command = COMMANDS[key]
            if command.with_plugins and tool != "hookline":
                return None
            executable = config.plugins_hookline if command.with_plugins else script(tool)
            env = tool_environment()
            if key == "run":
                # Core against core: plugin hooks (MLflow tracking, StatsD) do I/O.
                env["HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS"] = ",".join(local_plugins)
            return _time_command(
                [str(executable), *command.args],
                projects[tool] if command.in_project else elsewhere,
                env,
                expect(key, tool),
            )

        # Discarded runs: compiling bytecode and warming the file cache is not what we measure.
        for key in keys:
            for tool in config.tools:
                measure_one(key, tool)
        samples = alternate(
            keys,
            config.tools,
            lambda _: config.repeats_for(10),
            measure_one,
            lambda key, _: COMMANDS[key].label,
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
    help_key = "help-plugins" if config.plugins_hookline else "help"
    limits = {help_key: HELP_MAX_MS, "run": RUN_MAX_MS}
    for key in keys:
        bad = []
        for tool in config.tools:
            sample = samples.get((key, tool))
            if sample is None:
                continue
            outcome.checked += len(sample.results)
            where = f"process {tool} {COMMANDS[key].label}"
            problems = [f"{where}: {e}" for e in sample.errors]
            problems += [f"{where}: {got}" for got in sorted(sample.digests() - {"ok"})]
            if problems:
                bad.append(tool)
            outcome.failures.extend(problems)
            seconds = sample.median()
            millis[key, tool] = None if seconds is None else seconds * 1e3
        ours, theirs = millis.get((key, "hookline")), millis.get((key, "kedro"))
        limit = limits.get(key)
        target = "—" if limit is None or ours is None else f"< {limit:g}: {met(ours < limit)}"
        table.rows.append(
            [
                COMMANDS[key].label,
                number(ours),
                number(theirs),
                ratio(ours, theirs),
                target,
                "ok" if not bad else "**" + ", ".join(bad) + " WRONG or failed**",
            ]
        )
    table.notes.append(
        f"Each figure: the median of {config.repeats_for(10)} runs, tools alternated, after one "
        "discarded run of each command. Kedro runs with its telemetry opted out "
        "(KEDRO_DISABLE_TELEMETRY), since it may ask for consent and use the network. "
        f"hookline plugins next to Kedro: {', '.join(local_plugins) or 'none'} (disabled for "
        "the `run` row, so that it compares core with core)."
    )
    if config.plugins_hookline:
        table.notes.append(
            f"Rows naming plugins: `{config.plugins_hookline}`, an environment with "
            f"{', '.join(all_plugins) or 'no plugin'} installed (and no Kedro)."
        )
    outcome.tables.append(table)

    help_ms, run_ms = millis.get((help_key, "hookline")), millis.get(("run", "hookline"))
    measured_with = all_plugins if config.plugins_hookline else local_plugins
    outcome.targets.extend(
        [
            TargetResult(
                "`hookline --help` wall time, all plugins installed "
                f"(installed: {', '.join(measured_with) or 'none'})",
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
