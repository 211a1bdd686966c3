"""The hook implementations of hookline-mlflow: one MLflow run per pipeline run, under every
runner.

What a run records (no node name appears in this code: datasets are declared in the catalog
or in ``mlflow.yml``):

- tags: every ``run_params`` entry as ``hookline.<key>`` (runtime ``--params`` flattened as
  ``hookline.extra_params.<key>``), ``hookline.version``, the git commit
  (``mlflow.source.git.commit`` and ``hookline.git.commit``) and ``hookline.git.dirty`` when
  the project is in a git repository, the ``tags`` of ``mlflow.yml``; on failure
  ``hookline.error`` (the error's type and message) and ``hookline.failed_node``;
- params: every parameter the run's nodes use, flattened (``model_options.test_size``), sent
  in ``log_batch`` calls of at most 100;
- metrics: datasets declared ``log_as: metric`` (a number, a mapping of names to numbers, or
  ``{value, step}``), ``node_duration_s/<node>`` for each node, ``pipeline_duration_s``, and
  every measurement published through ``hookline.publish_measurement`` as
  ``<name>/<dataset or node>``;
- models: datasets declared ``log_as: model`` (see :mod:`hookline_mlflow.models`);
- artifacts: the files of datasets declared ``log_as: artifact``, after they are saved, under
  ``<artifact_path or dataset name>/``, and the pipeline's structure as
  ``hookline/pipeline.json``.

Secrets never reach MLflow: a parameter or tag whose key looks secret (see
:func:`hookline_mlflow.config.is_secret_key`) is logged as ``***``, and every string of
``credentials.yml`` is replaced by ``***`` wherever it appears in a parameter or tag value, a
metric name or the error message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import getpass
import json
import logging
import os
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from hookline.errors import ConfigError, HooklineError
from hookline.hooks import specs
from hookline.hooks.markers import hook_impl
from hookline.plugin_config import read_section
from hookline_mlflow import naming, spool
from hookline_mlflow.config import (
    CONFIG_KEY,
    CREDENTIAL_ENV_VARS,
    DEFAULT,
    DatasetSpec,
    MlflowConfig,
    is_secret_key,
    parse_config,
    parse_dataset_spec,
    render_run_name,
    resolve_experiment_name,
    resolve_spool_dir,
    resolve_tracking_uri,
    secret_strings,
)
from hookline_mlflow.store import REDACTED, is_http, make_store, probe, redact_userinfo
from hookline_mlflow.run_logger import (
    RunLogger,
    Undelivered,
    Upload,
    first_line,
    import_mlflow,
    make_client,
)

if TYPE_CHECKING:
    from hookline.catalog import DataCatalog
    from hookline.context import HooklineContext
    from hookline.measurements import Measurement
    from hookline.node import Node
    from hookline.pipeline import Pipeline

__all__ = ["MlflowHooks", "TrackingUnavailable"]

logger = logging.getLogger("hookline_mlflow")

#: Where the pipeline's structure goes in the run's artifacts.
PIPELINE_ARTIFACT = "hookline/pipeline.json"
#: The metric of each node's duration is ``NODE_DURATION_PREFIX/<node name>``.
NODE_DURATION_PREFIX = "node_duration_s"
#: The metric of the whole pipeline's duration.
PIPELINE_DURATION = "pipeline_duration_s"
#: Seconds the start-up check waits for an HTTP tracking server to answer (longer than the
#: mid-run checks of :data:`hookline_mlflow.store.PROBE_TIMEOUT`: nothing runs yet).
START_PROBE_TIMEOUT = 10.0

_F = TypeVar("_F", bound=Callable[..., Any])


def _hook_impl_if_specified(function: _F) -> _F:
    """Mark ``function`` as a hook implementation if the installed hookline has its spec (the
    worker-state hooks came with ParallelRunner and DaskRunner; an unknown hook name would
    fail every run at start-up)."""
    if hasattr(specs, function.__name__):
        marked: _F = hook_impl(function)
        return marked
    return function


class TrackingUnavailable(HooklineError):
    """The tracking store cannot be used at the start of a run, under ``on_unreachable: fail``:
    raised before the first node, so the run fails without running anything."""


@dataclass
class _Run:
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


class MlflowHooks:
    """Tracks every pipeline run in MLflow: one run per pipeline run, under every runner.

    Registered by the ``mlflow`` entry point of the ``hookline.hooks`` group, so installing the
    distribution is enough. It reads ``conf/<env>/mlflow.yml`` in ``after_context_created``
    (see :mod:`hookline_mlflow.config`) and uses :data:`hookline_mlflow.config.DEFAULT`
    without one.

    The run is started (or adopted: ``MLFLOW_RUN_ID``, or a run active in the process) in
    ``before_pipeline_run`` and ended ``FINISHED`` after the pipeline, ``FAILED`` on an error
    (with the message as the ``hookline.error`` tag) and ``KILLED`` on Ctrl-C, after every
    pending log call was sent. Worker processes (ParallelRunner, DaskRunner) receive the run's
    id through ``export_worker_state`` and log into it; they never start a run.

    A store that cannot be reached at the start fails the run before the first node
    (``on_unreachable: fail``) or lets it run untracked with one warning (``continue``);
    anything that goes wrong after that is one warning, never a failed run, and the run still
    gets its end status (or it is kept in the spool with what was not delivered).
    """

    def __init__(self) -> None:
        self._setup(DEFAULT)

    def _setup(self, config: MlflowConfig) -> None:
        self._config = config
        self._where = "mlflow.yml"
        self._project_path: Path | None = None
        self._project_name = ""
        self._secrets: list[str] = []
        # Variables set here from credentials.yml, so worker processes can set them too.
        self._credential_env: dict[str, str] = {}
        self._run: _Run | None = None
        self._warned = False
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # A copy sent to a worker process takes the settings only; the run comes through
        # restore_worker_state, and threads and clients stay in their process.
        return {"config": self._config.to_dict()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._setup(MlflowConfig.from_dict(state["config"]))

    # -- configuration -----------------------------------------------------------------------

    @property
    def config(self) -> MlflowConfig:
        """The settings in use."""
        return self._config

    @property
    def run_id(self) -> str | None:
        """The MLflow run of the pipeline run in progress in this process, if any."""
        run = self._run
        return run.run_id if run is not None else None

    def configure(
        self,
        config: MlflowConfig,
        *,
        project_path: Path | None = None,
        project_name: str = "",
        secrets: Iterable[str] = (),
        where: str = "mlflow.yml",
    ) -> None:
        """Use ``config`` from the next run on (what ``after_context_created`` does with
        ``mlflow.yml``; for tests and for runners used without a session).

        Args:
            config: The settings.
            project_path: Where relative store paths and git are looked up (default: the
                ``project_path`` of ``run_params``, else the current folder).
            project_name: The default experiment name (default: the project folder's name).
            secrets: Strings that must never reach MLflow (credential values).
            where: The configuration file(s), named in messages.
        """
        self._config = config
        self._project_path = project_path
        self._project_name = project_name
        self._secrets = sorted(set(secrets), key=len, reverse=True)
        self._where = where

    @hook_impl
    def after_context_created(self, context: HooklineContext) -> None:
        """Read and validate ``mlflow.yml``; take the tracking credentials named by
        ``credentials:`` from ``credentials.yml`` (the environment wins over it).

        Raises:
            ConfigError: Naming the file, for an unknown key or a bad value.
        """
        loader = context.config_loader
        section = read_section(loader, CONFIG_KEY)
        config, where = (
            (DEFAULT, f"{CONFIG_KEY}.yml")
            if section is None
            else (parse_config(*section), section[1])
        )
        credentials = loader["credentials"]
        self.configure(
            config,
            project_path=Path(context.project_path),
            project_name=str(context.project_name or ""),
            secrets=secret_strings(credentials),
            where=where,
        )
        self._credential_env = {}
        if config.credentials is not None:
            self._credential_env = _tracking_credentials(credentials, config.credentials, where)
            for variable, value in self._credential_env.items():
                os.environ.setdefault(variable, value)

    # -- the run -----------------------------------------------------------------------------

    @hook_impl
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Start (or adopt) the run and log its tags, params and pipeline structure.

        Raises:
            ConfigError: For a bad dataset declaration, or a parameter over MLflow's limit
                under ``long_params: fail``.
            TrackingUnavailable: Under ``on_unreachable: fail``, when the store cannot be used.
        """
        self._end_leftover_run()
        self._warned = False
        config = self._config
        project_path = self._project_path or Path(run_params.get("project_path") or os.getcwd())
        project_name = self._project_name or project_path.name
        declared = self._declarations(catalog)
        params: list[tuple[str, str]] = []
        param_tags: list[tuple[str, str]] = []
        if config.records("params"):
            params, param_tags = self._params(pipeline, catalog)
        tags = self._tags(run_params, project_path) + param_tags
        uri = resolve_tracking_uri(config, project_path)
        spool_dir = resolve_spool_dir(config, project_path)
        try:
            run = self._start_run(uri, run_params, project_path, project_name, declared, spool_dir)
        except HooklineError:
            raise
        except Exception as error:
            self._cannot_track(error, uri)
            return
        # Set at once: if anything below raises, the error hooks (or the next run) end it.
        self._run = run
        run.catalog = catalog
        run.logger.params(params)
        run.logger.tags(tags)
        if config.records("pipeline"):
            text = json.dumps(pipeline.to_dict(), indent=2)
            run_id = run.run_id
            run.logger.upload(
                Upload(
                    f"artifact {PIPELINE_ARTIFACT}",
                    lambda client: client.log_text(run_id, text, PIPELINE_ARTIFACT),
                    {"kind": "text", "artifact_file": PIPELINE_ARTIFACT, "text": text},
                )
            )

    @hook_impl
    def after_pipeline_run(self) -> None:
        """Send what is pending, then end the run ``FINISHED``."""
        run = self._run
        if run is None or run.worker:
            return
        self._run = None
        if self._config.records("node_durations"):
            run.logger.metric(PIPELINE_DURATION, time.perf_counter() - run.started)
        self._end(run, "FINISHED")

    @hook_impl
    def on_pipeline_error(self, error: BaseException) -> None:
        """Tag the error, send what is pending, and end the run ``FAILED`` (``KILLED`` on
        Ctrl-C)."""
        run = self._run
        if run is None or run.worker:
            return
        self._run = None
        status = "KILLED" if isinstance(error, KeyboardInterrupt) else "FAILED"
        message = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
        run.logger.tags(
            [
                (
                    "hookline.error",
                    naming.truncate(self._redact(message), naming.MAX_TAG_VALUE_LENGTH),
                ),
                ("hookline.status", status),
            ]
        )
        self._end(run, status)

    # -- worker processes --------------------------------------------------------------------

    @_hook_impl_if_specified
    def export_worker_state(self) -> dict[str, Any] | None:
        """What this plugin's copies in worker processes need: the run, the store, the settings
        and the dataset declarations (``None`` when the run is not tracked)."""
        run = self._run
        if run is None:
            return None
        return {
            "run_id": run.run_id,
            "experiment_id": run.experiment_id,
            "tracking_uri": run.tracking_uri,
            "config": self._config.to_dict(),
            "declared": {name: spec.to_dict() for name, spec in run.declared.items()},
            "spool_dir": str(run.spool_dir),
            "credential_env": dict(self._credential_env),
        }

    @_hook_impl_if_specified
    def restore_worker_state(self, state: Mapping[str, Any] | None) -> None:
        """In a worker process, before its first node: log into the main process's run (never
        start one). ``None``: the run is not tracked."""
        current = self._run
        if (
            current is not None
            and state is not None
            and current.pid == os.getpid()
            and current.run_id == state["run_id"]
            and not current.worker
        ):
            return  # a cluster running in the main process: this is the main copy already
        self._end_leftover_run()
        if state is None:
            return
        for variable, value in state.get("credential_env", {}).items():
            os.environ.setdefault(variable, value)
        self._config = MlflowConfig.from_dict(state["config"])
        self._warned = False
        uri = state["tracking_uri"]
        self._run = _Run(
            run_id=state["run_id"],
            experiment_id=state["experiment_id"],
            tracking_uri=uri,
            logger=self._logger(uri, state["run_id"]),
            owned=False,
            worker=True,
            declared={
                name: DatasetSpec.from_dict(spec) for name, spec in state["declared"].items()
            },
            spool_dir=Path(state["spool_dir"]),
        )

    # -- nodes and datasets ------------------------------------------------------------------

    # The duration is the node's function alone: start last and stop first, so that other
    # plugins' hooks are not counted.
    @hook_impl(trylast=True)
    def before_node_run(self, node: Node) -> None:
        """Start timing the node."""
        run = self._run
        if run is not None:
            run.starts[node.name] = time.perf_counter()

    @hook_impl(tryfirst=True)
    def after_node_run(
        self, node: Node, catalog: DataCatalog, inputs: dict[str, Any], outputs: dict[str, Any]
    ) -> None:
        """Record the node's duration and log its outputs declared as models."""
        run = self._run
        if run is None:
            return
        ended = time.perf_counter()
        started = run.starts.pop(node.name, None)
        if started is not None and self._config.records("node_durations"):
            run.logger.metric(self._metric_key(run, ("node", node.name)), ended - started)
        if run.worker:
            run.catalog = catalog
        models = run.models_of.get(node.name)
        if models is None:
            models = tuple(n for n in node.outputs if _logs_as(run.declared.get(n), "model"))
            run.models_of[node.name] = models
        for name in models:
            if name in outputs:
                self._log_model(run, node, name, outputs[name], inputs)
        if run.worker:
            if outputs:
                run.unsaved[node.name] = len(outputs)
            else:
                self._node_finished(run)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        """Log a dataset declared as a metric or an artifact, now that it is saved."""
        run = self._run
        if run is None:
            return
        spec = run.declared.get(dataset_name)
        if spec is not None:
            if spec.log_as == "metric":
                self._log_metric_dataset(run, dataset_name, spec, data)
            elif spec.log_as == "artifact":
                self._log_artifact(run, dataset_name, spec)
        if run.worker:
            left = run.unsaved.get(node.name, 1) - 1
            if left > 0:
                run.unsaved[node.name] = left
            else:
                run.unsaved.pop(node.name, None)
                self._node_finished(run)

    @hook_impl
    def on_node_error(self, node: Node) -> None:
        """Tag the failed node; in a worker, send what the node recorded."""
        run = self._run
        if run is None:
            return
        run.starts.pop(node.name, None)
        run.logger.tags(
            [("hookline.failed_node", naming.truncate(node.name, naming.MAX_TAG_VALUE_LENGTH))]
        )
        if run.worker:
            run.unsaved.pop(node.name, None)
            self._node_finished(run)

    @hook_impl
    def on_measurement(self, measurement: Measurement) -> None:
        """Log a measurement (another plugin's figure) as ``<name>/<dataset or node>``."""
        run = self._run
        if run is None or not self._config.records("measurements"):
            return
        value = naming.metric_value(measurement.value)
        if value is None:
            return
        subject = measurement.subject()
        key = self._metric_key(run, ("measurement", measurement.name, subject))
        run.logger.metric(key, value)

    # -- internals: starting and ending ------------------------------------------------------

    def _logger(self, uri: str, run_id: str, client: Any = None) -> RunLogger:
        # Cached: the logger's uploads and a non-HTTP store share one client (a worker makes
        # it on first use).
        @functools.cache
        def client_factory() -> Any:
            return client if client is not None else make_client(uri)

        where = naming.truncate(self._redact(uri), 300)
        return RunLogger(
            client_factory,
            make_store(uri, client_factory),
            run_id,
            asynchronous=self._config.async_logging,
            on_error=self._monitoring_failed,
            on_outage=lambda error: self._store_away(where, error),
            on_recovery=lambda sent, uploads: self._store_back(where, sent, uploads),
        )

    def _start_run(
        self,
        uri: str,
        run_params: Mapping[str, Any],
        project_path: Path,
        project_name: str,
        declared: dict[str, DatasetSpec],
        spool_dir: Path,
    ) -> _Run:
        config = self._config
        mlflow = import_mlflow()
        probe(uri, START_PROBE_TIMEOUT)
        client = mlflow.MlflowClient(tracking_uri=uri)
        run_name = self._redact(render_run_name(config.run_name, run_params, project_name))
        start_tags = {"mlflow.user": _user(), "mlflow.source.name": project_name}
        owned = True
        adopted_id = os.environ.get("MLFLOW_RUN_ID", "").strip()
        active = mlflow.active_run()
        if adopted_id:
            existing = client.get_run(adopted_id)
            run_id, experiment_id = adopted_id, existing.info.experiment_id
            if existing.info.status != "RUNNING":
                client.update_run(run_id, status="RUNNING")
        elif active is not None and not config.nested:
            # The run belongs to whoever started it: log into it, leave ending it to them.
            run_id, experiment_id, owned = active.info.run_id, active.info.experiment_id, False
        else:
            if active is not None:
                experiment_id = active.info.experiment_id
                start_tags["mlflow.parentRunId"] = active.info.run_id
            else:
                experiment_id = _experiment(
                    client, resolve_experiment_name(config, project_name), uri, project_path
                )
            created = client.create_run(experiment_id, run_name=run_name, tags=start_tags)
            run_id = created.info.run_id
        run_logger = self._logger(uri, run_id, client)
        return _Run(run_id, experiment_id, uri, run_logger, owned, False, declared, spool_dir)

    def _end(self, run: _Run, status: str) -> None:
        """Send everything, then end the run with ``status`` (when this process owns it);
        keep what the store did not receive in the spool, and say exactly what and where."""
        try:
            wait = self._config.wait_for_server
            left = run.logger.close(status if run.owned else None, wait)
            _flush_fluent_async_logging()
            if not left:
                self._send_worker_spools(run)
            self._report_undelivered(run, left, wait)
        except Exception as error:
            self._monitoring_failed(error)

    def _end_leftover_run(self) -> None:
        """End a run a previous pipeline run left open (its pipeline hooks never ran)."""
        run, self._run = self._run, None
        if run is not None:
            if run.worker:
                with contextlib.suppress(Exception):
                    self._spill_worker(run, run.logger.close(None, 0.0))
            else:
                self._end(run, "KILLED")

    def _send_worker_spools(self, run: _Run) -> None:
        """Send what worker processes kept during an outage, now that the store answers."""
        for path in spool.files_of(run.spool_dir, run.run_id):
            try:
                spooled = spool.read(path)
                if spooled.status is None:
                    spool.replay(spooled, run.logger.client)
            except Exception as error:
                self._monitoring_failed(error)
                return

    def _report_undelivered(self, run: _Run, left: Undelivered, wait: float) -> None:
        """Keep ``left`` in the run's spool file, and warn naming everything not delivered."""
        if left:
            self._keep_in_spool(run, left, spool.spool_file(run.spool_dir, run.run_id))
        files = spool.files_of(run.spool_dir, run.run_id)
        if not files:
            return
        where = naming.truncate(self._redact(run.tracking_uri), 300)
        logger.warning(
            "hookline-mlflow: the MLflow tracking store %s %s by the end of the run (%s). "
            "Not delivered to MLflow run %s: %s. Kept in %s. Send it once the server is "
            "back: hookline mlflow replay %s",
            where,
            f"did not answer within {wait:g} s" if left else "answered, but not everything",
            self._redact(left.reason) or "see the earlier warning",
            run.run_id,
            describe_undelivered(left, run.owned) if left else "what worker processes kept",
            ", ".join(str(p) for p in files),
            " ".join(str(p) for p in files),
        )

    def _spill_worker(self, run: _Run, left: Undelivered) -> None:
        """In a worker: keep what the store did not receive in the worker process's own spool
        file (the worker may be stopped before the store is back); one file per process,
        added to after every node, whatever the number of nodes."""
        if not left:
            return
        path = spool.spool_file(run.spool_dir, run.run_id, str(os.getpid()))
        self._keep_in_spool(run, left, path)
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

    def _store_away(self, where: str, error: BaseException) -> None:
        logger.warning(
            "hookline-mlflow: the MLflow tracking store %s stopped answering (%s). The run goes "
            "on; what it records is kept and sent when the store is back (checked every "
            "second; the end of the run waits for it %g s at most).",
            where,
            naming.truncate(self._redact(first_line(error)), 500),
            self._config.wait_for_server,
        )

    def _store_back(self, where: str, sent: int, uploads: int) -> None:
        logger.warning(
            "hookline-mlflow: the MLflow tracking store %s answers again; sent the %d "
            "metric value(s), param(s) and tag(s) and %d upload(s) held during the outage.",
            where,
            sent,
            uploads,
        )

    def _cannot_track(self, error: BaseException, uri: str) -> None:
        why = self._redact(first_line(error))
        where = naming.truncate(self._redact(uri), 300)
        if self._config.on_unreachable == "fail":
            raise TrackingUnavailable(
                f"hookline-mlflow cannot track this run: the MLflow tracking store {where} "
                f"cannot be used ({why}). Start the tracking server or fix 'tracking_uri' (in "
                f"{self._where} or MLFLOW_TRACKING_URI), or set 'on_unreachable: continue' to "
                "run without tracking."
            ) from None
        logger.warning(
            "hookline-mlflow: the MLflow tracking store %s cannot be used (%s); this run goes "
            "on without tracking (on_unreachable: continue).",
            where,
            why,
        )

    def _monitoring_failed(self, error: BaseException) -> None:
        """Warn once per run; the run goes on."""
        with self._lock:
            warn, self._warned = not self._warned, True
        if warn:
            logger.warning(
                "hookline-mlflow: logging to MLflow failed; the run goes on. %s",
                naming.truncate(self._redact(first_line(error)), 500),
            )

    # -- internals: what is logged -----------------------------------------------------------

    def _declarations(self, catalog: DataCatalog) -> dict[str, DatasetSpec]:
        """Datasets declared in catalog metadata, overridden by ``mlflow.yml``'s."""
        declared: dict[str, DatasetSpec] = {}
        for name in catalog.list():
            metadata = getattr(catalog.get_dataset(name), "metadata", None)
            if isinstance(metadata, Mapping) and "mlflow" in metadata:
                where = f"catalog entry '{name}' (metadata.mlflow)"
                declared[name] = parse_dataset_spec(metadata["mlflow"], where)
        declared.update(self._config.datasets)
        return declared

    def _params(
        self, pipeline: Pipeline, catalog: DataCatalog
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The parameters the nodes use, as MLflow params (and, under ``long_params: tag``,
        tags for the long ones).

        Raises:
            ConfigError: Under ``long_params: fail``, naming every parameter over the limit.
        """
        used = sorted(
            {
                name
                for node in pipeline.nodes
                for name in node.inputs
                if name == "parameters" or name.startswith("params:")
            }
        )
        values: dict[str, Any] = {}
        for name in used:
            if name not in catalog:
                continue
            value = catalog.load(name)
            prefix = "" if name == "parameters" else name[len("params:") :]
            if isinstance(value, Mapping) and value:
                values.update(naming.flatten(value, prefix))
            elif prefix:
                values[prefix] = value
        params: list[tuple[str, str]] = []
        tags: list[tuple[str, str]] = []
        too_long: list[str] = []
        for key, value in values.items():
            text = self._value_text(key, value)
            mlflow_key = naming.sanitize_key(self._redact(key))
            if len(text) <= naming.MAX_PARAM_VALUE_LENGTH:
                params.append((mlflow_key, text))
            elif self._config.long_params == "truncate":
                params.append((mlflow_key, naming.truncate(text, naming.MAX_PARAM_VALUE_LENGTH)))
            elif self._config.long_params == "tag":
                tag_key = naming.sanitize_key(f"param.{mlflow_key}")
                tags.append((tag_key, naming.truncate(text, naming.MAX_TAG_VALUE_LENGTH)))
            else:
                too_long.append(f"'{key}' ({len(text)} characters)")
        if too_long:
            raise ConfigError(
                f"hookline-mlflow: parameter(s) {', '.join(too_long)} over MLflow's limit of "
                f"{naming.MAX_PARAM_VALUE_LENGTH} characters for a parameter value, and "
                f"'long_params: fail' is set (in {self._where}). Shorten them, or set "
                "long_params to truncate or tag."
            )
        return params, tags

    def _tags(self, run_params: Mapping[str, Any], project_path: Path) -> list[tuple[str, str]]:
        config = self._config
        tags: dict[str, str] = {}
        if config.records("run_params"):
            for key, value in run_params.items():
                if key == "extra_params" and isinstance(value, Mapping):
                    for sub, item in naming.flatten(value, "extra_params"):
                        tags[f"hookline.{sub}"] = self._value_text(sub, item)
                elif key == "hookline_version":
                    tags["hookline.version"] = str(value)
                elif value is not None and value != [] and value != {}:
                    tags[f"hookline.{key}"] = self._value_text(key, value)
        if "hookline.version" not in tags:
            from hookline import __version__

            tags["hookline.version"] = __version__
        if config.records("git"):
            git = _git(project_path)
            if git is not None:
                commit, dirty = git
                tags["mlflow.source.git.commit"] = commit
                tags["hookline.git.commit"] = commit
                tags["hookline.git.dirty"] = "true" if dirty else "false"
        for key, value in config.tags.items():
            tags[key] = self._value_text(key, value)
        return [
            (
                naming.sanitize_key(self._redact(key)),
                naming.truncate(value, naming.MAX_TAG_VALUE_LENGTH),
            )
            for key, value in tags.items()
        ]

    def _value_text(self, key: str, value: Any) -> str:
        """A parameter or tag value as text, with secrets hidden."""
        if is_secret_key(key, self._config.secret_keys):
            return REDACTED
        return self._redact(naming.to_text(value))

    def _redact(self, text: str) -> str:
        """``text`` with every credential string, and the user:password of every URL, hidden."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return redact_userinfo(text)

    def _keep_in_spool(self, run: _Run, left: Undelivered, path: Path) -> None:
        """Add what the store did not receive of ``run`` to the spool file ``path`` (the URI
        without its user:password, which replay takes from the environment as MLflow does)."""
        spool.write(
            path,
            run_id=run.run_id,
            experiment_id=run.experiment_id,
            tracking_uri=run.tracking_uri,
            undelivered=dataclasses.replace(left, reason=self._redact(left.reason)),
        )

    def _metric_key(self, run: _Run, what: tuple[str, ...]) -> str:
        key = run.metric_keys.get(what)
        if key is None:
            if what[0] == "node":
                raw = f"{NODE_DURATION_PREFIX}/{what[1]}"
            else:
                name, subject = what[1], what[2]
                raw = name if subject == "run" else f"{name}/{subject}"
            key = run.metric_keys[what] = naming.sanitize_key(self._redact(raw))
        return key

    def _log_metric_dataset(self, run: _Run, name: str, spec: DatasetSpec, data: Any) -> None:
        try:
            rows = metric_rows(name, spec.options, data)
        except ValueError as error:
            self._monitoring_failed(ValueError(f"dataset '{name}' ({spec.where}): {error}"))
            return
        run.logger.metrics(
            (naming.sanitize_key(self._redact(key)), value, step) for key, value, step in rows
        )

    def _log_artifact(self, run: _Run, name: str, spec: DatasetSpec) -> None:
        catalog = run.catalog
        if catalog is None or name not in catalog:
            return
        dataset = catalog.get_dataset(name)
        try:
            resolve = getattr(dataset, "resolve_load_path", None)
            path = resolve() if callable(resolve) else dataset.filepath
        except Exception as error:
            self._monitoring_failed(error)
            return
        if path is None:
            self._monitoring_failed(
                ValueError(f"dataset '{name}' is declared an artifact but has no file")
            )
            return
        text = str(path)
        if text.startswith("file://"):
            text = text[len("file://") :]
        if "://" in text:
            self._monitoring_failed(
                ValueError(
                    f"dataset '{name}' is declared an artifact but lives at "
                    f"{self._redact(text)}; only local files are uploaded"
                )
            )
            return
        local = Path(text)
        folder = spec.options.get("artifact_path") or naming.sanitize_key(name)
        run_id = run.run_id

        def upload(client: Any) -> None:
            if local.is_dir():
                client.log_artifacts(run_id, str(local), folder)
            else:
                client.log_artifact(run_id, str(local), folder)

        record = {"kind": "artifact", "local_path": str(local.resolve()), "artifact_path": folder}
        run.logger.upload(Upload(f"artifact {local}", upload, record))

    def _log_model(
        self, run: _Run, node: Node, name: str, model: Any, inputs: Mapping[str, Any]
    ) -> None:
        from hookline_mlflow.models import log_model, pick_example

        spec = run.declared[name]
        try:
            example_name, example = pick_example(spec.options, node.inputs, inputs)
            copy = getattr(example, "copy", None)
            if callable(copy):
                # The upload runs later, on another thread: keep the rows as they are now.
                example = copy()
        except Exception as error:
            logger.debug("hookline-mlflow: no input example for %s: %s", name, error)
            example_name, example = None, None
        tags = {"hookline.dataset": name, "hookline.node": node.name}
        if example_name is not None:
            tags["hookline.input_example"] = example_name
        model_name = naming.sanitize_key(str(spec.options.get("name") or name))

        def upload(client: Any) -> None:
            log_model(
                client,
                run_id=run.run_id,
                experiment_id=run.experiment_id,
                model=model,
                name=model_name,
                options=spec.options,
                example=example,
                tags=tags,
                server=is_http(run.tracking_uri),
            )

        run.logger.upload(Upload(f"model {model_name}", upload))

    def _node_finished(self, run: _Run) -> None:
        """In a worker: send what the node recorded before its result goes back (a worker may
        be stopped as soon as the run ends); during an outage, keep it in a spool file."""
        run.logger.flush(wait=self._config.wait_for_server)
        if run.logger.outage_since is not None:
            self._spill_worker(run, run.logger.take_undelivered())


def metric_rows(name: str, options: Mapping[str, Any], data: Any) -> list[tuple[str, float, int]]:
    """The ``(key, value, step)`` metric values of a dataset declared ``log_as: metric``.

    ``data`` is a number (metric ``key``, default the dataset's name), a mapping of names to
    numbers (metrics ``<key>.<name>``, or ``<name>`` without ``key``; nested mappings give
    dotted names), ``{"value": x, "step": n}``, or a list of numbers (one value per step).

    Raises:
        ValueError: If ``data`` is none of these.
    """
    prefix = options.get("key")
    step = int(options.get("step", 0))
    rows: list[tuple[str, float, int]] = []

    def walk(key: str, value: Any) -> None:
        number = naming.metric_value(value)
        if number is not None:
            rows.append((key, number, step))
        elif isinstance(value, Mapping) and "value" in value and set(value) <= {"value", "step"}:
            number = naming.metric_value(value["value"])
            item_step = value.get("step", step)
            if number is None or isinstance(item_step, bool) or not isinstance(item_step, int):
                raise ValueError(f"'{key}' must hold a number as value and a whole number as step")
            rows.append((key, number, item_step))
        elif isinstance(value, Mapping):
            for sub, item in value.items():
                walk(f"{key}.{sub}" if key else str(sub), item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                number = naming.metric_value(item)
                if number is None:
                    raise ValueError(f"'{key}' holds a list with a value that is not a number")
                rows.append((key, number, step + index))
        else:
            raise ValueError(
                f"a metric dataset holds a number, a mapping of names to numbers, or a list "
                f"of numbers, not a {type(value).__name__}"
            )

    if isinstance(data, Mapping) and not ("value" in data and set(data) <= {"value", "step"}):
        if not data:
            raise ValueError("the mapping is empty")
        for sub, item in data.items():
            walk(f"{prefix}.{sub}" if prefix else str(sub), item)
    else:
        walk(prefix or name, data)
    return rows


#: How many names a message lists before it says "and N more".
LISTED_NAMES = 20


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


def _flush_fluent_async_logging() -> None:
    """Flush what nodes or other hooks logged with MLflow's own async logging (``mlflow.log_*``
    with ``synchronous=False``). Only when a tracking URI is set: with none, MLflow would
    create its default store (``./mlflow.db``) just to find nothing to flush."""
    mlflow = sys.modules.get("mlflow")
    if mlflow is not None and mlflow.is_tracking_uri_set():
        mlflow.flush_async_logging()


def _logs_as(spec: DatasetSpec | None, kind: str) -> bool:
    return spec is not None and spec.log_as == kind


def _tracking_credentials(credentials: Mapping[str, Any], entry: str, where: str) -> dict[str, str]:
    """The environment variables MLflow reads its credentials from, from ``credentials.yml``."""
    found = credentials.get(entry)
    if not isinstance(found, Mapping):
        known = ", ".join(sorted(map(str, credentials))) or "none"
        raise ConfigError(
            f"{where}: 'credentials: {entry}' names no mapping in credentials.yml (entries: "
            f"{known}). It must hold username and password, or token."
        )
    unknown = [str(key) for key in found if key not in CREDENTIAL_ENV_VARS]
    if unknown:
        # Names only: a value here is a secret.
        raise ConfigError(
            f"credentials.yml: entry '{entry}' (named in {where}) has the unknown key "
            f"'{unknown[0]}'. Allowed keys: {', '.join(CREDENTIAL_ENV_VARS)}."
        )
    return {
        CREDENTIAL_ENV_VARS[key]: str(value) for key, value in found.items() if value is not None
    }


def _experiment(client: Any, name: str, uri: str, project_path: Path) -> str:
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


def _git(path: Path) -> tuple[str, bool] | None:
    """The commit and whether tracked files changed, or ``None`` outside a git repository."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if head.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip(), bool(status.stdout.strip())


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (a container with a bare uid)
        return "unknown"
