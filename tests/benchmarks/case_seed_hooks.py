"""Case "seed-hooks": the seed's hook classes under Kedro and under hookline, next to hookline's
own plugin for the same job, each in a whole ``run`` of the same small project.

Needs an environment with Kedro, kedro-datasets, every hookline plugin and the seeds'
libraries (memory_profiler, statsd, mlflow); ``nox -s bench`` makes one and passes its Python
as ``--seed-python``. The harness runs this file with that Python::

    python tests/benchmarks/case_seed_hooks.py RESULT_JSON [--quick] [--repeats N] [--no-kedro]

and shows the tables it writes. The servers are real: a StatsD daemon (the seed's client sends
to localhost:8125, so the daemon listens there when that port is free) and an ``mlflow
server`` on loopback for both the seed's fluent calls and hookline-mlflow. The seed's Great
Expectations hooks are not run, and the table says why.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config import BenchConfig
from outcome import CaseOutcome
from report import NOT_MEASURED, Rendered, Table, number, ratio

NAME = "seed-hooks"

HERE = Path(__file__).resolve().parent
REPOSITORY = HERE.parents[1]

#: Where the seed's StatsClient sends: the statsd library's default.
SEED_STATSD_PORT = 8125

GX_NOT_RUN = (
    "not run: the seed's DataValidationHooks call `run_validation_operator` (V2) and "
    "`run_checkpoint` (V3), which exist only in great_expectations 0.15.x; 0.15.50 needs "
    "pydantic 1 and mlflow 3 needs pydantic 2, so it cannot share this environment (its tests "
    "run in `nox -s legacy_great_expectations`). The plugin against the seed's way on GX 1.x "
    "is measured by great_expectations_plugin.py below."
)


# -- the harness's side (the bench environment) --------------------------------------------------


def run(config: BenchConfig) -> CaseOutcome:
    """Run this file with the seed environment's Python and turn its JSON into an outcome."""
    outcome = CaseOutcome()
    if config.seed_python is None:
        table = Table("The seed's hooks under Kedro and hookline", ("Job", "Result"))
        table.rows.append(
            ["every seed hook", "not measured: needs --seed-python (`nox -s bench` makes it)"]
        )
        outcome.tables.append(table)
        return outcome
    with tempfile.TemporaryDirectory(prefix="hookline-bench-seed-") as tmp:
        result_path = Path(tmp) / "result.json"
        argv = [config.seed_python, str(Path(__file__).resolve()), str(result_path)]
        if config.quick:
            argv.append("--quick")
        if config.repeats is not None:
            argv += ["--repeats", str(config.repeats)]
        if not config.with_kedro:
            argv.append("--no-kedro")
        proc = subprocess.run(argv, cwd=REPOSITORY, stdout=sys.stderr, check=False)
        if proc.returncode != 0 or not result_path.is_file():
            outcome.failures.append(f"seed-hooks: the case exited {proc.returncode}")
            return outcome
        result = json.loads(result_path.read_text())
    outcome.tables.extend(Rendered(text) for text in result["sections"])
    outcome.checked = result["checked"]
    outcome.failures.extend(result["failures"])
    return outcome


# -- the measuring side (the seed environment) ----------------------------------------------------


@dataclass(frozen=True)
class Job:
    """One measured configuration: which project of which tool, with which plugin on."""

    hook: str
    tool: str
    kind: str  # "none", "seed" or "plugin"

    def label(self) -> str:
        """For progress lines and errors."""
        return f"{self.tool}: {self.hook} {self.kind}"


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def _statsd(workdir: Path) -> Iterator[tuple[Any, str]]:
    """The real StatsD daemon, on the seed's port when free; and a sentence saying where."""
    sys.path.insert(0, str(REPOSITORY))
    from tests.integration.servers.statsd_graphite import missing_daemon, statsd_daemon

    absent = missing_daemon()
    if absent is not None:
        yield None, f"no StatsD daemon ({absent}): UDP datagrams went unanswered"
        return
    port = SEED_STATSD_PORT if _port_free(SEED_STATSD_PORT) else None
    with statsd_daemon(workdir, udp_port=port, dump_messages=False) as daemon:
        where = (
            f"the real StatsD daemon on UDP {daemon.port}"
            if port is not None
            else f"the real StatsD daemon on UDP {daemon.port} for the plugin; port "
            f"{SEED_STATSD_PORT} (the seed's) was taken by another process"
        )
        yield daemon, where


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Measure every job, alternating, and return the report's sections and checks."""
    from importlib import metadata

    from case_process import installed_plugins
    from measure import alternate, tool_environment
    from seed_projects import SEED_HOOKS, write_projects

    tools = ("hookline",) if args.no_kedro else ("hookline", "kedro")
    repeats = args.repeats or (1 if args.quick else 5)
    kedro_version = None if args.no_kedro else metadata.version("kedro")
    plugins = installed_plugins()
    sys.path.insert(0, str(REPOSITORY))
    from tests.integration.servers.mlflow_server import running_mlflow_server

    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="hookline-seed-")))
        daemon, statsd_where = stack.enter_context(_statsd(root / "statsd"))
        server = stack.enter_context(running_mlflow_server())
        projects = {tool: write_projects(root / tool, tool, kedro_version) for tool in tools}
        base_env = tool_environment()
        base_env.update(MLFLOW_TRACKING_URI=server.uri, MLFLOW_DISABLE_TELEMETRY="true")
        if daemon is not None:
            base_env.update(STATSD_HOST="127.0.0.1", STATSD_PORT=str(daemon.port))

        jobs = [Job("none", tool, "none") for tool in tools]
        for key in SEED_HOOKS:
            jobs += [Job(key, tool, "seed") for tool in tools]
            jobs.append(Job(key, "hookline", "plugin"))

        def run_job(job: Job, _: str) -> dict[str, Any]:
            env = dict(base_env)
            enabled = SEED_HOOKS[job.hook].plugin if job.kind == "plugin" else None
            env["HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS"] = ",".join(p for p in plugins if p != enabled)
            project = projects[job.tool]["none" if job.kind == "plugin" else job.hook]
            return _run_once(job.tool, project, env)

        # Discarded runs: bytecode compiled, files cached, MLflow experiments created. A quick
        # run warms up the baselines only (the tools' and libraries' bytecode).
        warmed = not args.quick
        for job in jobs if warmed else [job for job in jobs if job.kind == "none"]:
            run_job(job, job.tool)
        samples = alternate(jobs, ("any",), lambda _: repeats, run_job, lambda job, _: job.label())
        bad_lines = None if daemon is None else daemon.bad_lines_seen()
        mlflow_status = _mlflow_statuses(server.uri)
    report = _report(jobs, samples, tools, repeats, warmed, statsd_where, bad_lines, mlflow_status)
    return report


def _run_once(tool: str, project: Path, env: dict[str, str]) -> dict[str, Any]:
    from case_process import script
    from measure import run_process
    from seed_projects import clear_outputs, output_digest

    clear_outputs(project)
    done = run_process([script(tool), "run"], project, env)
    if done.returncode != 0:
        return {"error": f"{tool} exit {done.returncode}: {done.tail()}"}
    try:
        digest = output_digest(project)
    except (OSError, ValueError) as error:
        return {"error": f"{tool} outputs: {error}"}
    return {"seconds": done.seconds, "rss_peak_mib": done.rss_peak_mib, "digest": digest}


def _mlflow_statuses(uri: str) -> dict[str, int]:
    """How many runs the server holds in each status (every run must have ended)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiments = [e.experiment_id for e in client.search_experiments()]
    counts: dict[str, int] = {}
    for run in client.search_runs(experiments, max_results=10_000):
        counts[run.info.status] = counts.get(run.info.status, 0) + 1
    return counts


def _report(
    jobs: list[Job],
    samples: dict[tuple[Job, str], Any],
    tools: tuple[str, ...],
    repeats: int,
    warmed: bool,
    statsd_where: str,
    bad_lines: int | None,
    mlflow_status: dict[str, int],
) -> dict[str, Any]:
    from seed_projects import SEED_HOOKS

    failures: list[str] = []
    digests: set[str] = set()
    checked = 0
    millis: dict[Job, float | None] = {}
    for job in jobs:
        sample = samples[job, "any"]
        checked += len(sample.results)
        failures.extend(f"seed-hooks {job.label()}: {e}" for e in sample.errors)
        digests |= sample.digests()
        seconds = sample.median()
        millis[job] = None if seconds is None else seconds * 1e3
    if len(digests) > 1:
        failures.append("seed-hooks: runs computed different scores: " + ", ".join(sorted(digests)))
    unfinished = {status: n for status, n in mlflow_status.items() if status != "FINISHED"}
    if unfinished:
        failures.append(f"seed-hooks: MLflow runs not FINISHED: {unfinished}")

    def cell(job: Job) -> str:
        value, base = millis.get(job), millis.get(Job("none", job.tool, "none"))
        if value is None:
            return "failed" if (job, "any") in samples else NOT_MEASURED
        if job.kind == "none" or base is None:
            return number(value)
        return f"{number(value)} ({value - base:+,.1f})"

    table = Table(
        "The seed's hooks under Kedro and hookline, and hookline's plugins "
        "(whole `run`, ms wall, median; added to the same tool's run with no hook in brackets)",
        (
            "Job",
            "Kedro + seed hook",
            "hookline + seed hook (import changed)",
            "hookline/Kedro (seed hook)",
            "hookline's plugin",
        ),
    )
    none = {tool: Job("none", tool, "none") for tool in tools}
    table.rows.append(
        [
            "no hook (baseline)",
            cell(none["kedro"]) if "kedro" in tools else NOT_MEASURED,
            cell(none["hookline"]),
            ratio(millis.get(none["hookline"]), millis.get(none.get("kedro", none["hookline"])))
            if "kedro" in tools
            else NOT_MEASURED,
            "—",
        ]
    )
    for key, hook in SEED_HOOKS.items():
        ours, theirs = Job(key, "hookline", "seed"), Job(key, "kedro", "seed")
        table.rows.append(
            [
                hook.label,
                cell(theirs) if "kedro" in tools else NOT_MEASURED,
                cell(ours),
                ratio(millis.get(ours), millis.get(theirs)) if "kedro" in tools else NOT_MEASURED,
                f"{hook.plugin}: {cell(Job(key, 'hookline', 'plugin'))}",
            ]
        )
    table.rows.append(["Great Expectations (DataValidationHooks)", GX_NOT_RUN, "", "", ""])
    status = ", ".join(f"{n} {s}" for s, n in sorted(mlflow_status.items())) or "none"
    table.notes.extend(
        [
            "The pipeline: the seed's MLflow example's (split_data, train_model, evaluate_model; "
            "`params:example_test_data_ratio`, `parameters`, `example_model`), 2,000 rows of CSV "
            "in, a pickled model and JSON scores out. Every run of every row computed "
            + ("the same scores." if len(digests) == 1 else "**different scores**.")
            + " Each plugin runs alone (the others disabled), with its default configuration; "
            "the seed's hooks run with every plugin disabled.",
            f"StatsD: {statsd_where}"
            + ("" if bad_lines is None else f"; lines the daemon rejected: {bad_lines:,}")
            + " (the seed's gauges of `params:` datasets contain StatsD's separator). "
            f"MLflow: a real `mlflow server` on loopback; runs at the end: {status}.",
            "Kedro 1.x names the run's id `run_id` in `run_params`, where the seed (written for "
            "Kedro 0.18) reads `session_id`: as written, the seed's MLflow hook fails on Kedro "
            "1.7 with `KeyError: 'session_id'`, so the Kedro project's copy reads `run_id`. "
            "hookline passes both keys, and runs the seed with only its import lines changed.",
            f"Each figure: the median of {repeats} runs, jobs interleaved"
            + (
                ", after one discarded run of each"
                if warmed
                else ", after one discarded run of the baselines only (--quick)"
            )
            + ". The seed's memory hook samples for 0.1 s before and after every "
            "dataset load (memory_profiler's interval), which is most of its cost.",
        ]
    )
    return {"sections": [table.render()], "checked": checked, "failures": failures}


def main(argv: list[str]) -> int:
    """Measure and write the JSON the harness reads."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("result", type=Path)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--no-kedro", action="store_true")
    args = parser.parse_args(argv)
    args.result.write_text(json.dumps(measure(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
