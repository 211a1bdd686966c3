"""Case "spaceflights": the example's whole pipeline, run by ``hookline run`` and ``kedro run``.

Both tools run the example's node functions on the same generated data with the same catalog
(CSV in, Parquet, a versioned pickle, JSON and PNG out) in projects generated for the run
(spaceflights_projects.py), with no plugin and no project hook on either side. Each figure is
the wall time of the whole command, as a user runs it, and its peak memory; every run starts
from the raw data alone, and its output files must match those of every other run of both
tools, table by table. A second row runs the same functions in the shape of Kedro's
spaceflights tutorial (modular pipelines: one modelling pipeline reused under two namespaces).
"""

from __future__ import annotations

import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

from case_process import installed_plugins, script
from config import BenchConfig
from measure import alternate, run_process, tool_environment
from outcome import CaseOutcome
from report import Table, number, ratio
from spaceflights_projects import (
    NAMESPACES,
    SHUTTLES,
    clear_outputs,
    output_digest,
    output_summary,
    write_projects,
)

NAME = "spaceflights"

#: The configuration of the main row (a key for ``alternate``).
MAIN = "spaceflights, no plugins"
#: The tutorial's shape, with modular pipelines.
MODULAR = "spaceflights modular, no plugins"

#: Each row's key, whether its projects are modular, and its label in the table.
ROWS = (
    (MAIN, False, "example's 7 nodes, no plugins, no project hook"),
    (
        MODULAR,
        True,
        "tutorial's shape: 10 nodes, modelling reused under 2 namespaces, no plugins",
    ),
)


def _measure(tool: str, project: Path, env: dict[str, str]) -> dict[str, Any]:
    """One run from raw data: its time, peak memory and output digest, or the error."""
    clear_outputs(project)
    done = run_process([script(tool), "run"], project, env)
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}: {done.tail()}"}
    try:
        digest = output_digest(project)
    except (OSError, ValueError) as error:
        return {"error": f"outputs: {error}"}
    return {
        "seconds": done.seconds,
        "rss_peak_mib": done.rss_peak_mib,
        "digest": digest,
        "metrics": output_summary(project),
    }


def run(config: BenchConfig) -> CaseOutcome:
    """Run each row's pipeline with each tool, alternating; each row checked across tools."""
    kedro_version = metadata.version("kedro") if config.with_kedro else None
    env = tool_environment()
    # Core against core: any installed hookline plugin stays out of the comparison.
    env["HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS"] = ",".join(installed_plugins())
    repeats = config.repeats_for(5)
    with tempfile.TemporaryDirectory(prefix="hookline-bench-spaceflights-") as tmp:
        projects = {
            key: write_projects(
                Path(tmp) / key.replace(" ", "_").replace(",", ""), kedro_version, modular
            )
            for key, modular, _ in ROWS
        }
        for key, _, _ in ROWS:  # discarded: bytecode compiled, files cached
            for tool in config.tools:
                _measure(tool, projects[key][tool], env)
        samples = alternate(
            [key for key, _, _ in ROWS],
            config.tools,
            lambda _: repeats,
            lambda key, tool: _measure(tool, projects[key][tool], env),
            lambda key, _: key,
        )

    outcome = CaseOutcome()
    table = Table(
        "Spaceflights pipeline, whole `run` command (ms wall and peak MiB, median)",
        (
            "Pipeline",
            "hookline ms",
            "Kedro ms",
            "hookline/Kedro",
            "hookline MiB",
            "Kedro MiB",
            "Result check",
        ),
    )
    metrics: dict[str, list[str]] = {}
    for key, _, label in ROWS:
        table.rows.append([label, *_row(key, samples, config, outcome)])
        metrics[key] = sorted(
            {r["metrics"] for tool in config.tools for r in samples[key, tool].ok_results}
        )
    table.notes.extend(
        [
            f"Data: the example's generator, {SHUTTLES:,} shuttles, seed fixed; every run starts "
            "from the raw CSV files. Outputs compared across every run of both tools: the three "
            "Parquet tables (as data), metrics.json, the PNG chart (bytes) and one version of "
            f"the pickled model. Metrics computed: {'; '.join(metrics[MAIN]) or 'none'}.",
            f"The tutorial's shape: modelling ({', '.join(NAMESPACES)}) each with its own "
            "parameters, model and metrics files; reporting charts the active model. Metrics "
            f"computed: {' | '.join(metrics[MODULAR]) or 'none'}.",
            f"Each figure: the median of {repeats} runs, tools alternated, after one discarded "
            "run of each. Both tools log at their default level to a file, not a terminal. "
            "Peak memory: the command's peak resident set size (os.wait4), imports included.",
            f"Python {sys.version.split()[0]}, pandas {metadata.version('pandas')}, "
            f"scikit-learn {metadata.version('scikit-learn')}"
            + (
                f", kedro-datasets {metadata.version('kedro-datasets')}"
                if config.with_kedro
                else ""
            )
            + ".",
        ]
    )
    outcome.tables.append(table)
    return outcome


def _row(key: str, samples: Any, config: BenchConfig, outcome: CaseOutcome) -> list[str]:
    """One row's figures and result check; failures and wrong outputs go to ``outcome``."""
    digests: set[str] = set()
    failed = False
    for tool in config.tools:
        sample = samples[key, tool]
        outcome.checked += len(sample.results)
        outcome.failures.extend(f"{key} {tool}: {error}" for error in sample.errors)
        failed = failed or bool(sample.errors)
        digests |= sample.digests()
    if len(digests) > 1:
        outcome.failures.append(
            f"{key}: the runs wrote different outputs: " + ", ".join(sorted(digests))
        )
    millis = {}
    peaks = {}
    for tool in config.tools:
        seconds = samples[key, tool].median()
        millis[tool] = None if seconds is None else seconds * 1e3
        peaks[tool] = samples[key, tool].median("rss_peak_mib")
    check = "ok" if len(digests) == 1 and not failed else "**outputs differ or failed**"
    return [
        number(millis["hookline"]),
        number(millis.get("kedro")),
        ratio(millis["hookline"], millis.get("kedro")),
        number(peaks["hookline"]),
        number(peaks.get("kedro")),
        check,
    ]
