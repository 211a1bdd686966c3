"""Benchmark of the runners with worker processes (issue 3): ParallelRunner and DaskRunner.

Two cases; every measurement runs in a fresh child process (``python -c "import parallel..."``
with this folder on ``PYTHONPATH``, so that node functions import by name in worker processes):

``cpu``
    8 independent CPU-bound nodes of about 1 s each (a pure-Python loop, which holds the GIL,
    calibrated on this machine), on SequentialRunner, ParallelRunner (2 workers, spawn),
    DaskRunner with no address (it starts and stops a LocalCluster of 2 workers inside the
    timed run) and DaskRunner on a LocalCluster of 2 workers started before the clock.
    Target of issue 3: ParallelRunner and DaskRunner at most 0.6x the SequentialRunner time.

``overhead``
    The scheduling cost per node: a wide pipeline of identity nodes all reading one memory
    dataset, of 1 and of 1,000 nodes; per node = (T(1,000) - T(1)) / 999, which leaves out
    the fixed cost of starting workers. Kedro's ParallelRunner (with ``KEDRO_MP_CONTEXT=spawn``
    and a ``SharedMemoryDataCatalog``, as Kedro requires) runs the same pipelines when Kedro is
    importable; it is far slower, so it is measured on ``--kedro-nodes`` nodes (default 100).

Usage::

    python tests/benchmarks/parallel.py [--quick] [--repeats N] [--case cpu|overhead|both]
                                        [--no-kedro] [--kedro-nodes N] [--json PATH]

Figures are medians over the repetitions; the tables are Markdown, printed to stdout.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: Nodes of the CPU-bound case, and the seconds each should take.
CPU_NODES = 8
CPU_NODE_SECONDS = 1.0
#: Worker processes of ParallelRunner and of the LocalCluster.
WORKERS = 2
#: Sizes of the overhead case.
OVERHEAD_SIZES = (1, 1_000)
#: Issue 3's target for the CPU-bound case.
TARGET_RATIO = 0.6
#: A child that takes longer is stopped and reported as such.
CHILD_TIMEOUT_SECONDS = 1_800
SEED = 7


# -- node functions (imported by name in worker processes) ---------------------------------------


def burn(loops: int) -> int:
    """CPU-bound pure Python: holds the GIL for the whole call."""
    total = 0
    for i in range(loops):
        total = (total * 31 + i) % 1_000_003
    return total


def identity(x: Any) -> Any:
    """A trivial node."""
    return x


def calibrate(seconds: float) -> int:
    """The loop count that makes :func:`burn` take about ``seconds`` here."""
    loops = 200_000
    while True:
        started = time.perf_counter()
        burn(loops)
        took = time.perf_counter() - started
        if took > 0.2:
            return int(loops * seconds / took)
        loops *= 2


# -- the child side -----------------------------------------------------------------------------


def _hookline_runner(name: str, address: str | None) -> Any:
    from hookline.runner import DaskRunner, ParallelRunner, SequentialRunner

    if name == "sequential":
        return SequentialRunner()
    if name == "parallel":
        return ParallelRunner(max_workers=WORKERS, mp_context="spawn")
    if name == "dask-embedded":
        return DaskRunner(n_workers=WORKERS)
    return DaskRunner(address=address)


def _hookline_pipeline(job: dict[str, Any]) -> tuple[Any, Any, list[str]]:
    from hookline import DataCatalog, node, pipeline
    from hookline.datasets import MemoryDataset

    if job["case"] == "cpu":
        nodes = [node(burn, "loops", f"o{i}", name=f"burn{i}") for i in range(CPU_NODES)]
        catalog = DataCatalog({"loops": MemoryDataset(job["loops"])})
    else:
        nodes = [node(identity, "d0", f"w{i}", name=f"n{i}") for i in range(job["size"])]
        catalog = DataCatalog({"d0": MemoryDataset(SEED)})
    return pipeline(nodes), catalog, [n for nd in nodes for n in nd.outputs]


def _run_hookline(job: dict[str, Any]) -> dict[str, Any]:
    from hookline.runner.dask import start_local_cluster

    cluster = start_local_cluster(WORKERS) if job["runner"] == "dask-running" else None
    try:
        pipe, catalog, outputs = _hookline_pipeline(job)
        runner = _hookline_runner(job["runner"], cluster.scheduler_address if cluster else None)
        started = time.perf_counter()
        result = runner.run(pipe, catalog)
        seconds = time.perf_counter() - started
    finally:
        if cluster is not None:
            cluster.close()
    return {"seconds": seconds, "outputs": sorted({repr(result[name]) for name in outputs})}


def _run_kedro(job: dict[str, Any]) -> dict[str, Any]:
    os.environ["KEDRO_MP_CONTEXT"] = "spawn"
    from kedro.framework.hooks.manager import _create_hook_manager
    from kedro.io import MemoryDataset, SharedMemoryDataCatalog
    from kedro.pipeline import Pipeline, node
    from kedro.runner import ParallelRunner

    if job["case"] == "cpu":
        nodes = [node(burn, "loops", f"o{i}", name=f"burn{i}") for i in range(CPU_NODES)]
        catalog = SharedMemoryDataCatalog({"loops": MemoryDataset(job["loops"])})
    else:
        nodes = [node(identity, "d0", f"w{i}", name=f"n{i}") for i in range(job["size"])]
        catalog = SharedMemoryDataCatalog({"d0": MemoryDataset(SEED)})
    started = time.perf_counter()
    returned = ParallelRunner(max_workers=WORKERS).run(
        Pipeline(nodes), catalog, _create_hook_manager(), run_id="bench"
    )
    seconds = time.perf_counter() - started
    # Kedro's shared-memory datasets cannot be read once the run has stopped its manager
    # process: only the names of the outputs it returns are checked.
    names = sorted(name for nd in nodes for name in nd.outputs)
    return {"seconds": seconds, "outputs": None, "returned": sorted(returned) == names}


def child(job_json: str, result_path: str) -> None:
    """Run one measurement and write its JSON result to ``result_path``."""
    import logging

    # One INFO line per node is not what is measured here.
    logging.basicConfig(level=logging.WARNING)
    job = json.loads(job_json)
    result = _run_kedro(job) if job["tool"] == "kedro" else _run_hookline(job)
    Path(result_path).write_text(json.dumps(result))


# -- the parent side ----------------------------------------------------------------------------


def measure(job: dict[str, Any]) -> dict[str, Any]:
    """Run ``job`` in a fresh interpreter; return its result or ``{"error": ...}``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(HERE), env.get("PYTHONPATH")]))
    env["KEDRO_DISABLE_TELEMETRY"] = "true"
    env["DO_NOT_TRACK"] = "1"
    with tempfile.TemporaryDirectory(prefix="hookline-bench-parallel-") as folder:
        out = Path(folder) / "result.json"
        code = f"import parallel; parallel.child({json.dumps(job)!r}, {str(out)!r})"
        try:
            done = subprocess.run(
                [sys.executable, "-c", code],
                cwd=folder,
                env=env,
                capture_output=True,
                text=True,
                timeout=CHILD_TIMEOUT_SECONDS,
            )
        except subprocess.TimeoutExpired:
            return {"error": f"took more than {CHILD_TIMEOUT_SECONDS} s"}
        if done.returncode != 0 or not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return {"error": f"exit {done.returncode}: {' | '.join(tail)}"}
        result: dict[str, Any] = json.loads(out.read_text())
        return result


def measure_all(jobs: dict[str, dict[str, Any]], repeats: int) -> dict[str, dict[str, Any]]:
    """Run every job ``repeats`` times, the jobs interleaved round by round (so that a busy
    patch of the machine hits every runner alike), and summarise each: the median wall
    seconds and what the runs returned."""
    runs: dict[str, list[dict[str, Any]]] = {key: [] for key in jobs}
    for number in range(repeats):
        for key, job in jobs.items():
            result = measure(job)
            shown = result.get("error") or f"{result['seconds']:.3f} s"
            print(f"  {key} #{number + 1}: {shown}", file=sys.stderr, flush=True)
            runs[key].append(result)
    summary = {}
    for key, results in runs.items():
        good = [r for r in results if "error" not in r]
        summary[key] = {
            "seconds": statistics.median(r["seconds"] for r in good) if good else None,
            "all_seconds": [r["seconds"] for r in good],
            "outputs": sorted({json.dumps(r["outputs"]) for r in good}),
            "returned": all(r.get("returned", True) for r in good),
            "errors": [r["error"] for r in results if "error" in r],
        }
    return summary


def cpu_case(repeats: int, with_kedro: bool) -> dict[str, Any]:
    """The CPU-bound case: every runner on the same calibrated pipeline."""
    loops = calibrate(CPU_NODE_SECONDS)
    runners = [
        ("hookline", "sequential"),
        ("hookline", "parallel"),
        ("hookline", "dask-embedded"),
        ("hookline", "dask-running"),
    ]
    if with_kedro:
        runners.append(("kedro", "parallel"))
    jobs = {
        f"{tool}:{runner}": {"case": "cpu", "tool": tool, "runner": runner, "loops": loops}
        for tool, runner in runners
    }
    return {"loops": loops, "figures": measure_all(jobs, repeats)}


def overhead_case(repeats: int, with_kedro: bool, kedro_nodes: int) -> dict[str, Any]:
    """The per-node case: T(1) and T(N) per runner."""
    plan = [
        ("hookline", "sequential", OVERHEAD_SIZES),
        ("hookline", "parallel", OVERHEAD_SIZES),
        ("hookline", "dask-running", OVERHEAD_SIZES),
    ]
    if with_kedro:
        plan.append(("kedro", "parallel", (1, kedro_nodes)))
    jobs = {
        f"{tool}:{runner}@{size}": {
            "case": "overhead",
            "tool": tool,
            "runner": runner,
            "size": size,
        }
        for tool, runner, sizes in plan
        for size in sizes
    }
    measured = measure_all(jobs, repeats)
    figures: dict[str, dict[int, Any]] = {}
    for key, figure in measured.items():
        runner_key, _, size = key.partition("@")
        figures.setdefault(runner_key, {})[int(size)] = figure
    return {"figures": figures}


LABELS = {
    "hookline:sequential": "hookline SequentialRunner",
    "hookline:parallel": f"hookline ParallelRunner ({WORKERS} workers, spawn)",
    "hookline:dask-embedded": f"hookline DaskRunner, own LocalCluster ({WORKERS} workers)",
    "hookline:dask-running": f"hookline DaskRunner, running LocalCluster ({WORKERS} workers)",
    "kedro:parallel": f"Kedro ParallelRunner ({WORKERS} workers, spawn)",
}


def _fmt(value: float | None, digits: int = 2) -> str:
    return "failed" if value is None else f"{value:.{digits}f}"


def report(cpu: dict[str, Any] | None, overhead: dict[str, Any] | None, repeats: int) -> str:
    """The Markdown tables of the cases measured."""
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    lines = [
        # Other work on the machine takes cores from the workers: read the figures with it.
        f"Load average at the end (1, 5, 15 min): {load}; {os.cpu_count()} CPUs.",
        "",
    ]
    if cpu is not None:
        lines += _cpu_table(cpu, repeats)
    if overhead is not None:
        lines += _overhead_table(overhead, repeats)
    return "\n".join(lines) + "\n"


def _cpu_table(cpu: dict[str, Any], repeats: int) -> list[str]:
    lines = [
        f"## {CPU_NODES} independent CPU-bound nodes of ~{CPU_NODE_SECONDS:.0f} s "
        f"(median of {repeats})",
        "",
        "| Runner | seconds | x SequentialRunner | target <= 0.6x | outputs |",
        "| --- | --- | --- | --- | --- |",
    ]
    figures = cpu["figures"]
    base = figures["hookline:sequential"]["seconds"]
    expected = figures["hookline:sequential"]["outputs"]
    for key, figure in figures.items():
        seconds = figure["seconds"]
        ratio = None if seconds is None or base is None else seconds / base
        target = "-"
        if key != "hookline:sequential" and key.startswith("hookline") and ratio is not None:
            target = "met" if ratio <= TARGET_RATIO else "**missed**"
        if key.startswith("kedro"):
            same = "names only" if figure["returned"] else "**missing**"
        else:
            same = "same" if figure["outputs"] == expected else "**differ**"
        if figure["errors"]:
            same = "**failed**"
        lines.append(f"| {LABELS[key]} | {_fmt(seconds)} | {_fmt(ratio)} | {target} | {same} |")
        lines.extend(f"|   error: {e} | | | | |" for e in figure["errors"])
    return [*lines, ""]


def _overhead_table(overhead: dict[str, Any], repeats: int) -> list[str]:
    lines = [
        f"## Scheduling overhead per node: wide pipeline of identity nodes (median of {repeats})",
        "",
        "| Runner | T(1) s | N | T(N) s | ms per node, (T(N) - T(1)) / (N - 1) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for key, by_size in overhead["figures"].items():
        sizes = sorted(by_size, key=int)
        small, large = sizes[0], sizes[-1]
        t1, tn = by_size[small]["seconds"], by_size[large]["seconds"]
        per_node = None if t1 is None or tn is None else (tn - t1) / (int(large) - 1) * 1e3
        lines.append(
            f"| {LABELS[key]} | {_fmt(t1, 3)} | {int(large):,} | {_fmt(tn, 3)} | "
            f"{_fmt(per_node, 3)} |"
        )
        for size in sizes:
            lines.extend(f"|   error at {size}: {e} | | | | |" for e in by_size[size]["errors"])
    return [*lines, ""]


def main() -> None:
    """Parse the options, run both cases, print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one repetition of everything")
    parser.add_argument("--repeats", type=int, default=None, help="repetitions (default 3)")
    parser.add_argument("--no-kedro", action="store_true", help="measure hookline only")
    parser.add_argument(
        "--kedro-nodes", type=int, default=100, help="size of Kedro's overhead pipeline"
    )
    parser.add_argument(
        "--case", choices=("cpu", "overhead", "both"), default="both", help="what to measure"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    repeats = args.repeats or (1 if args.quick else 3)
    with_kedro = not args.no_kedro
    if with_kedro and importlib.util.find_spec("kedro") is None:
        print("Kedro is not importable: measuring hookline only.", file=sys.stderr)
        with_kedro = False
    cpu = cpu_case(repeats, with_kedro) if args.case != "overhead" else None
    overhead = overhead_case(repeats, with_kedro, args.kedro_nodes) if args.case != "cpu" else None
    print(report(cpu, overhead, repeats))
    if args.json is not None:
        args.json.write_text(json.dumps({"cpu": cpu, "overhead": overhead}, indent=2))


if __name__ == "__main__":
    main()
