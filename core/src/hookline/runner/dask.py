"""Runs nodes on a Dask cluster (``dask.distributed``), with every hook on the workers.

Install with ``pip install "hookline[dask]"``. Dask is imported only inside the runner's
methods, so importing this module (or ``hookline``) never imports it.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hookline.datasets import MemoryDataset
from hookline.errors import ConfigError, WorkerDied
from hookline.node import Node
from hookline.runner.base import AbstractRunner, RunState, ready_nodes, unblocked_children
from hookline.runner.workers import (
    NodeOutcome,
    WorkerRun,
    memory_inputs,
    prepare_worker_setup,
    setup_failed,
)

# Dask objects are typed Any here: distributed's own annotations are partial, and it may not
# be installed where the types are checked.
Client = Any
Future = Any

logger = logging.getLogger(__name__)

#: Worker processes of the LocalCluster the runner starts when it is given no address.
DEFAULT_LOCAL_WORKERS = 2

#: The fewest nodes sent to the cluster at once when ``max_workers`` is not given.
DEFAULT_IN_FLIGHT = 32


class DaskRunner(AbstractRunner):
    """Runs each node as soon as its inputs exist, as a task on a Dask cluster.

    With no ``address``, the runner starts a :class:`distributed.LocalCluster` of
    ``n_workers`` processes for the run and stops it afterwards. With an address (``hookline
    run --runner DaskRunner --runner-param address=tcp://scheduler:8786``), it uses that
    cluster; the workers there need hookline, the plugins and the project's package installed
    (or the project's folder at the same path).

    Hooks are placed as with :class:`~hookline.runner.parallel.ParallelRunner`: every worker
    registers the same hooks as the main process and fires ``restore_worker_state`` before
    its first node of the run; node and dataset hooks fire on the worker that runs the node;
    pipeline hooks fire once in the main process. Memory datasets pass from node to node as
    Dask futures, worker to worker, without going through the main process (except the
    pipeline's free outputs, which the run returns); file datasets are saved and loaded by
    the workers. A worker with several threads runs several nodes at once: hooks must then be
    thread-safe, as with ``ThreadRunner``.

    Args:
        address: The scheduler to use, e.g. ``tcp://10.0.0.5:8786``; ``None`` starts a
            LocalCluster.
        n_workers: Worker processes of the LocalCluster (default: ``max_workers``, else 2).
        max_workers: ``--max-workers``: with no address, the number of LocalCluster
            workers; with an address, the most nodes sent to that cluster at once (default:
            4 per worker thread when the run starts, at least 32).
        threads_per_worker: Threads of each LocalCluster worker process.
    """

    def __init__(
        self,
        address: str | None = None,
        n_workers: int | None = None,
        max_workers: int | None = None,
        threads_per_worker: int = 1,
    ) -> None:
        for name, value in (("n_workers", n_workers), ("max_workers", max_workers)):
            if value is not None and int(value) < 1:
                raise ConfigError(f"DaskRunner needs {name} >= 1, got {value}.")
        if int(threads_per_worker) < 1:
            raise ConfigError(
                f"DaskRunner needs threads_per_worker >= 1, got {threads_per_worker}."
            )
        self.address = address or None
        self.max_workers = None if max_workers is None else int(max_workers)
        self.n_workers = int(n_workers or max_workers or DEFAULT_LOCAL_WORKERS)
        # On a cluster of its own the runner knows the threads; max_workers sized it.
        self.max_in_flight = self.max_workers if self.address is not None else None
        self.threads_per_worker = int(threads_per_worker)

    def _run(self, run: RunState) -> None:
        if not run.pipeline.nodes:
            return
        cloudpickle = _import_cloudpickle()
        # cloudpickle, as Dask itself: functions and classes of __main__ (a notebook) travel
        # by value.
        packed = prepare_worker_setup(run, cloudpickle.dumps)
        # Imported first: importing distributed sets the level of its loggers.
        _import_dask()
        with _quiet_dask_logs(), self._client() as client:
            _Scheduler(self, run, client, packed).run()

    @contextmanager
    def _client(self) -> Iterator[Client]:
        """A client of the cluster at ``address``, or of a LocalCluster started for the run."""
        distributed = _import_dask()[1]
        if self.address is not None:
            try:
                client = distributed.Client(self.address, set_as_default=False)
            except (OSError, TimeoutError) as error:
                raise ConfigError(
                    f"DaskRunner could not connect to the Dask scheduler at {self.address}: {error}"
                ) from error
            try:
                yield client
            finally:
                client.close()
            return
        cluster = start_local_cluster(self.n_workers, self.threads_per_worker)
        try:
            client = distributed.Client(cluster, set_as_default=False)
            try:
                yield client
            finally:
                client.close()
        finally:
            cluster.close()


@contextmanager
def _quiet_dask_logs() -> Iterator[None]:
    """Keep Dask's INFO lines (workers starting and stopping) out of a run's log, unless
    hookline itself logs at DEBUG."""
    dask_logger = logging.getLogger("distributed")
    if logging.getLogger("hookline").isEnabledFor(logging.DEBUG):
        yield
        return
    level = dask_logger.level
    dask_logger.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        dask_logger.setLevel(level)


def start_local_cluster(n_workers: int = DEFAULT_LOCAL_WORKERS, threads_per_worker: int = 1) -> Any:
    """Start the :class:`distributed.LocalCluster` a ``DaskRunner`` with no address runs on
    (worker processes, no dashboard); close it with ``cluster.close()``.

    A node that kills its worker fails the run at once: the scheduler does not retry it on
    another worker (Dask's default retries it up to three times, firing its hooks again).
    """
    dask, distributed = _import_dask()
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        return distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            dashboard_address=None,
            # The scheduler's HTTP server (health, metrics) on a free port: 8787, its
            # default, may belong to another cluster.
            scheduler_kwargs={"dashboard_address": ":0"},
        )


def _import_dask() -> tuple[Any, Any]:
    try:
        dask = importlib.import_module("dask")
        distributed = importlib.import_module("distributed")
    except ImportError as error:
        raise ConfigError(
            f"DaskRunner needs dask.distributed ({error}): pip install 'hookline[dask]'"
        ) from error
    return dask, distributed


def _import_cloudpickle() -> Any:
    try:
        return importlib.import_module("cloudpickle")
    except ImportError as error:
        raise ConfigError(
            f"DaskRunner needs cloudpickle ({error}): pip install 'hookline[dask]'"
        ) from error


class _Scheduler:
    """One run on a cluster: submits each node when its parents are done, at most ``limit``
    at a time, and keeps the future of a node's memory outputs while a node still needs them.

    Each node is one task, whose result (the node's outcome with its memory outputs) stays on
    the cluster for the nodes that read it; this process asks only for the outcome without
    the data, and fetches the pipeline's free memory outputs once at the end.
    """

    def __init__(self, runner: DaskRunner, run: RunState, client: Client, packed: bytes) -> None:
        pipeline, catalog = run.pipeline, run.catalog
        self.pipeline = pipeline
        self.catalog = catalog
        self.reporter = run.reporter
        self.release = run.release
        self.client = client
        self.packed = packed
        self.token = uuid.uuid4().hex
        threads = sum(client.nthreads().values())
        # More nodes than threads: a worker finishing a node finds the next one already
        # there instead of waiting for a round trip through this process. After a failure,
        # the ones no worker has started are skipped (see _stop).
        self.limit = runner.max_in_flight or max(DEFAULT_IN_FLIGHT, 4 * threads)
        self.index_of = {node: index for index, node in enumerate(pipeline.nodes)}
        self.sends = memory_inputs(pipeline, catalog)
        free_outputs = pipeline.outputs()
        # Free memory outputs are what the run returns: they come back to this process.
        self.returned = {
            node: names
            for node in pipeline.nodes
            if (names := [n for n in node.outputs if n in free_outputs and catalog.is_memory(n)])
        }
        self.futures: dict[Node, Future] = {}
        self.to_fetch: dict[Node, Future] = {}
        self.submitted: dict[Node, float] = {}
        self.children_left = {node: len(pipeline.children(node)) for node in pipeline.nodes}

    def run(self) -> None:
        distributed = _import_dask()[1]
        pipeline, reporter, release = self.pipeline, self.reporter, self.release
        waiting, first_ready = ready_nodes(pipeline)
        ready = deque(first_ready)
        finished = distributed.as_completed(loop=self.client.loop)
        in_flight: dict[Future, Node] = {}
        first_error: BaseException | None = None
        # Sent once per worker, not once per node.
        setup = self.client.scatter(self.packed, broadcast=True, hash=False)
        try:
            while ready or in_flight:
                # After a failure, submit nothing new; let the submitted nodes finish.
                while ready and len(in_flight) < self.limit and first_error is None:
                    node = ready.popleft()
                    future = self._submit(node, setup)
                    in_flight[future] = node
                    finished.add(future)
                if not in_flight:
                    break
                for node, outcome in self._outcomes(finished.next_batch(block=True), in_flight):
                    if outcome.skipped:
                        continue  # it had not started when the run stopped
                    reporter.add_measurements(outcome.measurements)
                    if outcome.worker:  # empty when the worker died
                        reporter.node_ran_on(node, outcome.worker, outcome.ended)
                    if outcome.error is not None:
                        error = outcome.raised()
                        error = self.catalog.redact_error(error)
                        reporter.node_failed(node, outcome.seconds, error)
                        if first_error is None:
                            first_error = error
                            self._stop()
                        continue
                    self._done(node)
                    reporter.node_completed(node, outcome.seconds)
                    release.node_done(node)
                    ready.extend(unblocked_children(pipeline, node, waiting))
            if first_error is None:
                self._fetch_returned()
        except BaseException:
            # Ctrl-C, SIGTERM, SIGHUP or a bug: cancel every task of the run at once, without
            # waiting, on a cluster of the runner's own or a given one (a LocalCluster is then
            # closed by _client, which stops its worker processes).
            self.client.cancel([*in_flight, *self.futures.values()], force=True)
            raise
        finally:
            self.futures.clear()
            self.to_fetch.clear()
            self._forget()
        if first_error is not None:
            raise first_error

    def _submit(self, node: Node, setup: Future) -> Future:
        index = self.index_of[node]
        upstream = {}
        for name in self.sends[node]:
            producer = self.pipeline.producer(name)
            assert producer is not None
            upstream[name] = self.futures[producer]
        future = self.client.submit(
            _run_node_task,
            self.token,
            setup,
            index,
            upstream,
            # Node names make the task keys readable in Dask's dashboard and messages.
            key=f"hookline-{node.name}-{self.token}",
            pure=False,
            # Of the nodes waiting on the cluster, those earlier in the pipeline's order
            # start first, as with the other runners (Dask's own order would be arbitrary).
            priority=len(self.index_of) - index,
        )
        self.futures[node] = future
        self.submitted[node] = time.perf_counter()
        return future

    def _outcomes(
        self, batch: list[Future], in_flight: dict[Future, Node]
    ) -> list[tuple[Node, NodeOutcome]]:
        """How the nodes of the finished ``batch`` went, without fetching their data.

        The outcome of a node stays on the worker that ran it, with the node's memory
        outputs; the worker answers with a copy stripped of the data from its event loop,
        which a busy worker thread does not delay (a task would queue behind the next node).
        """
        done = [future for future in batch if future.status == "finished"]
        found: dict[str, NodeOutcome] = {}
        if done:
            try:
                for reply in self.client.run(_outcomes_of, [f.key for f in done]).values():
                    found.update(reply)
            except Exception as error:  # each node's result is fetched instead
                logger.debug("Could not ask the Dask workers for outcomes: %s", error)
        outcomes = []
        for future in batch:
            node = in_flight.pop(future)
            if future.status == "finished":
                outcome = found.get(future.key)
                if outcome is None:
                    outcome = future.result().without_outputs()
            else:
                outcome = self._failed(node, future)
            outcomes.append((node, outcome))
        return outcomes

    def _stop(self) -> None:
        """After a failure, tell the workers that nodes of this run that have not started
        must not start. Every submitted node is still waited for: one that started finishes
        and is reported, the others come back at once as skipped, so nothing runs unseen."""
        try:
            self.client.run(_stop_run, self.token)
        except Exception as error:  # then every submitted node runs, and is reported
            logger.debug("Could not stop run %s on the Dask workers: %s", self.token, error)

    def _failed(self, node: Node, future: Future) -> NodeOutcome:
        """The outcome of a node whose task failed (not the node: that is in the outcome)."""
        seconds = time.perf_counter() - self.submitted[node]
        try:
            result: BaseException = future.exception()
        except BaseException as cancelled:  # a cancelled future raises instead
            result = cancelled
        if isinstance(result, _import_dask()[1].KilledWorker):
            worker = getattr(result, "last_worker", None)
            where = getattr(worker, "address", None) or "a worker"
            error: BaseException = WorkerDied(
                f"The Dask worker ({where}) running node {node.name} died. "
                "The node's outputs were not saved."
            )
            error.__cause__ = result
            return NodeOutcome(self.index_of[node], seconds, error)
        # The task itself failed (a worker could not unpickle it, a transfer failed).
        return NodeOutcome(self.index_of[node], seconds, result)

    def _done(self, node: Node) -> None:
        """Keep the future of the node's free memory outputs, and let Dask free what no
        remaining node reads."""
        if node in self.returned:
            self.to_fetch[node] = self.futures[node]
        for parent in self.pipeline.parents(node):
            self.children_left[parent] -= 1
            if not self.children_left[parent]:
                self.futures.pop(parent, None)
        if not self.children_left[node]:
            self.futures.pop(node, None)

    def _fetch_returned(self) -> None:
        """Fetch the free memory outputs into this process's catalog, in one call."""
        nodes = list(self.to_fetch)
        outcomes: list[NodeOutcome] = self.client.gather([self.to_fetch[n] for n in nodes])
        for node, outcome in zip(nodes, outcomes, strict=True):
            for name in self.returned[node]:
                dataset = self.catalog.get_dataset(name)
                if isinstance(dataset, MemoryDataset):
                    dataset.hold(outcome.outputs[name])

    def _forget(self) -> None:
        """Drop the run's state on every worker (a cluster outlives the run)."""
        try:
            # Without waiting: a worker busy with a node of another run answers later.
            self.client.run(_forget_run, self.token, wait=False)
        except Exception as error:  # the workers drop it anyway when they restart
            logger.debug("Could not clear run %s from the Dask workers: %s", self.token, error)


# -- on the workers ----------------------------------------------------------------------------

# Run token -> the run's hooks, catalog and nodes in this worker process, built by the first
# node of the run that the worker gets.
_RUNS: dict[str, WorkerRun] = {}
_RUNS_LOCK = threading.Lock()
# Runs that failed: their nodes that have not started yet must not start.
_STOPPED: set[str] = set()


def _run_node_task(
    token: str, packed: bytes, index: int, upstream: dict[str, NodeOutcome]
) -> NodeOutcome:
    """The Dask task of one node: set up the run in this worker once, then run the node."""
    if token in _STOPPED:
        return NodeOutcome(index, 0.0, skipped=True)
    try:
        with _RUNS_LOCK:
            run = _RUNS.get(token)
            if run is None:
                run = _RUNS[token] = WorkerRun(packed)
    except Exception as error:
        return setup_failed(index, error)
    inputs = {name: outcome.outputs[name] for name, outcome in upstream.items()}
    return run.run_node(index, inputs, isolated=True)


def _outcomes_of(keys: list[str], dask_worker: Any) -> dict[str, NodeOutcome]:
    """The outcomes, without their data, of the node tasks among ``keys`` whose results this
    worker holds (Dask passes the worker as ``dask_worker``)."""
    data = dask_worker.data
    return {key: data[key].without_outputs() for key in keys if key in data}


async def _stop_run(token: str) -> None:
    # A coroutine: it runs in the worker's event loop, even while its threads run nodes.
    _STOPPED.add(token)


async def _forget_run(token: str) -> None:
    # A coroutine, because Dask runs only those without waiting for the result.
    with _RUNS_LOCK:
        _RUNS.pop(token, None)
    _STOPPED.discard(token)
