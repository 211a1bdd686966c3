"""What the history keeps of one run: the run itself, each node, each measurement."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from hookline.pipeline import Pipeline


# Plain slotted classes, not frozen ones: a run of 10,000 nodes makes 10,000 of them at its
# end, and a frozen dataclass costs several times more to make.
@dataclass(slots=True)
class NodeRun:
    """How one node went in a recorded run.

    Attributes:
        name: The node's name.
        status: ``completed`` or ``failed``.
        duration: Seconds from its first load to its last save.
        worker: Where it ran: ``main``, a thread's name, or ``pid 123`` for a worker process.
        started: When it started, in seconds since the epoch.
        ended: When it ended, in seconds since the epoch.
    """

    name: str
    status: str
    duration: float
    worker: str
    started: float
    ended: float


@dataclass(slots=True)
class MeasurementRow:
    """One figure of a recorded run (see :class:`hookline.Measurement`)."""

    name: str
    value: float
    unit: str
    node: str | None
    dataset: str | None
    source: str


@dataclass
class RunRecord:
    """One run, as the history stores it.

    Attributes:
        run_id: The session id of the run.
        pipeline: The pipeline's registered name.
        structure_hash: A hash of the pipeline's nodes and their inputs and outputs: runs of
            the same hash ran the same graph.
        params_hash: A hash of the run's parameters (``--params`` applied).
        git_commit: The project's commit, when it lives in a git repository.
        runner: The runner's class name.
        env: The configuration environment, if one was given.
        started: When the run started, in seconds since the epoch.
        duration: Its wall time, in seconds.
        status: ``completed``, ``failed`` or ``interrupted``.
        error: The error that ended it, secrets hidden.
        nodes: Each node that ran.
        measurements: Every measurement of the run.
    """

    run_id: str
    pipeline: str
    structure_hash: str
    params_hash: str
    git_commit: str | None
    runner: str
    env: str | None
    started: float
    duration: float
    status: str
    error: str | None = None
    nodes: list[NodeRun] = field(default_factory=list)
    measurements: list[MeasurementRow] = field(default_factory=list)


def structure_hash(pipeline: Pipeline) -> str:
    """A short hash of ``pipeline``'s graph: node names with their inputs and outputs, in the
    pipeline's (deterministic) run order."""
    text = "\n".join(
        f"{node.name}|{','.join(node.inputs)}|{','.join(node.outputs)}" for node in pipeline.nodes
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def params_hash(params: dict[str, Any]) -> str:
    """A short hash of the run's parameters, stable across key order."""
    text = json.dumps(params, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
