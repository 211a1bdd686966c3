"""Starting, adopting and ending the MLflow run of a pipeline run.

:func:`start_run` starts a run, or adopts one (``MLFLOW_RUN_ID``, or a run active in the
process); :func:`join_worker_run` gives a worker process of ParallelRunner or DaskRunner the
main process's run; :func:`end_run` sends everything and ends the run. A store that cannot be
used at the start fails the run (:class:`TrackingUnavailable`) or lets it run untracked
(:func:`cannot_track`).

MLflow is imported here only inside functions.
"""

from __future__ import annotations

import contextlib
import functools
import getpass
import logging
import os
import sys
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hookline.plugin import HooklineError
from hookline_mlflow import delivery, naming, stale_runs
from hookline_mlflow.config import (
    DatasetSpec,
    MlflowConfig,
    render_run_name,
    resolve_experiment_name,
)
from hookline_mlflow.delivery import DeliveryWarnings
from hookline_mlflow.processes import this_process
from hookline_mlflow.run_logger import RunLogger, first_line, import_mlflow, make_client
from hookline_mlflow.store import make_store, probe

if TYPE_CHECKING:
    from hookline.plugin import DataCatalog
    from hookline_mlflow.recording import Redactor

__all__ = [
    "START_PROBE_TIMEOUT",
    "TrackedRun",
    "TrackingUnavailable",
    "cannot_track",
    "end_leftover_run",
    "end_run",
    "join_worker_run",
    "start_run",
]

logger = logging.getLogger("hookline_mlflow")

#: Seconds the start-up check waits for an HTTP tracking server to answer (longer than the
#: mid-run checks of :data:`hookline_mlflow.store.PROBE_TIMEOUT`: nothing runs yet).
START_PROBE_TIMEOUT = 10.0


class TrackingUnavailable(HooklineError):
    """The tracking store cannot be used at the start of a run, under ``on_unreachable: fail``:
    raised before the first node, so the run fails without running anything."""


@dataclass
class TrackedRun:
    """The MLflow run of the pipeline run in progress, as this process sees it."""

    run_id: str
    experiment_id: str
    tracking_uri: str
    logger: RunLogger
    #: Whether this process ends the run (it started it, or adopted MLFLOW_RUN_ID).
    owned: bool
    #: Whether this is a worker process of ParallelRunner or DaskRunner.
    worker: bool
    declared: dict[str, DatasetSpec]
    #: Where what the store did not receive is kept.
    spool_dir: Path
    #: Hides secrets in what the run records and in its warnings.
    redactor: Redactor
    warnings: DeliveryWarnings
    catalog: DataCatalog | None = None
    started: float = field(default_factory=time.perf_counter)
    pid: int = field(default_factory=os.getpid)
    starts: dict[str, float] = field(default_factory=dict)
    #: Node name -> outputs still to be saved (workers flush when it reaches 0).
    unsaved: dict[str, int] = field(default_factory=dict)
    #: Node name -> its declared model outputs (computed once per node).
    models_of: dict[str, tuple[str, ...]] = field(default_factory=dict)
    metric_keys: dict[Any, str] = field(default_factory=dict)
    #: Whether this worker process wrote to its spool file (it warns the first time only).
    spilled: bool = False


def start_run(
    config: MlflowConfig,
    redactor: Redactor,
    uri: str,
    run_params: Mapping[str, Any],
    project_path: Path,
    project_name: str,
    declared: dict[str, DatasetSpec],
    spool_dir: Path,
) -> TrackedRun:
    """Start the run in the store at ``uri``, or adopt ``MLFLOW_RUN_ID`` or the run active in
    the process (a child of it under ``nested``). A run this process owns records where it
    runs, and first ends the runs of the project and experiment that dead processes of this
    host left RUNNING (see :mod:`hookline_mlflow.stale_runs`).

    Raises:
        Exception: Whatever the store raises when it cannot be used (see
            :func:`cannot_track`).
    """
    mlflow = import_mlflow()
    probe(uri, START_PROBE_TIMEOUT)
    client = mlflow.MlflowClient(tracking_uri=uri)
    run_name = redactor.text(render_run_name(config.run_name, run_params, project_name))
    # Where the run runs, from its creation on: a process killed at any point leaves a run
    # that the next one can end.
    whereabouts = {**this_process().tags(), stale_runs.PROJECT_TAG: project_name}
    start_tags = {"mlflow.user": _user(), "mlflow.source.name": project_name, **whereabouts}
    owned = True
    adopted_id = os.environ.get("MLFLOW_RUN_ID", "").strip()
    active = mlflow.active_run()
    if adopted_id:
        existing = client.get_run(adopted_id)
        run_id, experiment_id = adopted_id, existing.info.experiment_id
        if existing.info.status != "RUNNING":
            client.update_run(run_id, status="RUNNING")
        _set_tags(client, run_id, whereabouts)
    elif active is not None and not config.nested:
        # The run belongs to whoever started it: log into it, leave ending it to them.
        run_id, experiment_id, owned = active.info.run_id, active.info.experiment_id, False
    else:
        if active is not None:
            experiment_id = active.info.experiment_id
            start_tags["mlflow.parentRunId"] = active.info.run_id
        else:
            experiment_id = _experiment_id(
                client, resolve_experiment_name(config, project_name), uri, project_path
            )
        created = client.create_run(experiment_id, run_name=run_name, tags=start_tags)
        run_id = created.info.run_id
    if owned:
        stale_runs.end_stale_runs(client, experiment_id, project_name, run_id)
    warnings = DeliveryWarnings(redactor, config.wait_for_server)
    return TrackedRun(
        run_id=run_id,
        experiment_id=experiment_id,
        tracking_uri=uri,
        logger=_run_logger(config, redactor, warnings, uri, run_id, client),
        owned=owned,
        worker=False,
        declared=declared,
        spool_dir=spool_dir,
        redactor=redactor,
        warnings=warnings,
    )


def join_worker_run(
    state: Mapping[str, Any], config: MlflowConfig, redactor: Redactor
) -> TrackedRun:
    """The main process's run, in a worker process, from what ``export_worker_state`` gave."""
    uri = state["tracking_uri"]
    warnings = DeliveryWarnings(redactor, config.wait_for_server)
    return TrackedRun(
        run_id=state["run_id"],
        experiment_id=state["experiment_id"],
        tracking_uri=uri,
        logger=_run_logger(config, redactor, warnings, uri, state["run_id"]),
        owned=False,
        worker=True,
        declared={name: DatasetSpec.from_dict(spec) for name, spec in state["declared"].items()},
        spool_dir=Path(state["spool_dir"]),
        redactor=redactor,
        warnings=warnings,
    )


def _run_logger(
    config: MlflowConfig,
    redactor: Redactor,
    warnings: DeliveryWarnings,
    uri: str,
    run_id: str,
    client: Any = None,
) -> RunLogger:
    # Cached: the logger's uploads and a non-HTTP store share one client (a worker makes it
    # on first use).
    @functools.cache
    def client_factory() -> Any:
        return client if client is not None else make_client(uri)

    where = naming.truncate(redactor.text(uri), 300)
    return RunLogger(
        client_factory,
        make_store(uri, client_factory),
        run_id,
        asynchronous=config.async_logging,
        on_error=warnings.logging_failed,
        on_outage=lambda error: warnings.server_went_away(where, error),
        on_recovery=lambda sent, uploads: warnings.server_came_back(where, sent, uploads),
    )


def cannot_track(
    error: BaseException, uri: str, config: MlflowConfig, redactor: Redactor, where: str
) -> None:
    """The store at ``uri`` cannot be used at the start of a run: warn that the run goes on
    untracked, or (``on_unreachable: fail``) raise.

    Raises:
        TrackingUnavailable: Under ``on_unreachable: fail``, naming the store and the
            configuration file(s) ``where``.
    """
    why = redactor.text(first_line(error))
    store = naming.truncate(redactor.text(uri), 300)
    if config.on_unreachable == "fail":
        raise TrackingUnavailable(
            f"hookline-mlflow cannot track this run: the MLflow tracking store {store} "
            f"cannot be used ({why}). Start the tracking server or fix 'tracking_uri' (in "
            f"{where} or MLFLOW_TRACKING_URI), or set 'on_unreachable: continue' to "
            "run without tracking."
        ) from None
    logger.warning(
        "hookline-mlflow: the MLflow tracking store %s cannot be used (%s); this run goes "
        "on without tracking (on_unreachable: continue).",
        store,
        why,
    )


def end_run(run: TrackedRun, status: str, wait: float) -> None:
    """Send everything, then end the run with ``status`` (when this process owns it); keep
    what the store did not receive within ``wait`` seconds in the spool, and say exactly what
    and where."""
    try:
        left = run.logger.close(status if run.owned else None, wait)
        _flush_fluent_async_logging()
        if not left:
            delivery.send_worker_spools(run)
        delivery.report_undelivered(run, left, wait)
    except Exception as error:
        run.warnings.logging_failed(error)


def end_leftover_run(run: TrackedRun, wait: float) -> None:
    """End a run a previous pipeline run left open (its pipeline hooks never ran): ``KILLED``
    in the main process; a worker keeps what is left in its spool file."""
    if run.worker:
        with contextlib.suppress(Exception):
            delivery.spill_worker(run, run.logger.close(None, 0.0))
    else:
        end_run(run, "KILLED", wait)


def _flush_fluent_async_logging() -> None:
    """Flush what nodes or other hooks logged with MLflow's own async logging (``mlflow.log_*``
    with ``synchronous=False``). Only when a tracking URI is set: with none, MLflow would
    create its default store (``./mlflow.db``) just to find nothing to flush."""
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None and mlflow.is_tracking_uri_set():
        mlflow.flush_async_logging()


def _set_tags(client: Any, run_id: str, tags: Mapping[str, str]) -> None:
    from mlflow.entities import RunTag

    client.log_batch(run_id, tags=[RunTag(key, value) for key, value in tags.items()])


def _experiment_id(client: Any, name: str, uri: str, project_path: Path) -> str:
    """The id of experiment ``name``, created (or restored from deletion) if needed."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None:
        if getattr(found, "lifecycle_stage", "active") == "deleted":
            client.restore_experiment(found.experiment_id)
        return str(found.experiment_id)
    location = None
    if urllib.parse.urlsplit(uri).scheme in ("sqlite", ""):
        # A local store keeps its artifacts in the project too, wherever the run is started
        # from (MLflow's default is relative to the current folder).
        location = (project_path / "mlartifacts").resolve().as_uri()
    try:
        return str(client.create_experiment(name, artifact_location=location))
    except MlflowException as error:
        if getattr(error, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
            raise
        # Another process created it first.
        return str(client.get_experiment_by_name(name).experiment_id)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (a container with a bare uid)
        return "unknown"
