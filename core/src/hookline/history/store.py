"""The run history's SQLite file: its schema, the one write per run, and the queries the
``hookline runs`` commands make.

WAL mode and a busy timeout let concurrent runs of one project each add their run without
losing the other's; a run's rows go in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from hookline.history.records import MeasurementRow, NodeRun, RunRecord

#: How long a write waits for another run's write to finish, in milliseconds.
BUSY_TIMEOUT_MS = 10_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    structure_hash TEXT NOT NULL,
    params_hash TEXT NOT NULL,
    git_commit TEXT,
    runner TEXT NOT NULL,
    env TEXT,
    started REAL NOT NULL,
    duration REAL NOT NULL,
    status TEXT NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS runs_by_start ON runs (started);
CREATE INDEX IF NOT EXISTS runs_by_run_id ON runs (run_id);
CREATE TABLE IF NOT EXISTS nodes (
    run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    duration REAL NOT NULL,
    worker TEXT NOT NULL,
    started REAL NOT NULL,
    ended REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS nodes_by_run ON nodes (run);
CREATE TABLE IF NOT EXISTS measurements (
    run INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value REAL NOT NULL,
    unit TEXT NOT NULL,
    node TEXT,
    dataset TEXT,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS measurements_by_run ON measurements (run);
"""

_RUN_COLUMNS = (
    "run_id, pipeline, structure_hash, params_hash, git_commit, runner, env, started, "
    "duration, status, error"
)


class HistoryStore:
    """The history file of one project.

    Args:
        path: The SQLite file; it and its folder are made on the first write.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        with closing(connection):
            connection.execute("PRAGMA foreign_keys = ON")
            yield connection

    def _open_for_writing(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        connection.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL never corrupts the file; a power cut may lose the last run only.
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.executescript(SCHEMA)
        return connection

    def save(self, record: RunRecord) -> None:
        """Add ``record`` with its nodes and measurements, in one transaction.

        Raises:
            sqlite3.Error: If the file cannot be written (corrupt, locked, read-only).
            OSError: If its folder cannot be made.
        """
        with closing(self._open_for_writing()) as connection, connection:
            cursor = connection.execute(
                f"INSERT INTO runs ({_RUN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    record.run_id, record.pipeline, record.structure_hash, record.params_hash,
                    record.git_commit, record.runner, record.env, record.started,
                    record.duration, record.status, record.error,
                ),
            )  # fmt: skip
            run = cursor.lastrowid
            connection.executemany(
                "INSERT INTO nodes VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (run, n.name, n.status, n.duration, n.worker, n.started, n.ended)
                    for n in record.nodes
                ),
            )
            connection.executemany(
                "INSERT INTO measurements VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    (run, m.name, m.value, m.unit, m.node, m.dataset, m.source)
                    for m in record.measurements
                ),
            )

    def runs(
        self,
        pipeline: str | None = None,
        status: str | None = None,
        since: float | None = None,
        limit: int | None = None,
    ) -> list[RunRecord]:
        """The runs recorded, newest first, without their nodes and measurements."""
        if not self.path.exists():
            return []
        where, args = _filters(pipeline, status, since)
        query = f"SELECT {_RUN_COLUMNS} FROM runs{where} ORDER BY started DESC, id DESC"
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        with self._connect() as connection:
            return [RunRecord(*row) for row in connection.execute(query, args)]

    def load(self, run_id: str) -> RunRecord | None:
        """The run ``run_id`` (the newest of that id) with its nodes and measurements."""
        if not self.path.exists():
            return None
        with self._connect() as connection:
            row = connection.execute(
                f"SELECT id, {_RUN_COLUMNS} FROM runs WHERE run_id = ? ORDER BY id DESC LIMIT 1",
                (run_id,),
            ).fetchone()
            if row is None:
                return None
            record = RunRecord(*row[1:])
            record.nodes = [
                NodeRun(*node)
                for node in connection.execute(
                    "SELECT name, status, duration, worker, started, ended FROM nodes "
                    "WHERE run = ? ORDER BY started, rowid",
                    (row[0],),
                )
            ]
            record.measurements = [
                MeasurementRow(*measurement)
                for measurement in connection.execute(
                    "SELECT name, value, unit, node, dataset, source FROM measurements "
                    "WHERE run = ? ORDER BY rowid",
                    (row[0],),
                )
            ]
            return record

    def prune(self, keep: int) -> int:
        """Delete every run but the ``keep`` newest; return how many were deleted."""
        if not self.path.exists():
            return 0
        with closing(self._open_for_writing()) as connection, connection:
            cursor = connection.execute(
                "DELETE FROM runs WHERE id NOT IN "
                "(SELECT id FROM runs ORDER BY started DESC, id DESC LIMIT ?)",
                (keep,),
            )
            return cursor.rowcount


def _filters(
    pipeline: str | None, status: str | None, since: float | None
) -> tuple[str, list[object]]:
    clauses: list[str] = []
    args: list[object] = []
    for clause, value in (("pipeline = ?", pipeline), ("status = ?", status)):
        if value is not None:
            clauses.append(clause)
            args.append(value)
    if since is not None:
        clauses.append("started >= ?")
        args.append(since)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), args


class Baseline:
    """The figures of the last successful runs of one pipeline structure, for the guard.

    Attributes:
        runs: How many runs it was made of (0: no baseline yet).
        durations: Node name -> its seconds in each run.
        figures: (measurement, node, dataset) -> its largest value in each run.
    """

    def __init__(
        self,
        runs: int,
        durations: dict[str, list[float]],
        figures: dict[tuple[str, str | None, str | None], list[float]],
    ) -> None:
        self.runs = runs
        self.durations = durations
        self.figures = figures


def read_baseline(
    store: HistoryStore,
    pipeline: str,
    structure: str,
    runs: int,
    measurement_names: tuple[str, ...],
    before: float | None = None,
) -> Baseline:
    """The last ``runs`` completed runs of ``pipeline`` with structure hash ``structure``.

    Args:
        measurement_names: The measurements wanted, as SQL ``LIKE`` patterns.
        before: Only runs started before this time (seconds since the epoch).
    """
    if not store.path.exists():
        return Baseline(0, {}, {})
    with store._connect() as connection:
        ids = [
            row[0]
            for row in connection.execute(
                "SELECT id FROM runs WHERE pipeline = ? AND structure_hash = ? "
                "AND status = 'completed' AND started < ? ORDER BY started DESC, id DESC LIMIT ?",
                (pipeline, structure, float("inf") if before is None else before, runs),
            )
        ]
        if not ids:
            return Baseline(0, {}, {})
        marks = ", ".join("?" * len(ids))
        durations: dict[str, list[float]] = {}
        for name, duration in connection.execute(
            f"SELECT name, duration FROM nodes WHERE run IN ({marks}) AND status = 'completed'",
            ids,
        ):
            durations.setdefault(name, []).append(duration)
        likes = " OR ".join("name LIKE ?" for _ in measurement_names)
        figures: dict[tuple[str, str | None, str | None], list[float]] = {}
        for name, node, dataset, value in connection.execute(
            f"SELECT name, node, dataset, MAX(value) FROM measurements "
            f"WHERE run IN ({marks}) AND ({likes}) GROUP BY run, name, node, dataset",
            [*ids, *measurement_names],
        ):
            figures.setdefault((name, node, dataset), []).append(value)
    return Baseline(len(ids), durations, figures)
