"""Recording one run in the history: what the session hands over at the end of a run (or at
an interrupt), turned into a :class:`RunRecord` and written once.

A history that cannot be written is one warning; the run and its exit code are unaffected. A
corrupt file is moved aside (named in the warning) and a new one started.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from hookline.history.baseline import largest_watched, read_baseline
from hookline.history.git import current_commit
from hookline.history.guard import RegressionReport, find_regressions, publish
from hookline.history.hashes import params_hash, structure_hash
from hookline.history.location import history_path
from hookline.history.records import MeasurementColumns, NodeColumns, RunRecord
from hookline.history.store import HistoryStore
from hookline.history.thresholds import Thresholds, load_thresholds
from hookline.measurements import Measurement
from hookline.pipeline import Pipeline
from hookline.project import ProjectMetadata
from hookline.run_params import runner_name, shown_pipeline_name
from hookline.runner.progress import NodeRecord

logger = logging.getLogger("hookline.history")


class RunRecorder:
    """Started when a run starts; :meth:`check` compares a finished run with its baseline,
    and :meth:`finish` records it when it ends, however it ends."""

    def __init__(
        self,
        path: Path | None,
        thresholds: Thresholds,
        metadata: ProjectMetadata,
        pipeline: Pipeline,
        run_params: dict[str, Any],
        params: dict[str, Any],
    ) -> None:
        self.path = path
        self.thresholds = thresholds
        self._metadata = metadata
        self._run_params = run_params
        self._params = params
        self._started = time.time()
        self._clock = time.perf_counter()
        # Both check() and finish() need it; the pipeline does not change during the run.
        self._structure = structure_hash(pipeline) if path is not None else ""

    @classmethod
    def start(
        cls,
        metadata: ProjectMetadata,
        pipeline: Pipeline,
        run_params: dict[str, Any],
        params: dict[str, Any],
        config_loader: Any,
    ) -> RunRecorder:
        """Start timing a run of ``pipeline`` in the project of ``metadata``.

        Raises:
            ConfigError: If ``regressions.yml`` is bad (before any node runs).
        """
        path = history_path(metadata)
        thresholds = load_thresholds(config_loader) if path is not None else Thresholds()
        return cls(path, thresholds, metadata, pipeline, run_params, params)

    def check(
        self, records: Sequence[NodeRecord], measurements: Sequence[Measurement]
    ) -> RegressionReport | None:
        """Compare a run that completed with its baseline; publish and log each regression.

        Returns ``None`` when there is no history to compare with (switched off or
        unreadable: :meth:`finish` warns about the latter).
        """
        if self.path is None:
            return None
        pipeline = shown_pipeline_name(self._run_params)
        try:
            baseline = read_baseline(
                HistoryStore(self.path), pipeline, self._structure, self.thresholds.baseline_runs
            )
        except sqlite3.Error as error:
            logger.debug("No regression check: the history cannot be read: %s", error)
            return None
        if not baseline.runs:
            logger.info(
                "No baseline yet for pipeline %s (no earlier successful run of this structure): "
                "regressions are checked from the next run on.",
                pipeline,
            )
            return RegressionReport(0, fail=self.thresholds.fail)
        durations = {r.name: r.seconds for r in records if r.status == "completed"}
        figures = largest_watched(MeasurementColumns.of(measurements))
        found = find_regressions(durations, figures, baseline, self.thresholds)
        publish(found)
        return RegressionReport(baseline.runs, found, self.thresholds.fail)

    def finish(
        self,
        records: Sequence[NodeRecord],
        measurements: Sequence[Measurement],
        error: BaseException | None,
    ) -> RunRecord | None:
        """Write the run to the history; return what was written (``None`` when history is
        off or could not be written).

        Args:
            records: Each node that ran.
            measurements: Every measurement of the run.
            error: What ended the run, secrets already hidden; ``None`` if it completed.
        """
        if self.path is None:
            return None
        record = self._record(records, measurements, error)
        return record if write_run(HistoryStore(self.path), record) else None

    def _record(
        self,
        records: Sequence[NodeRecord],
        measurements: Sequence[Measurement],
        error: BaseException | None,
    ) -> RunRecord:
        return RunRecord(
            run_id=str(self._run_params["run_id"]),
            pipeline=shown_pipeline_name(self._run_params),
            structure_hash=self._structure,
            params_hash=params_hash(self._params),
            git_commit=current_commit(self._metadata.project_path),
            runner=runner_name(self._run_params),
            env=self._run_params.get("env"),
            started=self._started,
            duration=time.perf_counter() - self._clock,
            status=_status(error),
            error=None if error is None else _describe(error),
            nodes=NodeColumns.of(records),
            measurements=MeasurementColumns.of(measurements),
        )


def write_run(store: HistoryStore, record: RunRecord) -> bool:
    """Save ``record`` in ``store``; on failure log one warning and return ``False``."""
    try:
        store.save(record)
    except sqlite3.DatabaseError as error:
        if not _is_corrupt(error):
            _warn_not_recorded(store.path, error)
            return False
        aside = move_aside(store.path)
        try:
            store.save(record)
        except (sqlite3.Error, OSError) as again:
            _warn_not_recorded(store.path, again, f" It was corrupt and was moved to {aside}.")
            return False
        logger.warning(
            "The run history %s was corrupt (%s): it was moved to %s and a new one started.",
            store.path, error, aside,
        )  # fmt: skip
        return True
    except (sqlite3.Error, OSError) as error:
        _warn_not_recorded(store.path, error)
        return False
    return True


def move_aside(path: Path) -> Path:
    """Rename a corrupt history file (and its WAL files) out of the way; return its new name."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    path.rename(aside)
    for suffix in ("-wal", "-shm"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            companion.rename(aside.with_name(aside.name + suffix))
    return aside


def _is_corrupt(error: sqlite3.DatabaseError) -> bool:
    text = str(error).lower()
    return "not a database" in text or "malformed" in text


def _warn_not_recorded(path: Path, error: BaseException, extra: str = "") -> None:
    logger.warning(
        "The run history %s could not be written (%s: %s): this run is not recorded.%s",
        path, type(error).__name__, error, extra,
    )  # fmt: skip


def _status(error: BaseException | None) -> str:
    if error is None:
        return "completed"
    if isinstance(error, KeyboardInterrupt):
        return "interrupted"
    return "failed"


def _describe(error: BaseException) -> str:
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
