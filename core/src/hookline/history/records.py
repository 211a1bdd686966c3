"""What the history keeps of one run: the run itself, its nodes, its measurements.

A run's nodes and measurements are kept column by column (one list per field), not as one
object per node: a run of 10,000 nodes is then turned into its record, written and read back
as a baseline in milliseconds. :class:`NodeRun` and :class:`MeasurementRow` are the row view
that iterating over the columns gives.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hookline.measurements import Measurement
    from hookline.runner.progress import NodeRecord


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
class NodeColumns:
    """Each node of a run, one list per field, in the order the nodes ended.

    Iterating gives a :class:`NodeRun` per node.
    """

    names: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    workers: list[str] = field(default_factory=list)
    durations: Sequence[float] = field(default_factory=list)
    ended: Sequence[float] = field(default_factory=list)

    @classmethod
    def of(cls, records: Sequence[NodeRecord]) -> NodeColumns:
        """The columns of the run summary's node records."""
        return cls(
            [r.name for r in records],
            [r.status for r in records],
            [r.worker for r in records],
            [r.seconds for r in records],
            [r.ended for r in records],
        )

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[NodeRun]:
        for name, status, worker, duration, ended in zip(
            self.names, self.statuses, self.workers, self.durations, self.ended, strict=True
        ):
            yield NodeRun(name, status, duration, worker, ended - duration, ended)

    def completed_durations(self) -> dict[str, float]:
        """Node name -> seconds, of every node that completed."""
        if "failed" not in self.statuses:  # the usual case, done in C
            return dict(zip(self.names, self.durations, strict=True))
        rows = zip(self.names, self.statuses, self.durations, strict=True)
        return {name: duration for name, status, duration in rows if status == "completed"}


@dataclass
class MeasurementColumns:
    """Every measurement of a run, one list per field, in the order they were published.

    Iterating gives a :class:`MeasurementRow` per measurement.
    """

    names: list[str] = field(default_factory=list)
    values: Sequence[float] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    nodes: list[str | None] = field(default_factory=list)
    datasets: list[str | None] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, measurements: Sequence[Measurement]) -> MeasurementColumns:
        """The columns of the run's measurements."""
        return cls(
            [m.name for m in measurements],
            [float(m.value) for m in measurements],
            [m.unit for m in measurements],
            [m.node for m in measurements],
            [m.dataset for m in measurements],
            [m.source for m in measurements],
        )

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[MeasurementRow]:
        for row in zip(
            self.names, self.values, self.units, self.nodes, self.datasets, self.sources,
            strict=True,
        ):  # fmt: skip
            yield MeasurementRow(*row)


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
    nodes: NodeColumns = field(default_factory=NodeColumns)
    measurements: MeasurementColumns = field(default_factory=MeasurementColumns)

    def summary(self) -> dict[str, Any]:
        """The run's own fields, without its nodes and measurements (for JSON)."""
        skipped = ("nodes", "measurements")
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skipped}

    def as_dict(self) -> dict[str, Any]:
        """The run with a list of its nodes and one of its measurements (for JSON)."""
        return {
            **self.summary(),
            "nodes": [asdict(node) for node in self.nodes],
            "measurements": [asdict(measurement) for measurement in self.measurements],
        }
