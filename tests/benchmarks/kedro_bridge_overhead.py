"""What hookline-kedro adds to each node of `kedro run` when every hookline plugin is installed
but switched off (``HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS`` names them all), against plain Kedro:
the same SequentialRunner, pipeline and catalog, side by side. Target: under 20 µs per node.

    python tests/benchmarks/kedro_bridge_overhead.py [--nodes 2000] [--repeats 9]

Run it in an environment with Kedro 1.x, hookline-kedro and the plugins (``nox -s
kedro_bridge`` makes one: ``.nox/kedro_bridge/bin/python``). The pipeline is a chain of
no-op nodes, each reading one memory dataset and writing the next, so that every node fires
the six node and dataset hooks; Kedro's hook manager is made as ``kedro run`` makes it, with
the bridge registered as Kedro registers it (through its entry point) or not at all. The two
alternate, each run in the same process after a warm-up; the figure is the difference of the
medians divided by the number of nodes.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
from importlib import metadata
from typing import Any

PLUGINS = "hookline-mlflow,hookline-memory,hookline-statsd,hookline-great-expectations"
TARGET_US = 20.0


def _step(value: Any) -> Any:
    return value


def _pipeline(nodes: int) -> Any:
    from kedro.pipeline import node, pipeline

    return pipeline([node(_step, f"d{i}", f"d{i + 1}", name=f"n{i}") for i in range(nodes)])


def _hook_manager(with_bridge: bool) -> Any:
    from kedro.framework.hooks.manager import _create_hook_manager

    manager = _create_hook_manager()
    if with_bridge:
        (entry_point,) = metadata.entry_points(group="kedro.hooks", name="hookline")
        bridge = entry_point.load()
        # What Kedro's session does first: the bridge finds every plugin switched off.
        manager.register(bridge)
        manager.hook.after_context_created(context=None)
    return manager


def _one_run(pipeline: Any, with_bridge: bool) -> float:
    from kedro.io import DataCatalog, MemoryDataset
    from kedro.runner import SequentialRunner

    manager = _hook_manager(with_bridge)
    catalog = DataCatalog({"d0": MemoryDataset(0)})
    started = time.perf_counter()
    SequentialRunner().run(pipeline, catalog, manager, run_id="bench")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    os.environ["HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS"] = PLUGINS
    logging.disable(logging.WARNING)  # Kedro logs every node: the same cost on both sides
    pipeline = _pipeline(args.nodes)
    times: dict[bool, list[float]] = {False: [], True: []}
    for with_bridge in (False, True):  # warm-up: imports and first calls
        _one_run(pipeline, with_bridge)
    for _ in range(args.repeats):
        for with_bridge in (False, True):
            times[with_bridge].append(_one_run(pipeline, with_bridge))
    plain, bridged = (statistics.median(times[flag]) for flag in (False, True))
    per_node_us = (bridged - plain) / args.nodes * 1e6
    verdict = "met" if per_node_us < TARGET_US else "NOT MET"
    print(f"| kedro run, SequentialRunner, {args.nodes:,} nodes | median of {args.repeats} |")
    print("| --- | --- |")
    print(f"| plain Kedro | {plain * 1e3:.1f} ms ({plain / args.nodes * 1e6:.1f} µs/node) |")
    print(
        f"| with hookline-kedro, every plugin switched off | {bridged * 1e3:.1f} ms "
        f"({bridged / args.nodes * 1e6:.1f} µs/node) |"
    )
    print(f"| overhead per node | {per_node_us:.2f} µs (target < {TARGET_US:.0f} µs: {verdict}) |")


if __name__ == "__main__":
    main()
