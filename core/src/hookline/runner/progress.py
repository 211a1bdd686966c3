"""What a runner reports while it works: one line per node, and the records of the summary."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from hookline.measurements import Measurement
from hookline.node import Node

logger = logging.getLogger("hookline.runner")


@dataclass
class NodeRecord:
    """How one node of a run went.

    Attributes:
        name: The node's name.
        seconds: Wall time from the first input load to the last output save.
        status: ``completed`` or ``failed``.
        ended: When it finished, in seconds since the epoch (as reported by its worker).
        worker: Where it ran: ``main``, a thread's name, or a worker process (``pid 123``).
    """

    name: str
    seconds: float
    status: str
    ended: float = 0.0
    worker: str = "main"

    @property
    def started(self) -> float:
        """When it started, in seconds since the epoch."""
        return self.ended - self.seconds


class ProgressReporter:
    """Receives node events from a runner (always in the runner's main thread), logs one INFO
    line per node, and keeps what the run summary shows: a :class:`NodeRecord` per node and
    every measurement, including those published in worker processes.

    Subclass it to draw progress differently (the CLI draws a rich progress bar on a terminal).
    """

    def __init__(self) -> None:
        self.records: list[NodeRecord] = []
        self.measurements: list[Measurement] = []
        self.total = 0
        # Measurements arrive from node threads as well as the main thread.
        self._lock = threading.Lock()
        # Node name -> (end time, worker), told by runners whose nodes run elsewhere.
        self._placements: dict[str, tuple[float, str]] = {}

    def add_measurements(self, measurements: Iterable[Measurement]) -> None:
        """Keep ``measurements`` for the summary (thread-safe)."""
        with self._lock:
            self.measurements.extend(measurements)

    def measurements_so_far(self) -> tuple[Measurement, ...]:
        """Return the measurements kept until now, as a snapshot (thread-safe)."""
        with self._lock:
            return tuple(self.measurements)

    def start(self, total: int) -> None:
        """Called once before the first node, with the number of nodes to run."""
        self.total = total

    def node_ran_on(self, node: Node, worker: str, ended: float) -> None:
        """Called just before :meth:`node_completed` or :meth:`node_failed` by runners whose
        nodes run in another thread or process: where it ran and when it ended there."""
        self._placements[node.name] = (ended, worker)

    def node_completed(self, node: Node, seconds: float) -> None:
        """Called after a node's outputs were saved."""
        self.records.append(self._record(node, seconds, "completed"))
        logger.info(
            "Completed node %s (%d/%d) in %.3fs", node.name, len(self.records), self.total, seconds
        )

    def node_failed(self, node: Node, seconds: float, error: BaseException) -> None:
        """Called when a node failed, after its ``on_node_error`` hooks ran."""
        self.records.append(self._record(node, seconds, "failed"))
        logger.error("Node %s failed after %.3fs: %s", node.name, seconds, _one_line(error))

    def finish(self) -> None:
        """Called once after the last node, whether the run succeeded or not."""

    def _record(self, node: Node, seconds: float, status: str) -> NodeRecord:
        placement = self._placements.pop(node.name, None)
        if placement is None:  # it ran in this thread and ended just now
            return NodeRecord(node.name, seconds, status, time.time())
        return NodeRecord(node.name, seconds, status, *placement)


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
