"""Runs independent nodes concurrently in worker processes, with every hook in the worker.

The runner keeps its own small pool: one pipe per worker process, one node per worker at a
time. Knowing which node each process runs lets it name the node when a process dies, stop
handing out nodes after a failure, and kill the workers at once on Ctrl-C, SIGTERM or SIGHUP.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import time
from collections import deque
from multiprocessing.connection import Connection, wait
from multiprocessing.context import BaseContext
from typing import Any

from hookline.catalog import DataCatalog
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

#: Seconds a worker gets to exit after the run before it is terminated.
_EXIT_GRACE = 10.0


def _dumps(obj: Any) -> bytes:
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


class ParallelRunner(AbstractRunner):
    """Runs each node as soon as its inputs exist, in a pool of worker processes.

    Every worker registers the same hooks as the main process (project ``HOOKS``, installed
    plugins minus the disabled ones, other hook objects pickled) and fires
    ``restore_worker_state`` before its first node; node and dataset hooks, and the loads and
    saves, happen in the worker that runs the node. Pipeline hooks stay in the main process.
    Memory datasets travel with the nodes that read and write them; file datasets are saved
    and loaded by the workers. Measurements published in a worker reach the run summary.

    Suits CPU-bound nodes in pure Python, which threads cannot run in parallel. Node
    functions, hook objects and datasets must be picklable (module-level classes and
    functions); what is not is reported before the first node.

    Args:
        max_workers: The number of worker processes (default: the number of CPUs), never
            more than the pipeline has nodes.
        mp_context: The multiprocessing start method, ``"spawn"`` (the default, and the only
            one on macOS and Windows), ``"forkserver"`` or ``"fork"``, or a context object.
    """

    def __init__(
        self, max_workers: int | None = None, mp_context: str | BaseContext = "spawn"
    ) -> None:
        if max_workers is not None and max_workers < 1:
            raise ConfigError(f"ParallelRunner needs max_workers >= 1, got {max_workers}.")
        self.max_workers = max_workers or os.cpu_count() or 1
        if isinstance(mp_context, str):
            try:
                mp_context = multiprocessing.get_context(mp_context)
            except ValueError as error:
                methods = ", ".join(multiprocessing.get_all_start_methods())
                raise ConfigError(
                    f"ParallelRunner: unknown mp_context {mp_context!r} (use one of {methods})."
                ) from error
        self.mp_context: BaseContext = mp_context

    def _run(self, run: RunState) -> None:
        pipeline, catalog, reporter, release = run.pipeline, run.catalog, run.reporter, run.release
        nodes = pipeline.nodes
        if not nodes:
            return
        packed = prepare_worker_setup(run, _dumps)
        index_of = {node: index for index, node in enumerate(nodes)}
        sends = memory_inputs(pipeline, catalog)
        waiting, first_ready = ready_nodes(pipeline)
        ready = deque(first_ready)
        first_error: BaseException | None = None
        pool = _Pool(self.mp_context, min(self.max_workers, len(nodes)), packed)
        try:
            while ready or pool.pending():
                # After a failure, hand out nothing new; let the running nodes finish.
                while ready and pool.idle and first_error is None:
                    node = ready.popleft()
                    inputs = {}
                    for name in sends[node]:
                        dataset = _memory(catalog, name)
                        if dataset.exists():
                            inputs[name] = dataset.held()
                    pool.submit(node, index_of[node], inputs)
                if not pool.pending():
                    break
                node, outcome = pool.next_finished()
                reporter.add_measurements(outcome.measurements)
                if outcome.worker:  # empty when the worker died
                    reporter.node_ran_on(node, outcome.worker, outcome.ended)
                if outcome.error is not None:
                    error = outcome.raised()
                    error = catalog.redact_error(error)
                    reporter.node_failed(node, outcome.seconds, error)
                    first_error = first_error or error
                    continue
                for name, data in outcome.outputs.items():
                    _memory(catalog, name).hold(data)
                reporter.node_completed(node, outcome.seconds)
                release.node_done(node)
                ready.extend(unblocked_children(pipeline, node, waiting))
        except BaseException:
            # Ctrl-C, SIGTERM, SIGHUP or a bug: stop every worker now, without waiting for its
            # node (pool.kill() also reaps them, so none outlives the run).
            pool.kill()
            raise
        pool.close()
        if first_error is not None:
            raise first_error


def _memory(catalog: DataCatalog, name: str) -> MemoryDataset:
    dataset = catalog.get_dataset(name)
    assert isinstance(dataset, MemoryDataset), name
    return dataset


class _Worker:
    """One worker process, its end of the pipe, and the node it runs (if any)."""

    __slots__ = ("conn", "node", "process", "started")

    def __init__(self, process: Any, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.node: Node | None = None
        self.started = 0.0


class _Pool:
    """Worker processes fed one node at a time through a pipe each."""

    def __init__(self, context: BaseContext, count: int, packed: bytes) -> None:
        self.idle: list[_Worker] = []
        self.busy: dict[Connection, _Worker] = {}
        self._finished: deque[tuple[Node, NodeOutcome]] = deque()
        self._all: list[_Worker] = []
        try:
            for number in range(count):
                parent_end, child_end = context.Pipe(duplex=True)
                process = context.Process(  # type: ignore[attr-defined]
                    target=_worker_main,
                    args=(child_end, packed),
                    name=f"hookline-worker-{number + 1}",
                )
                process.start()
                child_end.close()
                worker = _Worker(process, parent_end)
                self._all.append(worker)
                self.idle.append(worker)
        except BaseException:
            self.kill()
            raise

    def pending(self) -> int:
        """The nodes handed out whose outcome :meth:`next_finished` has yet to return."""
        return len(self.busy) + len(self._finished)

    def submit(self, node: Node, index: int, inputs: dict[str, Any]) -> None:
        """Send ``node`` to an idle worker, with the memory data it reads."""
        worker = self.idle.pop()
        message = _dumps((index, inputs))
        worker.node = node
        worker.started = time.perf_counter()
        self.busy[worker.conn] = worker
        try:
            worker.conn.send_bytes(message)
        except OSError:
            # The process is gone; next_finished() reports it with this node.
            self._died(worker)

    def next_finished(self) -> tuple[Node, NodeOutcome]:
        """Wait for a busy worker to finish its node (or die) and return how it went."""
        while not self._finished:
            sentinels = {worker.process.sentinel: worker for worker in self.busy.values()}
            ready = wait([*self.busy, *sentinels])
            for item in ready:
                if isinstance(item, Connection) and item in self.busy:
                    self._receive(self.busy[item])
            for item in ready:
                if isinstance(item, int):
                    worker = sentinels.get(item)
                    if worker is not None and worker.conn in self.busy:
                        self._died(worker)
        return self._finished.popleft()

    def _receive(self, worker: _Worker) -> None:
        try:
            outcome: NodeOutcome = pickle.loads(worker.conn.recv_bytes())
        except (EOFError, OSError):
            self._died(worker)
            return
        node = worker.node
        assert node is not None
        del self.busy[worker.conn]
        worker.node = None
        self.idle.append(worker)
        self._finished.append((node, outcome))

    def _died(self, worker: _Worker) -> None:
        node = worker.node
        assert node is not None
        self.busy.pop(worker.conn, None)
        worker.node = None
        worker.process.join(timeout=1.0)
        error = WorkerDied(
            f"The worker process (pid {worker.process.pid}) running node {node.name} died: "
            f"{_describe_exit(worker.process.exitcode)}. The node's outputs were not sent back."
        )
        seconds = time.perf_counter() - worker.started
        self._finished.append((node, NodeOutcome(-1, seconds, error)))

    def close(self) -> None:
        """Ask every worker to exit after the run, and wait for them (briefly)."""
        for worker in self._all:
            with contextlib.suppress(OSError):  # already gone
                worker.conn.send_bytes(b"")
        deadline = time.monotonic() + _EXIT_GRACE
        for worker in self._all:
            worker.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(timeout=1.0)
            worker.conn.close()

    def kill(self) -> None:
        """Stop every worker now, whatever it is doing."""
        for worker in self._all:
            if worker.process.is_alive():
                worker.process.kill()
        for worker in self._all:
            # Reaps the process; a killed process is gone almost at once.
            worker.process.join(timeout=1.0)
            worker.conn.close()


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = str(-code)
        hint = " (the out-of-memory killer sends SIGKILL)" if -code == signal.SIGKILL else ""
        return f"killed by signal {name}{hint}"
    return f"it exited with code {code}"


def _worker_main(conn: Connection, packed: bytes) -> None:
    """The body of a worker process: build the run's hooks, then run nodes until told to stop."""
    # Ctrl-C reaches the whole process group, and so may SIGTERM and SIGHUP (systemd, a closed
    # terminal); the main process alone decides what to do, and kills the workers on them.
    # (Under fork, this also drops the main process's handlers, which belong to its run.)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    run: WorkerRun | None = None
    setup_failure: NodeOutcome | None = None
    try:
        run = WorkerRun(packed)
    except Exception as error:
        setup_failure = setup_failed(-1, error)
    while True:
        try:
            message = conn.recv_bytes()
        except (EOFError, OSError):
            return  # the main process is gone
        if not message:
            return
        if run is None:
            assert setup_failure is not None
            conn.send_bytes(_dumps(setup_failure))
            continue
        index, inputs = pickle.loads(message)
        outcome = run.run_node(index, inputs, isolated=False)
        try:
            reply = _dumps(outcome)
        except Exception:
            reply = _dumps(run.fail_unpicklable_outputs(outcome, _dumps))
        conn.send_bytes(reply)
