"""Case "factories", hookline only (issue 17): what dataset factories cost.

- Resolving a catalog of 1,000 factory-matched datasets (four patterns, one of them
  versioned, and the catch-all): reading the patterns, then finding each name's pattern and
  filling its entry in (what Kedro calls resolving, and the target's figure); and what a run
  does once before its first node, the same plus ``DataCatalog.from_config`` and the creation
  of the 1,000 dataset objects. The first resolution of the process (which imports ``parse``)
  is shown apart.
- The runner's overhead per node on linear chains of identity nodes whose every dataset comes
  from a pattern, at 100, 1,000 and 10,000 nodes, next to the same chains on plain memory
  datasets (alternating), with one no-op hook class and logging at WARNING. The run includes
  the resolution of its datasets, so a cost per node in it would show as a slope.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

from checks import SEED
from config import BenchConfig
from drive_hookline import hook_manager
from logsetup import configure_null_logging
from outcome import CaseOutcome
from pipeline_shapes import identity
from report import Table, number
from targets import FLATNESS_LARGE, FLATNESS_MAX, FLATNESS_SMALL, TargetResult

from hookline import DataCatalog, Pipeline, SequentialRunner, node
from hookline.catalog_factories import DatasetFactories
from hookline.datasets import MemoryDataset

NAME = "factories"

RESOLVED = 1_000
RESOLVE_LIMIT_MS = 50.0
SIZES = (100, 1_000, 10_000)

#: The catalog of the resolution figure: a quarter of the names for each pattern.
RESOLVE_CATALOG: dict[str, Any] = {
    "{name}_csv": {
        "type": "pandas.CSVDataset",
        "filepath": "data/01_raw/{name}.csv",
        "load_args": {"sep": ","},
    },
    "{name}_model": {"type": "pickle.PickleDataset", "filepath": "models/{name}.pkl",
                     "versioned": True},
    "{namespace}.{name}": {"type": "json.JSONDataset", "filepath": "data/{namespace}/{name}.json"},
    "{default}": {"type": "MemoryDataset"},
}  # fmt: skip

#: The catalog of the per-node figure: every dataset of the chain matches this pattern.
CHAIN_CATALOG = {"{name}_data": {"type": "MemoryDataset"}}


def resolve_names() -> list[str]:
    """1,000 dataset names, a quarter matched by each pattern of :data:`RESOLVE_CATALOG`."""
    quarter = RESOLVED // 4
    return [
        *(f"table{i}_csv" for i in range(quarter)),
        *(f"regressor{i}_model" for i in range(quarter)),
        *(f"space{i % 10}.set{i}" for i in range(quarter)),
        *(f"intermediate{i}" for i in range(quarter)),
    ]


def run(config: BenchConfig) -> CaseOutcome:
    """Measure both figures; their tables and issue 17's targets."""
    configure_null_logging("WARNING")
    outcome = CaseOutcome()
    repeats = config.repeats_for(7)
    cold_ms, warm_ms, cpu_ms, created_ms = _resolution(repeats, outcome)
    per_node = _per_node(repeats, outcome)
    flat, flat_cpu = (
        per_node[FLATNESS_LARGE, True, clock] / per_node[FLATNESS_SMALL, True, clock]
        for clock in ("wall", "cpu")
    )
    table = Table(
        "Issue 17: dataset factories",
        ["figure", "measured", "target"],
        [
            [f"resolve {RESOLVED:,} factory-matched datasets (match, fill in)",
             f"{number(warm_ms, 2)} ms", f"< {RESOLVE_LIMIT_MS:g} ms"],
            ["... its CPU time (what a busy machine does not inflate)", f"{number(cpu_ms, 2)} ms",
             ""],
            ["... the first time in the process (imports parse)", f"{number(cold_ms, 2)} ms", ""],
            [f"... and create the {RESOLVED:,} datasets, as a run does (from_config, "
             "add_from_factories)", f"{number(created_ms, 2)} ms", ""],
            *[[f"per node, {size:,} nodes, datasets from a pattern / plain memory datasets "
               "(CPU time in brackets)",
               f"{number(per_node[size, True, 'wall'], 2)} ({number(per_node[size, True, 'cpu'], 2)})"
               f" / {number(per_node[size, False, 'wall'], 2)} "
               f"({number(per_node[size, False, 'cpu'], 2)}) µs", ""]
              for size in SIZES],
            [f"per node with factories at {FLATNESS_LARGE:,} / at {FLATNESS_SMALL}", f"{flat:.2f}x",
             f"≤ {FLATNESS_MAX:g}x"],
            ["... in CPU time", f"{flat_cpu:.2f}x", ""],
        ],
        notes=[
            f"Medians of {repeats} runs, in one process (after a discarded run); dataset objects "
            "cost the same made from a pattern or from an entry of their own. The per-node "
            "figures are SequentialRunner's `run` call, resolution of the pipeline's datasets "
            "included, with one no-op hook class and logging at WARNING."
        ],
    )  # fmt: skip
    outcome.tables.append(table)
    outcome.targets.extend(
        [
            TargetResult(f"resolve {RESOLVED:,} factory-matched datasets", f"< {RESOLVE_LIMIT_MS:g} ms",
                         f"{number(warm_ms, 2)} ms", warm_ms < RESOLVE_LIMIT_MS, issue=17),
            TargetResult(f"Flat with factory datasets: µs per node at {FLATNESS_LARGE:,} / at "
                         f"{FLATNESS_SMALL}", f"≤ {FLATNESS_MAX:g}x", f"{flat:.2f}x",
                         flat <= FLATNESS_MAX, issue=17),
        ]
    )  # fmt: skip
    return outcome


def _resolution(repeats: int, outcome: CaseOutcome) -> tuple[float, float, float, float]:
    """Milliseconds of resolving :func:`resolve_names` the first time, then the median of the
    wall and of the CPU time; and the median of resolving and creating the datasets, as a run
    does."""
    names = resolve_names()
    resolved, cpu = [], []
    for _ in range(repeats + 1):
        gc.collect()
        started, cpu_started = time.perf_counter(), time.process_time()
        factories = DatasetFactories(RESOLVE_CATALOG, "catalog.yml")
        entries = {}
        for name in names:
            found = factories.match(name)
            if found is not None:
                entries[name] = factories.resolve(name, found)
        resolved.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        outcome.checked += 1
        if (
            len(entries) != RESOLVED
            or entries["table7_csv"]["filepath"] != "data/01_raw/table7.csv"
        ):
            outcome.failures.append(f"factories: resolved {len(entries)} of {RESOLVED} entries")
    created = []
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        catalog = DataCatalog.from_config(
            RESOLVE_CATALOG, save_version="2026-12-07T00.00.00.000Z", project_path="/bench"
        )
        catalog.add_from_factories(names)
        created.append((time.perf_counter() - started) * 1000)
        outcome.checked += 1
        if sorted(catalog.list()) != sorted(names):
            outcome.failures.append(f"factories: created {len(catalog)} of {RESOLVED} datasets")
    return (
        resolved[0],
        statistics.median(resolved[1:]),
        statistics.median(cpu[1:]),
        statistics.median(created),
    )


def _chain(size: int, suffix: str) -> Pipeline:
    nodes = [node(identity, "start", f"d1{suffix}", name="n0")]
    nodes += [
        node(identity, f"d{i}{suffix}", f"d{i + 1}{suffix}", name=f"n{i}") for i in range(1, size)
    ]
    return Pipeline(nodes)


def _one_run(size: int, with_factories: bool) -> Callable[[], tuple[float, float, dict[str, Any]]]:
    """Build a run (not timed) and return what times it."""
    pipeline = _chain(size, "_data" if with_factories else "")
    catalog = DataCatalog.from_config(CHAIN_CATALOG if with_factories else {})
    catalog.add("start", MemoryDataset(SEED))
    manager, runner = hook_manager(True), SequentialRunner()

    def timed() -> tuple[float, float, dict[str, Any]]:
        gc.collect()
        started, cpu_started = time.perf_counter(), time.process_time()
        outputs = runner.run(pipeline, catalog, manager, session_id="bench")
        return time.perf_counter() - started, time.process_time() - cpu_started, outputs

    return timed


def _per_node(repeats: int, outcome: CaseOutcome) -> dict[tuple[int, bool, str], float]:
    """µs per node, by (size, with factories, "wall" or "cpu")."""
    _one_run(SIZES[0], True)()  # discarded: first calls fill the interpreter's caches
    samples: dict[tuple[int, bool, str], list[float]] = {}
    for _ in range(repeats):
        for size in SIZES:
            for with_factories in (True, False):  # alternating, so load weighs on both alike
                seconds, cpu, outputs = _one_run(size, with_factories)()
                last = f"d{size}_data" if with_factories else f"d{size}"
                outcome.checked += 1
                if outputs != {last: SEED}:
                    outcome.failures.append(
                        f"factories: {size:,}-node chain returned {sorted(outputs)[:3]}..."
                    )
                samples.setdefault((size, with_factories, "wall"), []).append(seconds / size * 1e6)
                samples.setdefault((size, with_factories, "cpu"), []).append(cpu / size * 1e6)
    return {key: statistics.median(values) for key, values in samples.items()}
