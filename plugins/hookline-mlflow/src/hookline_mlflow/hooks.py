"""The hook implementations of hookline-mlflow: one MLflow run per pipeline run, under every
runner.

What a run records (no node name appears in this code: datasets are declared in the catalog
or in ``mlflow.yml``):

- tags: every ``run_params`` entry as ``hookline.<key>`` (runtime ``--params`` flattened as
  ``hookline.extra_params.<key>``), ``hookline.version``, the git commit
  (``mlflow.source.git.commit`` and ``hookline.git.commit``) and ``hookline.git.dirty`` when
  the project is in a git repository, the ``tags`` of ``mlflow.yml``; where the run runs
  (``hookline.host``, ``hookline.pid``, ``hookline.process_started``, ``hookline.project``,
  see :mod:`hookline_mlflow.stale_runs`); on failure ``hookline.error`` (the error's type and
  message) and ``hookline.failed_node``;
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
:func:`hookline.secrets.is_secret_key`) is logged as ``***``, and every string of
``credentials.yml`` is replaced by ``***`` wherever it appears in a parameter or tag value, a
metric name or the error message.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hookline.plugin import (
    ConfigError,
    HooklineError,
    hook_impl,
    read_section,
    secret_strings,
    sort_secrets,
)
from hookline_mlflow import delivery, naming, recording, run_lifecycle
from hookline_mlflow.config import (
    CONFIG_KEY,
    CREDENTIAL_ENV_VARS,
    DEFAULT,
    MlflowConfig,
    parse_config,
    resolve_spool_dir,
    resolve_tracking_uri,
)
from hookline_mlflow.recording import PIPELINE_DURATION, Redactor
from hookline_mlflow.run_lifecycle import TrackedRun

if TYPE_CHECKING:
    from hookline.plugin import DataCatalog, HooklineContext, Measurement, Node, Pipeline

__all__ = ["MlflowHooks"]


class MlflowHooks:
    """Tracks every pipeline run in MLflow: one run per pipeline run, under every runner.

    Registered by the ``mlflow`` entry point of the ``hookline.hooks`` group, so installing the
    distribution is enough. It reads ``conf/<env>/mlflow.yml`` in ``after_context_created``
    (see :mod:`hookline_mlflow.config`) and uses :data:`hookline_mlflow.config.DEFAULT`
    without one.

    The run is started (or adopted: ``MLFLOW_RUN_ID``, or a run active in the process) in
    ``before_pipeline_run``, after ending KILLED the runs this host's dead processes left
    RUNNING, and ended ``FINISHED`` after the pipeline, ``FAILED`` on an error
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
        self._secrets: tuple[str, ...] = ()
        # Variables set here from credentials.yml, so worker processes can set them too.
        self._credential_env: dict[str, str] = {}
        self._run: TrackedRun | None = None

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
        self._secrets = tuple(sort_secrets(secrets))
        self._where = where

    def _redactor(self) -> Redactor:
        """What hides the secrets of the settings in use, for the next run."""
        return Redactor(self._secrets, self._config.secret_keys)

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
        config = self._config
        redactor = self._redactor()
        project_path = self._project_path or Path(run_params.get("project_path") or os.getcwd())
        project_name = self._project_name or project_path.name
        declared = recording.declarations(catalog, config)
        params: list[tuple[str, str]] = []
        param_tags: list[tuple[str, str]] = []
        if config.records("params"):
            params, param_tags = recording.pipeline_params(
                pipeline, catalog, config, redactor, self._where
            )
        tags = recording.run_tags(run_params, project_path, config, redactor) + param_tags
        uri = resolve_tracking_uri(config, project_path)
        spool_dir = resolve_spool_dir(config, project_path)
        try:
            run = run_lifecycle.start_run(
                config, redactor, uri, run_params, project_path, project_name, declared, spool_dir
            )
        except HooklineError:
            raise
        except Exception as error:
            run_lifecycle.cannot_track(error, uri, config, redactor, self._where)
            return
        # Set at once: if anything below raises, the error hooks (or the next run) end it.
        self._run = run
        run.catalog = catalog
        run.logger.params(params)
        run.logger.tags(tags)
        if config.records("pipeline"):
            recording.log_pipeline(run, pipeline)

    @hook_impl
    def after_pipeline_run(self) -> None:
        """Send what is pending, then end the run ``FINISHED``."""
        run = self._run
        if run is None or run.worker:
            return
        self._run = None
        if self._config.records("node_durations"):
            run.logger.metric(PIPELINE_DURATION, time.perf_counter() - run.started)
        run_lifecycle.end_run(run, "FINISHED", self._config.wait_for_server)

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
                    naming.truncate(run.redactor.text(message), naming.MAX_TAG_VALUE_LENGTH),
                ),
                ("hookline.status", status),
            ]
        )
        run_lifecycle.end_run(run, status, self._config.wait_for_server)

    # -- worker processes --------------------------------------------------------------------

    @hook_impl
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

    @hook_impl
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
        self._run = run_lifecycle.join_worker_run(state, self._config, self._redactor())

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
            run.logger.metric(recording.metric_key(run, ("node", node.name)), ended - started)
        if run.worker:
            run.catalog = catalog
        models = run.models_of.get(node.name)
        if models is None:
            models = tuple(
                n for n in node.outputs if recording.logs_as(run.declared.get(n), "model")
            )
            run.models_of[node.name] = models
        for name in models:
            if name in outputs:
                recording.log_model(run, node, name, outputs[name], inputs)
        if run.worker:
            if outputs:
                run.unsaved[node.name] = len(outputs)
            else:
                self._finish_worker_node(run)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        """Log a dataset declared as a metric or an artifact, now that it is saved."""
        run = self._run
        if run is None:
            return
        spec = run.declared.get(dataset_name)
        if spec is not None:
            if spec.log_as == "metric":
                recording.log_metric_dataset(run, dataset_name, spec, data)
            elif spec.log_as == "artifact":
                recording.log_artifact(run, dataset_name, spec)
        if run.worker:
            left = run.unsaved.get(node.name, 1) - 1
            if left > 0:
                run.unsaved[node.name] = left
            else:
                run.unsaved.pop(node.name, None)
                self._finish_worker_node(run)

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
            self._finish_worker_node(run)

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
        key = recording.metric_key(run, ("measurement", measurement.name, subject))
        run.logger.metric(key, value)

    # -- ending ------------------------------------------------------------------------------

    def _finish_worker_node(self, run: TrackedRun) -> None:
        delivery.finish_worker_node(run, self._config.wait_for_server)

    def _end_leftover_run(self) -> None:
        """End a run a previous pipeline run left open (its pipeline hooks never ran)."""
        run, self._run = self._run, None
        if run is not None:
            run_lifecycle.end_leftover_run(run, self._config.wait_for_server)


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
