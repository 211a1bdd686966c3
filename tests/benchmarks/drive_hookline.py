"""Driving hookline in-process: the pipelines, catalog, hook manager and runners of a case.

Imported only by a child process measuring hookline, so Kedro is never imported next to it.
:mod:`drive_kedro` has the same functions for Kedro.
"""

from __future__ import annotations

import time
from typing import Any

from hookline import (
    DataCatalog,
    Pipeline,
    SequentialRunner,
    ThreadRunner,
    hook_impl,
    node,
    pipeline,
)
from hookline.datasets import MemoryDataset
from hookline.hooks.manager import HookManager, create_hook_manager
from hookline.runner import AbstractRunner

# isort: split
# The harness's own modules (found next to this file, not installed) after the tool's.
from checks import SEED, first_input
from noop_hooks import make_noop_hooks
from pipeline_shapes import build_pipeline, identity


def hook_manager(with_hooks: bool) -> HookManager:
    """A fresh manager (no entry points, as in Kedro's case), with the no-op hooks or none."""
    hooks = [make_noop_hooks(hook_impl)] if with_hooks else []
    return create_hook_manager(hooks, load_entry_points=False)


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
    outputs = runner.run(pipeline, catalog, manager, session_id="bench")
    seconds = time.perf_counter() - started
    return seconds, dict(outputs)


def prepare_hook_call(with_impl: bool) -> tuple[Any, dict[str, Any]]:
    """A ``before_node_run`` caller and the keyword arguments hookline's runner passes it."""
    manager = hook_manager(with_impl)
    the_node = node(identity, "d0", "d1", name="n0")
    catalog = DataCatalog({"d0": MemoryDataset(SEED)})
    kwargs = {
        "node": the_node,
        "catalog": catalog,
        "inputs": {"d0": SEED},
        "is_async": False,
        "session_id": "bench",
        "run_id": "bench",
    }
    return manager.hook.before_node_run, kwargs
