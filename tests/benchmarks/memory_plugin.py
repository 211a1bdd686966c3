"""Benchmark: the time hookline-memory adds to each dataset load, next to the seed's hook.

One pipeline with ``--loads`` dataset loads (one node reading that many memory datasets) is
run, interleaved in one process, with no hook, with hookline-memory measuring loads only
(the per-load figure), with hookline-memory measuring loads, saves and nodes (its default),
and with the seed's ``MemoryProfilingHooks`` (memory_profiler, 0.1 s interval). The time a
configuration adds per load is its median run time minus the median run time with no hook,
divided by the number of loads. The target (issue 6) is under 0.2 ms per load.

Run from the repository root, with hookline, hookline-memory, memory_profiler installed::

    python tests/benchmarks/memory_plugin.py                 # 100 loads, 200 repetitions
    python tests/benchmarks/memory_plugin.py --seed-repeats 0   # skip the seed's slow hook
"""

from __future__ import annotations

import argparse
import gc
import logging
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hookline import DataCatalog, SequentialRunner, node, pipeline
from hookline.datasets import MemoryDataset
from hookline.hooks.manager import HookManager, create_hook_manager
from hookline.pipeline import Pipeline
from hookline_memory import MemoryConfig, MemoryHooks

ROOT = Path(__file__).resolve().parents[2]

TARGET_MS_PER_LOAD = 0.2


def consume(*values: int) -> int:
    """The node: reads every input, so each one is loaded once."""
    return sum(values)


def build(loads: int) -> tuple[Pipeline, Callable[[], DataCatalog]]:
    """A one-node pipeline with ``loads`` inputs, and a factory of fresh catalogs for it."""
    names = [f"in{i}" for i in range(loads)]
    pipe = pipeline([node(consume, names, "total", name="consume")])

    def catalog() -> DataCatalog:
        return DataCatalog({name: MemoryDataset(i) for i, name in enumerate(names)})

    return pipe, catalog


def plugin(measure_all: bool) -> MemoryHooks:
    """hookline-memory with its default settings, or measuring loads only."""
    hooks = MemoryHooks()
    if not measure_all:
        hooks.configure(MemoryConfig(measure_saves=False, measure_nodes=False))
    return hooks


def seed_hooks() -> Any:
    """The seed's hook class, verbatim but for its import line."""
    if str(ROOT) not in sys.path:  # run as a script: make `tests.plugins.memory` importable
        sys.path.insert(0, str(ROOT))
    from tests.plugins.memory.seed_hooks import MemoryProfilingHooks

    return MemoryProfilingHooks()


def time_run(pipe: Pipeline, catalog: DataCatalog, manager: HookManager) -> float:
    """Seconds one run of ``pipe`` takes."""
    gc.collect()
    started = time.perf_counter()
    SequentialRunner().run(pipe, catalog, manager)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per configuration."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=100, help="dataset loads per run")
    parser.add_argument("--repeats", type=int, default=200, help="runs per fast configuration")
    parser.add_argument(
        "--seed-repeats", type=int, default=1, help="runs of the seed's hook (0.2 s per load)"
    )
    args = parser.parse_args(argv)
    # The node's "Completed" line and the plugin's lines would be written for every run;
    # what is measured here is the hooks, so logging stays quiet (as in the seed's project).
    logging.basicConfig(level=logging.WARNING)

    pipe, catalog = build(args.loads)
    loads_only, default = plugin(measure_all=False), plugin(measure_all=True)
    managers = {
        "no hook": create_hook_manager((), load_entry_points=False),
        "hookline-memory, loads only": create_hook_manager((loads_only,), load_entry_points=False),
        "hookline-memory, default (loads, saves, nodes)": create_hook_manager(
            (default,), load_entry_points=False
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in managers}
    for manager in managers.values():  # warm-up: imports, first sampler thread start
        time_run(pipe, catalog(), manager)
    for _ in range(args.repeats):
        # Interleaved, so that a slower stretch of the machine affects every configuration.
        for name, manager in managers.items():
            times[name].append(time_run(pipe, catalog(), manager))
    if args.seed_repeats > 0:
        seed = create_hook_manager((seed_hooks(),), load_entry_points=False)
        times["seed MemoryProfilingHooks"] = [
            time_run(pipe, catalog(), seed) for _ in range(args.seed_repeats)
        ]
    loads_only.close()
    default.close()

    baseline = statistics.median(times["no hook"])
    print(f"hookline-memory benchmark: one node reading {args.loads} memory datasets")
    print(f"{'configuration':<48} {'runs':>5} {'median run':>12} {'added per load':>16}")
    added: dict[str, float] = {}
    for name, samples in times.items():
        median = statistics.median(samples)
        added[name] = (median - baseline) / args.loads * 1000
        per_load = "" if name == "no hook" else f"{added[name]:.4f} ms"
        print(f"{name:<48} {len(samples):>5} {median * 1000:>9.3f} ms {per_load:>16}")
    plugin_ms = added["hookline-memory, loads only"]
    verdict = "met" if plugin_ms < TARGET_MS_PER_LOAD else "NOT met"
    print(f"target: hookline-memory adds < {TARGET_MS_PER_LOAD} ms per load: {verdict}")
    if "seed MemoryProfilingHooks" in added and plugin_ms > 0:
        ratio = added["seed MemoryProfilingHooks"] / plugin_ms
        print(f"the seed's hook adds {ratio:,.0f}x as much per load")
    return 0


if __name__ == "__main__":
    sys.exit(main())
