"""Benchmark: the time hookline-mlflow adds to each node, against a real MLflow server, next to
the seed's ModelTrackingHooks (Kedro's MLflow example, synchronous fluent calls).

A linear pipeline of ``--nodes`` trivial nodes (memory datasets) runs, interleaved in one
process, with no hook, with hookline-mlflow (async logging on, the default; and off), and
with the seed's class. Each run is timed in three parts: the start (``before_pipeline_run``:
starting the MLflow run, params, tags), the nodes (the runner), and the end
(``after_pipeline_run``: sending what is pending and ending the run). The time a configuration
adds per node is its median node part minus the median node part with no hook, divided by the
number of nodes; the target (issue 5) is at most 1 ms per node with async logging. The start
and end are fixed costs per run and are reported as such.

A real ``mlflow server`` (SQLite, loopback, started and stopped here) receives everything; the
last run of each hookline-mlflow configuration is read back and checked (one duration metric
per node). Run from the repository root, with hookline, hookline-mlflow and mlflow installed::

    python tests/benchmarks/mlflow_plugin.py                    # 200 nodes, 15 runs each
    python tests/benchmarks/mlflow_plugin.py --runner thread --repeats 5
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a script: make `tests.*` importable
    sys.path.insert(0, str(ROOT))

from hookline import DataCatalog, SequentialRunner, ThreadRunner, node, pipeline  # noqa: E402
from hookline.datasets import MemoryDataset  # noqa: E402
from hookline.hooks.manager import HookManager, create_hook_manager  # noqa: E402
from hookline.pipeline import Pipeline  # noqa: E402
from hookline.runner import AbstractRunner, ProgressReporter  # noqa: E402
from hookline_mlflow import MlflowConfig, MlflowHooks  # noqa: E402

TARGET_MS_PER_NODE = 1.0


def step(x: int) -> int:
    """The node: as cheap as a node can be, so that only the hooks' cost shows."""
    return x + 1


def build(nodes: int) -> tuple[Pipeline, Callable[[], DataCatalog]]:
    """A chain of ``nodes`` nodes, and a factory of fresh catalogs for it."""
    pipe = pipeline([node(step, f"d{i}", f"d{i + 1}", name=f"step_{i}") for i in range(nodes)])

    def catalog() -> DataCatalog:
        return DataCatalog({"d0": MemoryDataset(0)})

    return pipe, catalog


def plugin(uri: str, asynchronous: bool, project: Path) -> MlflowHooks:
    """hookline-mlflow on the server, in an experiment of its own."""
    hooks = MlflowHooks()
    hooks.configure(
        MlflowConfig(
            tracking_uri=uri,
            experiment_name=f"bench-{'async' if asynchronous else 'sync'}",
            async_logging=asynchronous,
        ),
        project_path=project,
        project_name="bench",
    )
    return hooks


def seed_hooks() -> Any:
    """The seed's hook class, verbatim but for its import lines."""
    from tests.plugins.mlflow.seed_hooks import ModelTrackingHooks

    return ModelTrackingHooks()


class QuietReporter(ProgressReporter):
    """No per-node log line: what is measured is the hooks."""

    def node_completed(self, node: Any, seconds: float) -> None:
        """Keep nothing."""


def time_run(
    pipe: Pipeline,
    catalog: DataCatalog,
    manager: HookManager,
    runner: AbstractRunner,
    number: int,
) -> tuple[float, float, float]:
    """Seconds of (start, nodes, end) of one run, with the session's pipeline hooks."""
    session_id = f"bench-{number}-{time.time_ns()}"
    run_params: dict[str, Any] = {
        "session_id": session_id,
        "run_id": session_id,
        "pipeline_name": "__default__",
        "runner": type(runner).__name__,
        "project_path": str(ROOT),
    }
    hook = manager.hook
    started = time.perf_counter()
    hook.before_pipeline_run(run_params=run_params, pipeline=pipe, catalog=catalog)
    nodes_started = time.perf_counter()
    result = runner.run(pipe, catalog, manager, session_id, QuietReporter(), run_params)
    nodes_ended = time.perf_counter()
    hook.after_pipeline_run(
        run_params=run_params, run_result=result, pipeline=pipe, catalog=catalog, measurements=()
    )
    ended = time.perf_counter()
    return nodes_started - started, nodes_ended - nodes_started, ended - nodes_ended


def check(hooks: MlflowHooks, uri: str, nodes: int) -> str:
    """Read the last run of ``hooks`` back: every node's duration must be there."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name(hooks.config.experiment_name or "")
    if experiment is None:
        return "no experiment"
    (run,) = client.search_runs(
        [experiment.experiment_id], order_by=["start_time DESC"], max_results=1
    )
    durations = [k for k in run.data.metrics if k.startswith("node_duration_s/")]
    ok = run.info.status == "FINISHED" and len(durations) == nodes
    return f"{'ok' if ok else 'WRONG'}: {run.info.status}, {len(durations)} node durations"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200, help="nodes in the pipeline")
    parser.add_argument("--repeats", type=int, default=15, help="runs per configuration")
    parser.add_argument("--runner", choices=("sequential", "thread"), default="sequential")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    # MLflow prints a "View run" line per run ended against a server.
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from tests.integration.servers.mlflow_server import running_mlflow_server

    print("starting a real mlflow server on 127.0.0.1 ...", flush=True)
    with running_mlflow_server() as server, tempfile.TemporaryDirectory() as project:
        # The seed logs through MLflow's fluent API, which reads the store from here.
        os.environ["MLFLOW_TRACKING_URI"] = server.uri
        pipe, catalog = build(args.nodes)
        runner: AbstractRunner = (
            SequentialRunner() if args.runner == "sequential" else ThreadRunner(max_workers=4)
        )
        async_hooks = plugin(server.uri, True, Path(project))
        sync_hooks = plugin(server.uri, False, Path(project))
        managers = {
            "no hook": create_hook_manager((), load_entry_points=False),
            "hookline-mlflow, async logging (default)": create_hook_manager(
                (async_hooks,), load_entry_points=False
            ),
            "hookline-mlflow, async_logging: false": create_hook_manager(
                (sync_hooks,), load_entry_points=False
            ),
            "seed ModelTrackingHooks (synchronous)": create_hook_manager(
                (seed_hooks(),), load_entry_points=False
            ),
        }
        times: dict[str, list[tuple[float, float, float]]] = {name: [] for name in managers}
        for number, manager in enumerate(managers.values()):  # warm-up: imports, experiments
            time_run(pipe, catalog(), manager, runner, -number)
        for repeat in range(args.repeats):
            # Interleaved, so that a slower stretch of the machine affects every configuration.
            for name, manager in managers.items():
                times[name].append(time_run(pipe, catalog(), manager, runner, repeat))
        checks = {
            "hookline-mlflow, async logging (default)": check(async_hooks, server.uri, args.nodes),
            "hookline-mlflow, async_logging: false": check(sync_hooks, server.uri, args.nodes),
        }

    base_nodes = statistics.median(t[1] for t in times["no hook"])
    print(
        f"\nhookline-mlflow benchmark: {args.nodes} nodes, {args.runner} runner, "
        f"{args.repeats} runs per configuration, real MLflow server on loopback"
    )
    header = (
        f"| {'configuration':<42} | {'start (ms)':>10} | {'nodes (ms)':>10} | "
        f"{'added per node (ms)':>19} | {'end (ms)':>9} | {'whole run, per node (ms)':>24} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    added: dict[str, float] = {}
    for name, samples in times.items():
        start = statistics.median(t[0] for t in samples)
        nodes = statistics.median(t[1] for t in samples)
        end = statistics.median(t[2] for t in samples)
        added[name] = (nodes - base_nodes) / args.nodes * 1000
        whole = (start + nodes + end - base_nodes) / args.nodes * 1000
        print(
            f"| {name:<42} | {start * 1000:>10.1f} | {nodes * 1000:>10.1f} | "
            f"{added[name]:>19.4f} | {end * 1000:>9.1f} | {whole:>24.3f} |"
        )
    for name, outcome in checks.items():
        print(f"check, {name}: {outcome}")
    plugin_ms = added["hookline-mlflow, async logging (default)"]
    verdict = "met" if plugin_ms <= TARGET_MS_PER_NODE else "NOT met"
    print(f"target: hookline-mlflow (async) adds <= {TARGET_MS_PER_NODE} ms per node: {verdict}")
    return 0 if all(outcome.startswith("ok") for outcome in checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
