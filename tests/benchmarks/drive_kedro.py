"""Driving Kedro in-process: the same pipelines, catalog, hooks and runners as drive_hookline.

Kedro's pieces are used as a Kedro session uses them: a hook manager from
``_create_hook_manager`` (pluggy tracing enabled, as in every Kedro run), a ``DataCatalog`` of
``MemoryDataset``, and the runners' public ``run``.
"""

from __future__ import annotations

import time
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.framework.hooks.manager import _create_hook_manager
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node, pipeline
from kedro.runner import AbstractRunner, SequentialRunner, ThreadRunner
from pluggy import PluginManager

# isort: split
# The harness's own modules (found next to this file, not installed) after the tool's.
from checks import SEED, first_input
from noop_hooks import make_noop_hooks
from pipeline_shapes import build_pipeline, identity


def hook_manager(with_hooks: bool) -> PluginManager:
    """A fresh manager as a Kedro session creates it, with the no-op hooks or none."""
    manager = _create_hook_manager()
    if with_hooks:
        manager.register(make_noop_hooks(hook_impl))
    return manager


def _runner(name: str) -> AbstractRunner:
    return ThreadRunner() if name == "thread" else SequentialRunner()


def prepare_run(shape: str, size: int, runner: str, with_hooks: bool) -> Any:
    """Everything a run needs, built before the clock starts."""
    catalog = DataCatalog({first_input(shape): MemoryDataset(SEED)})
    built = build_pipeline(shape, size, node=node, pipeline=pipeline, pipeline_class=Pipeline)
    return built, catalog, hook_manager(with_hooks), _runner(runner)


def timed_run(prepared: Any) -> tuple[float, dict[str, object]]:
    """Run what :func:`prepare_run` built; return the wall seconds of the run and its outputs."""
    pipeline, catalog, manager, runner = prepared
    started = time.perf_counter()
    # Kedro returns the output datasets, not their data: loading them is not part of the run.
    returned = runner.run(pipeline, catalog, manager, run_id="bench")
    seconds = time.perf_counter() - started
    return seconds, {name: catalog.load(name) for name in returned}


def prepare_hook_call(with_impl: bool) -> tuple[Any, dict[str, Any]]:
    """A ``before_node_run`` caller and the keyword arguments Kedro's runner passes it."""
    manager = hook_manager(with_impl)
    the_node = node(identity, "d0", "d1", name="n0")
    catalog = DataCatalog({"d0": MemoryDataset(SEED)})
    kwargs = {
        "node": the_node,
        "catalog": catalog,
        "inputs": {"d0": SEED},
        "is_async": False,
        "run_id": "bench",
    }
    return manager.hook.before_node_run, kwargs
