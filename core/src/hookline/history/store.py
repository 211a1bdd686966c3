"""The run history's SQLite file: its schema, the one write per run, and the queries the
``hookline runs`` commands and the regression guard make.

A run is one row of ``runs``; its nodes are one row of ``run_nodes`` and its measurements one
row of ``run_measurements``, each field a column holding every node's (or measurement's)
value: text fields as a zlib-compressed JSON array (:func:`pack_texts`; statuses and workers
repeat, and shrink a hundredfold), numbers as little-endian float64s (:func:`pack_floats`).
One row per run, not one per node, keeps recording a 10,000-node run and reading its baseline
to milliseconds.

WAL mode and a busy timeout let concurrent runs of one project each add their run without
losing the other's; a run's rows go in one transaction.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from hookline.history.records import MeasurementColumns, NodeColumns, RunRecord

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
CREATE INDEX IF NOT EXISTS runs_for_baseline ON runs (pipeline, structure_hash, status, started);
CREATE TABLE IF NOT EXISTS run_nodes (
    run INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    names BLOB NOT NULL,
    statuses BLOB NOT NULL,
    workers BLOB NOT NULL,
    durations BLOB NOT NULL,
    ended BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS run_measurements (
    run INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    names BLOB NOT NULL,
    "values" BLOB NOT NULL,
    units BLOB NOT NULL,
    nodes BLOB NOT NULL,
    datasets BLOB NOT NULL,
    sources BLOB NOT NULL
);
"""

_RUN_COLUMNS = (
    "run_id, pipeline, structure_hash, params_hash, git_commit, runner, env, started, "
    "duration, status, error"
)
_NODE_COLUMNS = "names, statuses, workers, durations, ended"
_MEASUREMENT_COLUMNS = 'names, "values", units, nodes, datasets, sources'


class HistoryStore:
    """The history file of one project.

    Args:
        path: The SQLite file; it and its folder are made on the first write.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection for reading, closed at the end of the block."""
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
        nodes, measurements = record.nodes, record.measurements
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
            connection.execute(
                f"INSERT INTO run_nodes (run, {_NODE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    run, pack_texts(nodes.names), pack_texts(nodes.statuses),
                    pack_texts(nodes.workers), pack_floats(nodes.durations),
                    pack_floats(nodes.ended),
                ),
            )  # fmt: skip
            connection.execute(
                f"INSERT INTO run_measurements (run, {_MEASUREMENT_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run, pack_texts(measurements.names), pack_floats(measurements.values),
                    pack_texts(measurements.units), pack_texts(measurements.nodes),
                    pack_texts(measurements.datasets), pack_texts(measurements.sources),
                ),
            )  # fmt: skip

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
        with self.connect() as connection:
            return [RunRecord(*row) for row in connection.execute(query, args)]

    def count(
        self, pipeline: str | None = None, status: str | None = None, since: float | None = None
    ) -> int:
        """How many runs :meth:`runs` would list without a limit."""
        if not self.path.exists():
            return 0
        where, args = _filters(pipeline, status, since)
        with self.connect() as connection:
            (count,) = connection.execute(f"SELECT COUNT(*) FROM runs{where}", args).fetchone()
        return int(count)

    def load(self, run_id: str) -> RunRecord | None:
        """The run ``run_id`` (the newest of that id) with its nodes and measurements."""
        if not self.path.exists():
            return None
        with self.connect() as connection:
            row = connection.execute(
                f"SELECT {_RUN_COLUMNS}, {_prefixed('n', _NODE_COLUMNS)}, "
                f"{_prefixed('m', _MEASUREMENT_COLUMNS)} FROM runs "
                "LEFT JOIN run_nodes AS n ON n.run = runs.id "
                "LEFT JOIN run_measurements AS m ON m.run = runs.id "
                "WHERE run_id = ? ORDER BY runs.id DESC LIMIT 1",
                (run_id,),
            ).fetchone()
        if row is None:
            return None
        record = RunRecord(*row[:11])
        if row[11] is not None:
            record.nodes = node_columns(row[11:16])
        if row[16] is not None:
            record.measurements = measurement_columns(row[16:22])
        return record

    def completed_runs(
        self, pipeline: str, structure: str, runs: int, before: float | None = None
    ) -> list[tuple[list[str], array[float], MeasurementColumns]]:
        """The node names, their seconds and the measurements of the last ``runs`` completed
        runs of ``pipeline`` with structure hash ``structure`` (started before ``before``, when
        given), in one query. Every node of a completed run completed.

        Runs whose nodes ended in the same order share one list of names (read once).
        """
        if not self.path.exists():
            return []
        with self.connect() as connection:
            rows = connection.execute(
                f"SELECT n.names, n.durations, {_prefixed('m', _MEASUREMENT_COLUMNS)} "
                "FROM runs JOIN run_nodes AS n ON n.run = runs.id "
                "JOIN run_measurements AS m ON m.run = runs.id "
                "WHERE pipeline = ? AND structure_hash = ? AND status = 'completed' "
                "AND started < ? ORDER BY started DESC, runs.id DESC LIMIT ?",
                (pipeline, structure, float("inf") if before is None else before, runs),
            ).fetchall()
        names: dict[bytes, list[str]] = {}  # one list per order the nodes ended in
        found = []
        for row in rows:
            if row[0] not in names:
                names[row[0]] = unpack_texts(row[0])
            found.append((names[row[0]], unpack_floats(row[1]), measurement_columns(row[2:])))
        return found

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


def pack_texts(values: Sequence[str | None]) -> bytes:
    """``values`` as a JSON array, compressed (fast, not small: zlib's level 1)."""
    return zlib.compress(json.dumps(values).encode(), 1)


def unpack_texts(data: bytes) -> list[Any]:
    """The values :func:`pack_texts` packed."""
    values: list[Any] = json.loads(zlib.decompress(data))
    return values


def pack_floats(values: Iterable[float]) -> bytes:
    """``values`` as little-endian float64s, whatever this machine's byte order."""
    packed = array("d", values)
    if sys.byteorder != "little":
        packed.byteswap()
    return packed.tobytes()


def unpack_floats(data: bytes) -> array[float]:
    """The numbers :func:`pack_floats` packed."""
    unpacked = array("d")
    unpacked.frombytes(data)
    if sys.byteorder != "little":
        unpacked.byteswap()
    return unpacked


def node_columns(row: tuple[bytes, bytes, bytes, bytes, bytes]) -> NodeColumns:
    """The :class:`NodeColumns` of a ``run_nodes`` row."""
    names, statuses, workers, durations, ended = row
    return NodeColumns(
        unpack_texts(names), unpack_texts(statuses), unpack_texts(workers),
        unpack_floats(durations), unpack_floats(ended),
    )  # fmt: skip


def measurement_columns(row: tuple[bytes, bytes, bytes, bytes, bytes, bytes]) -> MeasurementColumns:
    """The :class:`MeasurementColumns` of a ``run_measurements`` row."""
    names, values, units, nodes, datasets, sources = row
    return MeasurementColumns(
        unpack_texts(names), unpack_floats(values), unpack_texts(units), unpack_texts(nodes),
        unpack_texts(datasets), unpack_texts(sources),
    )  # fmt: skip


def _prefixed(table: str, columns: str) -> str:
    return ", ".join(f"{table}.{column.strip()}" for column in columns.split(","))


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
