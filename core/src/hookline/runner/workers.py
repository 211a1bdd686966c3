"""What the runners with worker processes share (``ParallelRunner``, ``DaskRunner``).

In the main process, :func:`prepare_worker_setup` checks, before the first node, that
everything a worker needs can be pickled (hooks, plugin states, datasets, nodes) and packs it
once per run. In a worker, :class:`WorkerRun` unpacks it: it rebuilds the hooks from the hook
manager's recipe, restores each plugin's state, and runs nodes with
:func:`~hookline.runner.base.timed_run_node`, so node and dataset hooks fire in the worker.

Memory datasets are moved between processes by what they hold, without calling their
``load`` or ``save`` in the main process: loads and saves, and their hooks, happen in the
worker that runs the node. File datasets are saved and loaded by the workers' own copies of
the catalog.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
import pickle
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hookline.catalog import DataCatalog
from hookline.datasets import MemoryDataset, dataset_type_name
from hookline.errors import DatasetError, HookError, PipelineError, RemoteTraceback
from hookline.hooks.manager import HookManager
from hookline.hooks.worker_recipe import (
    HookRecipe,
    add_to_sys_path,
    export_worker_states,
    restore_worker_states,
)
from hookline.measurements import Measurement, publishing_to
from hookline.node import Node
from hookline.pipeline import Pipeline
from hookline.runner.base import NodeHookCallers, RunState, notify_node_error, timed_run_node

logger = logging.getLogger(__name__)

Dumps = Callable[[Any], bytes]

# With the separator, so that hookline_mlflow/... (a plugin's frames) is not taken for ours.
_HOOKLINE_DIR = str(Path(__file__).parent.parent) + os.sep


@dataclass
class WorkerSetup:
    """Everything a worker process needs to run the nodes of one run.

    Attributes:
        recipe: How to register the same hooks as the main process.
        states: Plugin name -> what its ``export_worker_state`` returned.
        datasets: Dataset name -> the pickled dataset (memory datasets that nodes write are
            sent empty: their data travels with each node).
        nodes: The pipeline's nodes; tasks name a node by its index here.
        session_id: Passed to the node hooks.
        secrets: What the main process's catalog hides from errors: the worker hides it before
            its ``on_node_error`` hooks see an error.
    """

    recipe: HookRecipe
    states: dict[str, Any]
    datasets: dict[str, bytes]
    nodes: list[Node]
    session_id: str
    secrets: tuple[str, ...] = ()


@dataclass
class NodeOutcome:
    """What running one node in a worker gave, sent back to the main process.

    Attributes:
        index: The node's index in :attr:`WorkerSetup.nodes`.
        seconds: Wall time from the first load to the last save.
        error: The exception the node raised (its original type when it can be pickled).
        remote: The worker's traceback of ``error``.
        outputs: Memory outputs of the node, by dataset name (what the datasets hold).
        measurements: Measurements published in the worker while the node ran.
        skipped: The node did not run: the run had stopped after a failure elsewhere.
        worker: The process (and thread) that ran it, e.g. ``pid 123``.
        ended: When it ended there, in seconds since the epoch.
    """

    index: int
    seconds: float
    error: BaseException | None = None
    remote: RemoteTraceback | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    measurements: list[Measurement] = field(default_factory=list)
    skipped: bool = False
    worker: str = ""
    ended: float = 0.0

    def raised(self) -> BaseException:
        """The worker's exception, ready to raise in the main process: its ``__cause__`` holds
        the worker's traceback."""
        assert self.error is not None
        if self.remote is not None:
            self.error.__cause__ = self.remote
        return self.error

    def without_outputs(self) -> NodeOutcome:
        """The same outcome without the data, for a process that only needs to know how it
        went."""
        return dataclasses.replace(self, outputs={})


# -- moving memory datasets' contents ------------------------------------------------------------
# What a MemoryDataset holds is moved as is (MemoryDataset.held and hold): a load() or save()
# would copy the data under copy_mode "copy", in a process where no node reads or writes it.


def emptied(dataset: MemoryDataset) -> MemoryDataset:
    """A shallow copy of ``dataset`` holding nothing (the original keeps its data)."""
    clone = copy.copy(dataset)
    clone.clear()
    return clone


# -- main process ------------------------------------------------------------------------------


def prepare_worker_setup(run: RunState, dumps: Dumps) -> bytes:
    """Check and pack everything worker processes need for this run; fire
    ``export_worker_state``.

    Args:
        run: The run: its nodes, its catalog (not changed), the main process's hooks (their
            recipe is sent, not the manager), the session id the node hooks get in the
            workers and the ``run_params`` that ``export_worker_state`` gets.
        dumps: The serializer (``pickle.dumps``, or ``cloudpickle.dumps`` for Dask).

    Returns:
        The packed setup, for :class:`WorkerRun`.

    Raises:
        HookError: A hook object or a plugin's exported state cannot be pickled.
        DatasetError: A dataset the pipeline uses cannot be pickled.
        PipelineError: A node cannot be pickled (a lambda or nested function, for pickle).
    """
    recipe = HookRecipe.of(run.hook_manager)
    recipe.check_picklable(dumps)
    states = export_worker_states(run.hook_manager, run.run_params)
    _check_states(states, run.hook_manager, dumps)
    datasets = _pickle_datasets(run.pipeline, run.catalog, dumps)
    nodes = run.pipeline.nodes
    _check_nodes(nodes, dumps)
    setup = WorkerSetup(recipe, states, datasets, nodes, run.session_id, run.catalog.secrets)
    # The folders go first, outside the payload: the worker needs them on sys.path before it
    # can unpickle node functions and hooks of the project.
    return pickle.dumps((recipe.sys_path, dumps(setup)), protocol=pickle.HIGHEST_PROTOCOL)


def _check_states(states: dict[str, Any], hook_manager: HookManager, dumps: Dumps) -> None:
    problems = []
    for name, state in states.items():
        try:
            dumps(state)
        except Exception as error:
            source = hook_manager.source_of(name)
            problems.append(f"'{name}' (from {source}): {type(error).__name__}: {error}")
    if problems:
        raise HookError(
            "export_worker_state must return picklable state, but the state of these plugins "
            f"cannot be pickled: {'; '.join(problems)}."
        )


def _pickle_datasets(pipeline: Pipeline, catalog: DataCatalog, dumps: Dumps) -> dict[str, bytes]:
    produced = pipeline.all_outputs()
    used = pipeline.datasets()
    pickled: dict[str, bytes] = {}
    problems = []
    for name in catalog.list():
        dataset = catalog.get_dataset(name)
        try:
            if isinstance(dataset, MemoryDataset) and name in produced:
                # Its data is made during the run and sent with the nodes that read it.
                dataset = emptied(dataset)
            pickled[name] = dumps(dataset)
        except Exception as error:
            if name in used:
                problems.append(
                    f"'{name}' ({dataset_type_name(dataset)}): {type(error).__name__}: {error}"
                )
            else:
                # Hooks of a worker could reach it through the catalog; nodes never do.
                logger.debug("Dataset %s stays in the main process: %s", name, error)
    if problems:
        raise DatasetError(
            "Worker processes need a copy of every dataset the pipeline uses, but these cannot "
            f"be pickled: {'; '.join(problems)}. Make them picklable, or use SequentialRunner "
            "or ThreadRunner, which keep everything in one process."
        )
    return pickled


def _check_nodes(nodes: list[Node], dumps: Dumps) -> None:
    problems = []
    for node in nodes:
        try:
            dumps(node)
        except Exception as error:
            problems.append(f"'{node.name}': {type(error).__name__}: {error}")
    if problems:
        raise PipelineError(
            "Nodes must be sent to worker processes, but these cannot be pickled: "
            f"{'; '.join(problems)}. Define node functions at module level (not as lambdas or "
            "nested functions)."
        )


def memory_inputs(pipeline: Pipeline, catalog: DataCatalog) -> dict[Node, tuple[str, ...]]:
    """For each node, the inputs that a node of the pipeline writes to a memory dataset: the
    data that must travel with the node to its worker (the others are in the workers'
    catalogs already)."""
    produced = pipeline.all_outputs()
    return {
        node: tuple(dict.fromkeys(n for n in node.inputs if n in produced and catalog.is_memory(n)))
        for node in pipeline.nodes
    }


# -- worker process ----------------------------------------------------------------------------


class _MeasurementSink:
    """A worker's ``publish_measurement`` target: fires the worker's ``on_measurement`` hooks
    and keeps each measurement for the node being run in the calling thread, to return it
    with that node's result (several nodes may run at once in a Dask worker's threads)."""

    def __init__(self, hook_manager: HookManager) -> None:
        self._hook = hook_manager.hook.on_measurement
        self._local = threading.local()
        # Measurements from threads a node started itself: returned with the next result.
        self._stray: list[Measurement] = []
        self._lock = threading.Lock()

    def __call__(self, measurement: Measurement) -> None:
        buffer: list[Measurement] | None = getattr(self._local, "buffer", None)
        if buffer is None:
            with self._lock:
                self._stray.append(measurement)
        else:
            buffer.append(measurement)
        self._hook(measurement=measurement)

    @contextmanager
    def collecting(self) -> Iterator[list[Measurement]]:
        """Collect what the calling thread publishes within the block into the yielded list."""
        buffer: list[Measurement] = []
        self._local.buffer = buffer
        try:
            with publishing_to(self):
                yield buffer
        finally:
            self._local.buffer = None
            with self._lock:
                buffer.extend(self._stray)
                self._stray.clear()


class WorkerRun:
    """One run's state in one worker process: the hooks, the catalog copy and the nodes.

    Building it registers the same hooks as the main process (settings ``HOOKS`` and
    entry-point plugins imported again, other hook objects unpickled) and fires
    ``restore_worker_state``, so it is built before the worker's first node.

    Args:
        packed: What :func:`prepare_worker_setup` returned.
    """

    def __init__(self, packed: bytes) -> None:
        sys_path, payload = pickle.loads(packed)
        add_to_sys_path(sys_path)
        setup: WorkerSetup = pickle.loads(payload)
        self.catalog = DataCatalog({n: pickle.loads(d) for n, d in setup.datasets.items()})
        self.catalog.hide_secrets(setup.secrets)
        self.hook_manager = setup.recipe.build()
        self.hooks = NodeHookCallers(self.hook_manager)
        self.nodes = setup.nodes
        self.session_id = setup.session_id
        self._sink = _MeasurementSink(self.hook_manager)
        try:
            restore_worker_states(self.hook_manager, setup.states)
        except Exception as error:
            # Only this worker's manager can name the hook that raised: keep its answer.
            raise _RestoreFailed(error, self.hook_manager.describe_failure(error)) from error

    def run_node(self, index: int, inputs: dict[str, Any], *, isolated: bool) -> NodeOutcome:
        """Run node ``index`` with the memory ``inputs`` given, firing its hooks here.

        Args:
            index: The node's index in the setup's nodes.
            inputs: Dataset name -> what the memory dataset holds, for the node's inputs that
                other nodes made.
            isolated: Give the node a catalog of its own, for workers that run several nodes
                at once in threads (the catalog's memory datasets are then not shared).

        Returns:
            How it went, with the memory outputs the node saved.
        """
        node = self.nodes[index]
        catalog = self.catalog
        if isolated:
            catalog = catalog.shallow_copy()
            for name in (*inputs, *node.outputs):
                dataset = catalog.get_dataset(name)
                if isinstance(dataset, MemoryDataset):
                    catalog.add(name, emptied(dataset), replace=True)
        for name, data in inputs.items():
            dataset = catalog.get_dataset(name)
            if isinstance(dataset, MemoryDataset):
                dataset.hold(data)
        with self._sink.collecting() as measurements:
            seconds, error = timed_run_node(node, catalog, self.hooks, self.session_id)
        ended = time.time()
        outputs: dict[str, Any] = {}
        for name in node.outputs:
            dataset = catalog.get_dataset(name)
            if isinstance(dataset, MemoryDataset):
                if error is None and dataset.exists():
                    outputs[name] = dataset.held()
                dataset.clear()
        for name in inputs:
            dataset = catalog.get_dataset(name)
            if isinstance(dataset, MemoryDataset):
                # Memory is the main process's business; a worker keeps nothing between nodes.
                dataset.clear()
        outcome = NodeOutcome(
            index, seconds, outputs=outputs, measurements=measurements, ended=ended
        )
        outcome.worker = f"pid {os.getpid()}"
        if isolated:  # several nodes at once, one per thread
            outcome.worker += f" {threading.current_thread().name}"
        if error is not None:
            outcome.error, outcome.remote = self.package_error(error)
        return outcome

    def fail_unpicklable_outputs(self, outcome: NodeOutcome, dumps: Dumps) -> NodeOutcome:
        """Turn ``outcome`` into a failure of its node if its memory outputs cannot be sent
        back to the main process, firing ``on_node_error`` here."""
        problems = []
        for name, data in outcome.outputs.items():
            try:
                dumps(data)
            except Exception as error:
                problems.append(
                    f"'{name}' ({type(data).__name__}: {type(error).__name__}: {error})"
                )
        node = self.nodes[outcome.index]
        failure = DatasetError(
            f"Node {node.name} saved memory output(s) that cannot be pickled back to the main "
            f"process: {'; '.join(problems) or 'unknown'}. Return picklable data, or save "
            "the output(s) to a file dataset in catalog.yml."
        )
        # The pickling error may quote the data, which may hold a credential.
        hidden = self.catalog.redact_error(failure)
        notify_node_error(hidden, node, self.catalog, {}, self.hooks, self.session_id)
        outcome.outputs = {}
        outcome.error, outcome.remote = self.package_error(hidden)
        return outcome

    def package_error(self, error: BaseException) -> tuple[BaseException, RemoteTraceback]:
        """Return an error that survives pickling (the original when it does) and its
        traceback as text, naming the hook it was raised in, if any."""
        remote = RemoteTraceback(format_traceback(error), self.hook_manager.describe_failure(error))
        return portable_error(error), remote


class _RestoreFailed(Exception):
    """A ``restore_worker_state`` hook raised ``error`` while a worker's run was built."""

    def __init__(self, error: Exception, failed_in: str | None) -> None:
        super().__init__(error, failed_in)
        self.error = error
        self.failed_in = failed_in


def setup_failed(index: int, error: Exception) -> NodeOutcome:
    """The outcome of node ``index`` in a worker whose run could not be built: the error as
    raised, naming the ``restore_worker_state`` hook it came from, if it did."""
    failed_in = None
    if isinstance(error, _RestoreFailed):
        failed_in = error.failed_in
        error = error.error
    return NodeOutcome(
        index, 0.0, portable_error(error), RemoteTraceback(format_traceback(error), failed_in)
    )


def portable_error(error: BaseException) -> BaseException:
    """``error`` if it survives a pickle round trip, else a RuntimeError naming its type."""
    try:
        pickle.loads(pickle.dumps(error, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception:
        kind = type(error)
        return RuntimeError(f"{kind.__module__}.{kind.__qualname__}: {error}")
    return error


def format_traceback(error: BaseException) -> str:
    """Format ``error`` with its chained causes, leaving out frames inside hookline."""
    formatted = traceback.TracebackException(type(error), error, error.__traceback__, compact=True)
    seen: set[int] = set()
    pending = [formatted]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        kept = [frame for frame in current.stack if not frame.filename.startswith(_HOOKLINE_DIR)]
        current.stack = traceback.StackSummary.from_list(kept)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return "".join(formatted.format())
