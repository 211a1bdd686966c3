"""What hookline-kedro adds to each node of `kedro run` when every hookline plugin is installed
but switched off (``HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS`` names them all), against plain Kedro,
side by side. Target: under 20 µs per node.

    python tests/benchmarks/kedro_bridge_overhead.py [--nodes 2000] [--repeats 9]

Run it in an environment with Kedro 1.x, hookline-kedro and the plugins (``nox -s
kedro_bridge`` makes one: ``.nox/kedro_bridge/bin/python``). Kedro's hook manager is made as
``kedro run`` makes it, with the bridge registered as Kedro registers it (its entry point) or
not at all. Two figures, each the difference of the medians divided by the number of nodes,
the two managers alternating after a warm-up, in CPU time of this (single-threaded) process, so
that other processes of a busy machine do not count:

- hooks: the six node and dataset hook calls Kedro's runner makes for a node of one input and
  one output, with the arguments it passes: exactly what the bridge adds, free of the runner's
  own cost;
- run: SequentialRunner over a chain of no-op nodes, each reading one memory dataset and
  writing the next. Kedro's own per-node cost is milliseconds, so on a busy machine this
  difference is within noise; it shows the first figure is all there is.
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
    started = time.process_time()
    SequentialRunner().run(pipeline, catalog, manager, run_id="bench")
    return time.process_time() - started


def _node_hooks(manager: Any, nodes: int) -> float:
    """The hook calls of ``nodes`` nodes, as Kedro's runner makes them (``Task``)."""
    from kedro.io import DataCatalog
    from kedro.pipeline import node

    catalog = DataCatalog()
    step = node(_step, "a", "b", name="step")
    hook = manager.hook
    started = time.process_time()
    for _ in range(nodes):
        hook.before_dataset_loaded(dataset_name="a", node=step)
        hook.after_dataset_loaded(dataset_name="a", data=1, node=step)
        inputs = {"a": 1}
        hook.before_node_run(node=step, catalog=catalog, inputs=inputs, is_async=False, run_id="b")
        outputs = {"b": 1}
        hook.after_node_run(
            node=step, catalog=catalog, inputs=inputs, outputs=outputs, is_async=False, run_id="b"
        )
        hook.before_dataset_saved(dataset_name="b", data=1, node=step)
        hook.after_dataset_saved(dataset_name="b", data=1, node=step)
    return time.process_time() - started


def _side_by_side(measure: Any, repeats: int) -> tuple[float, float]:
    """Medians of ``measure(with_bridge)``, plain Kedro first, alternating, after a warm-up."""
    times: dict[bool, list[float]] = {False: [], True: []}
    for with_bridge in (False, True):
        measure(with_bridge)
    for _ in range(repeats):
        for with_bridge in (False, True):
            times[with_bridge].append(measure(with_bridge))
    plain, bridged = (statistics.median(times[flag]) for flag in (False, True))
    return plain, bridged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=20_000, help="nodes of the hooks figure")
    parser.add_argument("--run-nodes", type=int, default=100, help="nodes of the run figure")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    os.environ["HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS"] = PLUGINS
    logging.disable(logging.WARNING)  # Kedro logs every node: the same cost on both sides
    managers = {flag: _hook_manager(flag) for flag in (False, True)}
    hooks = _side_by_side(lambda flag: _node_hooks(managers[flag], args.nodes), args.repeats)
    pipeline = _pipeline(args.run_nodes)
    run = _side_by_side(lambda flag: _one_run(pipeline, flag), args.repeats)
    print(f"| kedro, median of {args.repeats} | plain Kedro | with hookline-kedro | per node |")
    print("| --- | --- | --- | --- |")
    for label, nodes, (plain, bridged) in (
        (f"hooks of {args.nodes:,} nodes", args.nodes, hooks),
        (f"SequentialRunner, {args.run_nodes:,} nodes", args.run_nodes, run),
    ):
        per_node_us = (bridged - plain) / nodes * 1e6
        print(
            f"| {label} | {plain * 1e3:.1f} ms | {bridged * 1e3:.1f} ms | {per_node_us:+.2f} µs |"
        )
    per_node_us = (hooks[1] - hooks[0]) / args.nodes * 1e6
    verdict = "met" if per_node_us < TARGET_US else "NOT MET"
    print(f"\nOverhead per node: {per_node_us:.2f} µs (target < {TARGET_US:.0f} µs: {verdict})")


if __name__ == "__main__":
    main()
