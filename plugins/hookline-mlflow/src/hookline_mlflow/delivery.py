"""What becomes of a run's data the tracking store did not receive, and the warnings that say
so: a failed call (once per run), the store going away and coming back, a worker's spool file
(once per worker process) and what is left undelivered at the end of the run.

The run logger (:mod:`hookline_mlflow.run_logger`) holds the data through an outage; this
module keeps what it could not deliver in spool files (:mod:`hookline_mlflow.spool`) and names
everything in the warnings, with secrets hidden.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from hookline_mlflow import naming, spool
from hookline_mlflow.run_logger import Undelivered, first_line

if TYPE_CHECKING:
    from hookline_mlflow.recording import Redactor
    from hookline_mlflow.run_lifecycle import TrackedRun

__all__ = [
    "LISTED_NAMES",
    "DeliveryWarnings",
    "describe_undelivered",
    "finish_worker_node",
    "report_undelivered",
    "send_worker_spools",
    "spill_worker",
]

logger = logging.getLogger("hookline_mlflow")

#: How many names a message lists before it says "and N more".
LISTED_NAMES = 20


class DeliveryWarnings:
    """The warnings of one run's delivery: a failed call (once per run; the run goes on), the
    store going away and coming back.

    Args:
        redactor: Hides secrets in the messages.
        wait_for_server: Seconds the end of the run waits for a store that went away.
    """

    def __init__(self, redactor: Redactor, wait_for_server: float) -> None:
        self._redactor = redactor
        self._wait_for_server = wait_for_server
        self._warned = False
        self._lock = threading.Lock()

    def logging_failed(self, error: BaseException) -> None:
        """Warn that logging to MLflow failed, the first time in the run; the run goes on."""
        with self._lock:
            warn, self._warned = not self._warned, True
        if warn:
            logger.warning(
                "hookline-mlflow: logging to MLflow failed; the run goes on. %s",
                naming.truncate(self._redactor.text(first_line(error)), 500),
            )

    def server_went_away(self, where: str, error: BaseException) -> None:
        """Warn that the store at ``where`` stopped answering, and what happens meanwhile."""
        logger.warning(
            "hookline-mlflow: the MLflow tracking store %s stopped answering (%s). The run goes "
            "on; what it records is kept and sent when the store is back (checked every "
            "second; the end of the run waits for it %g s at most).",
            where,
            naming.truncate(self._redactor.text(first_line(error)), 500),
            self._wait_for_server,
        )

    def server_came_back(self, where: str, sent: int, uploads: int) -> None:
        """Warn that the store at ``where`` answers again, with what was sent since."""
        logger.warning(
            "hookline-mlflow: the MLflow tracking store %s answers again; sent the %d "
            "metric value(s), param(s) and tag(s) and %d upload(s) held during the outage.",
            where,
            sent,
            uploads,
        )


def finish_worker_node(run: TrackedRun, wait: float) -> None:
    """In a worker: send what the node recorded before its result goes back (a worker may be
    stopped as soon as the run ends), waiting at most ``wait`` seconds for a store that does
    not answer; during an outage, keep it in the worker's spool file."""
    run.logger.flush(wait=wait)
    if run.logger.outage_since is not None:
        spill_worker(run, run.logger.take_undelivered())


def spill_worker(run: TrackedRun, left: Undelivered) -> None:
    """In a worker: keep what the store did not receive in the worker process's own spool file
    (the worker may be stopped before the store is back); one file per process, added to
    after every node, whatever the number of nodes."""
    if not left:
        return
    path = spool.spool_file(run.spool_dir, run.run_id, str(os.getpid()))
    keep_in_spool(run, left, path)
    if run.spilled:
        return  # one warning per worker process, not one per node of the outage
    run.spilled = True
    logger.warning(
        "hookline-mlflow: worker process %d kept what the tracking store did not receive "
        "(%s) in %s, and adds there what its next nodes record while the store is away; "
        "the main process sends it at the end of the run if the store is back.",
        os.getpid(),
        describe_undelivered(left, owned=False),
        path,
    )


def keep_in_spool(run: TrackedRun, left: Undelivered, path: Path) -> None:
    """Add what the store did not receive of ``run`` to the spool file ``path`` (the URI
    without its user:password, which replay takes from the environment as MLflow does)."""
    spool.write(
        path,
        run_id=run.run_id,
        experiment_id=run.experiment_id,
        tracking_uri=run.tracking_uri,
        undelivered=dataclasses.replace(left, reason=run.redactor.text(left.reason)),
    )


def send_worker_spools(run: TrackedRun) -> None:
    """Send what worker processes kept during an outage, now that the store answers."""
    for path in spool.files_of(run.spool_dir, run.run_id):
        try:
            spooled = spool.read(path)
            if spooled.status is None:
                spool.replay(spooled, run.logger.client)
        except Exception as error:
            run.warnings.logging_failed(error)
            return


def report_undelivered(run: TrackedRun, left: Undelivered, wait: float) -> None:
    """Keep ``left`` in the run's spool file, and warn naming everything not delivered (by the
    end of the run, after waiting ``wait`` seconds) and every spool file of the run."""
    if left:
        keep_in_spool(run, left, spool.spool_file(run.spool_dir, run.run_id))
    files = spool.files_of(run.spool_dir, run.run_id)
    if not files:
        return
    redact = run.redactor.text
    logger.warning(
        "hookline-mlflow: the MLflow tracking store %s %s by the end of the run (%s). "
        "Not delivered to MLflow run %s: %s. Kept in %s. Send it once the server is "
        "back: hookline mlflow replay %s",
        naming.truncate(redact(run.tracking_uri), 300),
        f"did not answer within {wait:g} s" if left else "answered, but not everything",
        redact(left.reason) or "see the earlier warning",
        run.run_id,
        describe_undelivered(left, run.owned) if left else "what worker processes kept",
        ", ".join(str(p) for p in files),
        " ".join(str(p) for p in files),
    )


def describe_undelivered(left: Undelivered, owned: bool) -> str:
    """What ``left`` holds, naming every key (up to :data:`LISTED_NAMES` of each kind)."""
    parts = []
    for label, keys in (
        ("metric value(s)", [row[0] for row in left.metrics]),
        ("param(s)", [item[0] for item in left.params]),
        ("tag(s)", [item[0] for item in left.tags]),
    ):
        if keys:
            parts.append(f"{len(keys)} {label} ({_names(keys)})")
    kept = [u.what for u in left.uploads if u.record is not None]
    lost = [u.what for u in left.uploads if u.record is None]
    if kept:
        parts.append(f"{len(kept)} upload(s) ({_names(kept)})")
    if lost:
        parts.append(
            f"{len(lost)} upload(s) that cannot be kept and are lost ({_names(lost)}: a model "
            "exists only in the process that made it; run the pipeline again to log it)"
        )
    if left.status is not None:
        parts.append(
            f"the end status {left.status} (the server shows the run RUNNING until it is sent)"
            if owned
            else f"the end status {left.status}"
        )
    return "; ".join(parts) or "nothing"


def _names(keys: list[str]) -> str:
    distinct = list(dict.fromkeys(keys))
    shown = ", ".join(distinct[:LISTED_NAMES])
    more = len(distinct) - LISTED_NAMES
    return f"{shown}, and {more} more" if more > 0 else shown
