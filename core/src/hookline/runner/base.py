"""What every runner shares: the state of a run (:class:`RunState`), running one node with its
hooks, releasing memory datasets, and the checks made before the first node.

Runners are the only callers of node and dataset hooks, and they call them in the thread or
process that loads, runs and saves the node. Pipeline hooks belong to the session.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pluggy import HookCaller

from hookline.catalog import DataCatalog
from hookline.dataset_sizes import publish_saved_size
from hookline.datasets import MemoryDataset
from hookline.errors import DatasetError, HookError, did_you_mean
from hookline.hooks.manager import HookManager
from hookline.measurements import publishing_to
from hookline.node import Node
from hookline.pipeline import Pipeline
from hookline.runner.progress import ProgressReporter
from hookline.transcoding import SEPARATOR, base_name, check_views_in_catalog

#: The hooks a runner calls, per node or per dataset.
NODE_HOOK_NAMES = (
    "before_dataset_loaded",
    "after_dataset_loaded",
    "before_node_run",
    "after_node_run",
    "on_node_error",
    "before_dataset_saved",
    "after_dataset_saved",
)


class NodeHookCallers:
    """The node and dataset hook callers of one run, looked up once.

    A hook nobody implements is ``None``, so it costs one test per node instead of a call.
    """

    __slots__ = (*NODE_HOOK_NAMES, "manager")

    before_dataset_loaded: HookCaller | None
    after_dataset_loaded: HookCaller | None
    before_node_run: HookCaller | None
    after_node_run: HookCaller | None
    on_node_error: HookCaller | None
    before_dataset_saved: HookCaller | None
    after_dataset_saved: HookCaller | None
    #: The run's hook manager.
    manager: HookManager

    def __init__(self, hook_manager: HookManager) -> None:
        self.manager = hook_manager
        for name in NODE_HOOK_NAMES:
            caller = getattr(hook_manager.hook, name)
            setattr(self, name, caller if caller.get_hookimpls() else None)


def run_node(node: Node, catalog: DataCatalog, hooks: NodeHookCallers, session_id: str) -> None:
    """Load a node's inputs, run it and save its outputs, firing the node and dataset hooks.

    Any failure (a load, a hook, the function, a save) has the catalog's secrets hidden (see
    :meth:`DataCatalog.redact_error`), reaches ``on_node_error`` and is raised.
    """
    inputs: dict[str, Any] = {}
    try:
        for name in node.inputs:
            if hooks.before_dataset_loaded is not None:
                hooks.before_dataset_loaded(dataset_name=name, node=node)
            data = catalog.load(name)
            if hooks.after_dataset_loaded is not None:
                hooks.after_dataset_loaded(dataset_name=name, data=data, node=node)
            inputs[name] = data
        if hooks.before_node_run is not None:
            replacements = hooks.before_node_run(
                node=node,
                catalog=catalog,
                inputs=inputs,
                is_async=False,
                session_id=session_id,
                run_id=session_id,
            )
            if replacements:
                inputs = _replace_inputs(node, inputs, replacements)
        outputs = node.run(inputs)
        if hooks.after_node_run is not None:
            hooks.after_node_run(
                node=node,
                catalog=catalog,
                inputs=inputs,
                outputs=outputs,
                is_async=False,
                session_id=session_id,
                run_id=session_id,
            )
        for name, data in outputs.items():
            if hooks.before_dataset_saved is not None:
                hooks.before_dataset_saved(dataset_name=name, data=data, node=node)
            catalog.save(name, data)
            publish_saved_size(name, data, node.name)
            if hooks.after_dataset_saved is not None:
                hooks.after_dataset_saved(dataset_name=name, data=data, node=node)
    except Exception as error:
        # Hidden before the error hooks see it: they send errors to trackers and logs.
        failure = catalog.redact_error(error)
        notify_node_error(failure, node, catalog, inputs, hooks, session_id)
        if failure is error:
            raise
    else:
        return
    # Raised outside the except block, so that the secret-holding original is not attached as
    # its __context__.
    raise failure


def _replace_inputs(node: Node, inputs: dict[str, Any], replacements: list[Any]) -> dict[str, Any]:
    replaced = dict(inputs)
    for replacement in replacements:
        if not isinstance(replacement, dict):
            raise HookError(
                f"A before_node_run hook returned a {type(replacement).__name__} for node "
                f"{node.name}; it must return None or a dict mapping input names to values."
            )
        replaced.update(replacement)
    return replaced


def notify_node_error(
    error: Exception,
    node: Node,
    catalog: DataCatalog,
    inputs: dict[str, Any],
    hooks: NodeHookCallers,
    session_id: str,
) -> None:
    """Fire ``on_node_error`` for ``error`` (its secrets already hidden), each implementation
    on its own: a failing one is logged and never replaces ``error``."""
    if hooks.on_node_error is None:
        return
    # The node's own error is what the user must see; a failing error hook is logged, and
    # the other plugins' error hooks still run.
    hooks.manager.call_each_logging_failures(
        "on_node_error",
        error=error,
        node=node,
        catalog=catalog,
        inputs=inputs,
        is_async=False,
        session_id=session_id,
        run_id=session_id,
    )


class ReleaseTracker:
    """Releases each dataset as soon as no remaining node needs it, in O(inputs) per node.

    The pipeline's free inputs (parameters, raw data) and free outputs (the run's result) are
    never released. The transcoded views of one dataset (``cars@pandas``, ``cars@spark``) count
    as one: they are released together after the last node reading any of them.
    """

    def __init__(self, pipeline: Pipeline, catalog: DataCatalog) -> None:
        self._catalog = catalog
        self._keep = pipeline.inputs() | pipeline.outputs()
        # A transcoded view is counted under its dataset's name, every other name under itself;
        # this map is empty in a pipeline without transcoding, which node_done then skips.
        self._base = {name: base_name(name) for name in pipeline.datasets() if SEPARATOR in name}
        self._views: dict[str, list[str]] = {}
        for name, base in sorted(self._base.items()):
            if name not in self._keep:
                self._views.setdefault(base, []).append(name)
        self._remaining: dict[str, int] = {}
        for node in pipeline.nodes:
            for name in node.inputs:
                key = self._base.get(name, name)
                self._remaining[key] = self._remaining.get(key, 0) + 1

    def node_done(self, node: Node) -> None:
        """Record that ``node`` has finished, releasing the inputs it was the last user of."""
        base = self._base
        for name in node.inputs:
            key = base.get(name, name) if base else name
            left = self._remaining[key] - 1
            self._remaining[key] = left
            if left:
                continue
            if key in self._views:
                for view in self._views[key]:
                    self._catalog.release(view)
            elif name not in self._keep:
                self._catalog.release(name)


@dataclass(frozen=True, slots=True)
class RunState:
    """One run as a runner sees it, made once by :meth:`AbstractRunner.run`.

    Attributes:
        pipeline: The nodes to run.
        catalog: Where inputs are loaded from and outputs saved to (every dataset the
            pipeline uses is in it).
        hook_manager: The run's hooks.
        session_id: Passed to node hooks as ``session_id`` and ``run_id``.
        run_params: What the session passes to the pipeline hooks; runners with worker
            processes pass them to ``export_worker_state``.
        reporter: Receives node events, in the runner's main thread.
        hooks: The node and dataset hook callers of the run.
        release: Releases the memory datasets no remaining node needs.
    """

    pipeline: Pipeline
    catalog: DataCatalog
    hook_manager: HookManager
    session_id: str
    run_params: dict[str, Any]
    reporter: ProgressReporter
    hooks: NodeHookCallers
    release: ReleaseTracker


class AbstractRunner(abc.ABC):
    """Runs a pipeline's nodes against a catalog, firing node and dataset hooks.

    Subclasses implement :meth:`_run`, deciding where and in which order nodes run; the
    semantics of hooks, errors and dataset release are the same for every runner.
    """

    def run(
        self,
        pipeline: Pipeline,
        catalog: DataCatalog,
        hook_manager: HookManager | None = None,
        session_id: str = "",
        reporter: ProgressReporter | None = None,
        run_params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Run ``pipeline`` and return its free outputs that only live in memory.

        Args:
            pipeline: The nodes to run.
            catalog: Where inputs are loaded from and outputs saved to. Datasets the pipeline
                uses but the catalog lacks are made by its dataset factories, else added as
                memory datasets.
            hook_manager: The hooks to fire; none when omitted.
            session_id: Passed to node hooks as ``session_id`` and ``run_id``.
            reporter: Receives node events; by default one INFO log line per node.
            run_params: What the session passes to the pipeline hooks; by default only
                ``session_id`` and ``run_id``.

        Raises:
            DatasetError: Before any node runs, if a free input of the pipeline is missing.
        """
        hook_manager = hook_manager or HookManager()
        reporter = reporter or ProgressReporter()
        if run_params is None:
            run_params = {"session_id": session_id, "run_id": session_id}
        catalog.add_from_factories(pipeline.datasets())
        check_free_inputs(pipeline, catalog)
        check_views_in_catalog(pipeline, catalog)
        for name in pipeline.all_outputs():
            if name not in catalog:
                catalog.add(name, MemoryDataset())
        run = RunState(
            pipeline,
            catalog,
            hook_manager,
            session_id,
            run_params,
            reporter,
            NodeHookCallers(hook_manager),
            ReleaseTracker(pipeline, catalog),
        )
        reporter.start(len(pipeline.nodes))
        try:
            with publishing_to(hook_manager.hook.on_measurement):
                self._run(run)
        finally:
            reporter.finish()
        return {
            name: catalog.load(name)
            for name in sorted(pipeline.outputs())
            if catalog.is_memory(name)
        }

    @abc.abstractmethod
    def _run(self, run: RunState) -> None:
        """Run every node of ``run.pipeline``, reporting each one to ``run.reporter`` and
        telling ``run.release`` when it is done."""


def check_free_inputs(pipeline: Pipeline, catalog: DataCatalog) -> None:
    """Fail before any node runs if the pipeline needs a dataset nobody provides.

    Raises:
        DatasetError: Naming the missing inputs and the closest catalog names.
    """
    missing = sorted(name for name in pipeline.inputs() if name not in catalog)
    if not missing:
        return
    known = catalog.list()
    hints = "".join(did_you_mean(name, known) for name in missing)
    raise DatasetError(
        f"Pipeline input(s) {missing} are not in the catalog, and no node produces them."
        f"{hints} Add them to catalog.yml or parameters.yml."
    )


def timed_run_node(
    node: Node, catalog: DataCatalog, hooks: NodeHookCallers, session_id: str
) -> tuple[float, Exception | None]:
    """Run one node in the calling thread; return its wall time and the error it raised, if any.

    The error is returned rather than raised so that the runner's main thread, which owns the
    reporter, can report it before re-raising.
    """
    started = time.perf_counter()
    try:
        run_node(node, catalog, hooks, session_id)
    except Exception as error:
        return time.perf_counter() - started, error
    return time.perf_counter() - started, None


def ready_nodes(pipeline: Pipeline) -> tuple[dict[Node, int], list[Node]]:
    """Return each node's count of unfinished parents, and the nodes with none."""
    waiting = {node: len(pipeline.parents(node)) for node in pipeline.nodes}
    return waiting, [node for node, count in waiting.items() if count == 0]


def unblocked_children(pipeline: Pipeline, node: Node, waiting: dict[Node, int]) -> Iterable[Node]:
    """Mark ``node`` finished in ``waiting`` and yield the children it was the last parent of."""
    for child in pipeline.children(node):
        waiting[child] -= 1
        if waiting[child] == 0:
            yield child
