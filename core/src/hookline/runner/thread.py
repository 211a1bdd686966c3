"""Runs independent nodes concurrently on a pool of threads."""

from __future__ import annotations

import os
import queue
import threading
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from hookline.errors import ConfigError
from hookline.node import Node
from hookline.runner.base import (
    AbstractRunner,
    NodeHookCallers,
    RunState,
    ready_nodes,
    timed_run_node,
    unblocked_children,
)

if TYPE_CHECKING:
    from hookline.catalog import DataCatalog


def default_max_workers() -> int:
    """The thread count used when none is given: as many as Python's own default pool."""
    return min(32, (os.cpu_count() or 1) + 4)


class ThreadRunner(AbstractRunner):
    """Runs each node as soon as its inputs exist, on up to ``max_workers`` threads.

    Node and dataset hooks fire in the thread that runs the node, so hook implementations
    must be thread-safe. Suits nodes that wait on I/O or release the GIL (pandas, numpy).
    """

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and max_workers < 1:
            raise ConfigError(f"ThreadRunner needs max_workers >= 1, got {max_workers}.")
        self.max_workers = max_workers or default_max_workers()

    def _run(self, run: RunState) -> None:
        pipeline, catalog, hooks, session_id = run.pipeline, run.catalog, run.hooks, run.session_id
        reporter, release = run.reporter, run.release
        waiting, first_ready = ready_nodes(pipeline)
        ready = deque(first_ready)
        # Finished nodes arrive on a queue, so each completion costs O(1) whatever the number
        # of nodes in flight (concurrent.futures.wait would scan all of them every time).
        finished: queue.SimpleQueue[tuple[Node, Future[_Timed]]]
        finished = queue.SimpleQueue()
        in_flight = 0
        first_error: Exception | None = None
        pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="hookline")
        try:
            while ready or in_flight:
                # After a failure, schedule nothing new; let the running nodes finish.
                while ready and first_error is None:
                    node = ready.popleft()
                    future = pool.submit(_timed_on_thread, node, catalog, hooks, session_id)
                    future.add_done_callback(partial(_put, finished, node))
                    in_flight += 1
                if not in_flight:
                    break
                node, future = finished.get()
                in_flight -= 1
                seconds, error, worker, ended = future.result()
                reporter.node_ran_on(node, worker, ended)
                if error is not None:
                    error = catalog.redact_error(error)
                    reporter.node_failed(node, seconds, error)
                    first_error = first_error or error
                    continue
                reporter.node_completed(node, seconds)
                release.node_done(node)
                ready.extend(unblocked_children(pipeline, node, waiting))
        except BaseException:
            # Ctrl-C, SIGTERM or SIGHUP: do not wait for the nodes still running (their threads
            # are abandoned), and start no queued one.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        if first_error is not None:
            raise first_error


#: A node's wall time, its error, the thread it ran on and when it ended there.
_Timed = tuple[float, Exception | None, str, float]


def _timed_on_thread(
    node: Node, catalog: DataCatalog, hooks: NodeHookCallers, session_id: str
) -> _Timed:
    seconds, error = timed_run_node(node, catalog, hooks, session_id)
    return seconds, error, threading.current_thread().name, time.time()


def _put(finished: queue.SimpleQueue[Any], node: Node, future: Future[Any]) -> None:
    finished.put((node, future))
