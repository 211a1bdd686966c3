"""One run of a project: builds the context, fires the pipeline hooks, and hands the pipeline
to a runner.

The session is the only caller of ``after_context_created``, ``after_catalog_created`` and the
pipeline hooks, always in the main process.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypedDict

from hookline.catalog import DataCatalog
from hookline.config import ConfigLoader
from hookline.context import HooklineContext
from hookline.errors import HooklineError, ProjectError, Terminated, did_you_mean
from hookline.history.guard import RegressionReport
from hookline.history.recorder import RunRecorder
from hookline.hooks.manager import HookManager, create_hook_manager
from hookline.hooks.markers import hook_impl
from hookline.measurements import Measurement, publishing_to
from hookline.pipeline import Pipeline
from hookline.project import (
    DEFAULT_PIPELINE,
    ProjectMetadata,
    find_project,
    load_pipelines,
    load_settings,
)
from hookline.run_params import make_run_params
from hookline.runner import AbstractRunner, NodeRecord, ProgressReporter, SequentialRunner
from hookline.secrets import redact_error, secret_strings
from hookline.stop_signals import grace_seconds, stop_on_signals


@dataclass
class RunResult:
    """What a finished run produced and how it went.

    Attributes:
        session_id: The id of the run.
        outputs: Free outputs of the pipeline that live only in memory.
        records: One record per node that ran.
        measurements: Every measurement published during the run.
        regressions: What the regression guard found (``None`` without a run history).
    """

    session_id: str
    outputs: dict[str, Any] = field(default_factory=dict)
    records: list[NodeRecord] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    regressions: RegressionReport | None = None


class RunFailed(Exception):
    """A pipeline run failed after it started; ``on_pipeline_error`` hooks have run.

    Attributes:
        error: The exception that ended the run.
        result: Records and measurements of what happened before the failure.
        resume_from: Node names to pass to ``--from-nodes`` to finish the run.
        failed_in: The hook implementation the error was raised in, if any.
    """

    def __init__(
        self,
        error: Exception,
        result: RunResult,
        resume_from: list[str],
        failed_in: str | None,
    ) -> None:
        where = f" in {failed_in}" if failed_in else ""
        super().__init__(f"Pipeline run failed{where}: {type(error).__name__}: {error}")
        self.error = error
        self.result = result
        self.resume_from = resume_from
        self.failed_in = failed_in


class _NodeFilters(TypedDict):
    """A run's node filters, by the names ``Pipeline.filter`` and ``run_params`` both use (not
    the namespaces: ``node_namespaces`` in one, ``namespaces`` in the other)."""

    tags: list[str]
    node_names: list[str]
    from_nodes: list[str]
    to_nodes: list[str]
    from_inputs: list[str]
    to_outputs: list[str]


class _MeasurementCollector:
    """Hands every measurement published in this process to the run's reporter."""

    def __init__(self, reporter: ProgressReporter) -> None:
        self._reporter = reporter

    @hook_impl
    def on_measurement(self, measurement: Measurement) -> None:
        """Keep ``measurement`` for the summary."""
        self._reporter.add_measurements((measurement,))


class _Stage:
    """Where a run is, for the line a forced exit prints (see :mod:`hookline.stop_signals`)."""

    def __init__(self, pipeline: Pipeline, reporter: ProgressReporter) -> None:
        self._pipeline = pipeline
        self._reporter = reporter
        self._doing = "the start of the run"

    def now(self, doing: str) -> None:
        """Record that the run is now doing ``doing`` (e.g. "the on_pipeline_error hooks")."""
        self._doing = doing

    def unfinished(self) -> str:
        """What the run was doing, and the nodes that have not ended."""
        ended = {record.name for record in self._reporter.records}
        left = [node.name for node in self._pipeline.nodes if node.name not in ended]
        shown = ", ".join(left[:_NODES_SHOWN])
        more = f" and {len(left) - _NODES_SHOWN} more" if len(left) > _NODES_SHOWN else ""
        nodes = f"nodes not ended: {shown}{more}" if left else "every node ended"
        return f"{self._doing} ({nodes})"


#: The most node names a forced exit's line lists.
_NODES_SHOWN = 10


def new_session_id() -> str:
    """Return a session id in Kedro's format, a UTC timestamp: ``2026-11-22T10.20.30.123Z``."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H.%M.%S.") + f"{now.microsecond // 1000:03d}Z"


class HooklineSession:
    """Runs pipelines of one project with one configuration environment.

    Example::

        session = HooklineSession.create("path/to/project", env="local")
        result = session.run(pipeline_name="data_science")
    """

    def __init__(
        self,
        metadata: ProjectMetadata,
        env: str | None = None,
        extra_params: dict[str, Any] | None = None,
        session_id: str | None = None,
    ) -> None:
        self.metadata = metadata
        self.env = env
        self.extra_params = dict(extra_params or {})
        self.session_id = session_id or new_session_id()
        self._context: HooklineContext | None = None

    @classmethod
    def create(
        cls,
        project_path: Path | str | None = None,
        env: str | None = None,
        extra_params: dict[str, Any] | None = None,
    ) -> HooklineSession:
        """Create a session for the project at ``project_path`` (default: the current one)."""
        return cls(find_project(project_path), env=env, extra_params=extra_params)

    def load_context(self) -> HooklineContext:
        """Build the context (settings, hooks, config) once and fire ``after_context_created``."""
        if self._context is None:
            settings = load_settings(self.metadata)
            hook_manager = create_hook_manager(
                settings.hooks,
                disabled_plugins=settings.disable_hooks_for_plugins,
                # Worker processes import the settings module to get their own HOOKS.
                settings_module=f"{self.metadata.package_name}.settings",
                sys_path=[str(self.metadata.source_dir)],
            )
            config_loader = ConfigLoader(
                self.metadata.project_path / settings.conf_source,
                env=self.env,
                runtime_params=self.extra_params,
                **settings.config_loader_args,
            )
            context = HooklineContext(
                self.metadata,
                config_loader,
                hook_manager,
                self.env,
                self.extra_params,
                save_version=self.session_id,
            )
            _fire_after_context_created(context)
            # Kept only once every plugin has seen it: after a failing hook, the next call
            # builds it again rather than hand out a context some plugins never set up.
            self._context = context
        return self._context

    def run(
        self,
        pipeline_name: str | None = None,
        *,
        tags: Iterable[str] = (),
        runner: AbstractRunner | None = None,
        node_names: Iterable[str] = (),
        from_nodes: Iterable[str] = (),
        to_nodes: Iterable[str] = (),
        from_inputs: Iterable[str] = (),
        to_outputs: Iterable[str] = (),
        load_versions: dict[str, str] | None = None,
        reporter: ProgressReporter | None = None,
        namespaces: Iterable[str] = (),
    ) -> RunResult:
        """Run a registered pipeline, filtered as asked.

        Raises:
            HooklineError: For a usage or config error found before the first node ran (when a
                plugin finds it in ``before_pipeline_run``, ``on_pipeline_error`` has run).
            RunFailed: If the run started and failed (the error hooks have run).
            KeyboardInterrupt: On Ctrl-C, after ``on_pipeline_error`` ran with it.
            Terminated: On SIGTERM or SIGHUP, after ``on_pipeline_error`` ran with it (a
                ``KeyboardInterrupt`` too; see :mod:`hookline.stop_signals`, which also says
                when a program's own handlers of these signals are kept).
        """
        context = self.load_context()
        # Lists, read once: each is both a filter and a value of run_params.
        filters: _NodeFilters = {
            "tags": list(tags),
            "node_names": list(node_names),
            "from_nodes": list(from_nodes),
            "to_nodes": list(to_nodes),
            "from_inputs": list(from_inputs),
            "to_outputs": list(to_outputs),
        }
        namespaces = list(namespaces)
        pipeline = _select_pipeline(
            load_pipelines(self.metadata), pipeline_name or DEFAULT_PIPELINE
        ).filter(**filters, node_namespaces=namespaces)
        runner = runner or SequentialRunner()
        reporter = reporter or ProgressReporter()
        # The runner checks that every free input is in the catalog after before_pipeline_run,
        # as Kedro's does: a hook may add one there (``catalog[name] = data``).
        catalog = context.catalog_for_run(load_versions)
        catalog.add_from_factories(pipeline.datasets())
        run_params = make_run_params(
            session_id=self.session_id,
            project_path=self.metadata.project_path,
            env=self.env,
            runtime_params=self.extra_params,
            pipeline_name=pipeline_name or None,
            runner=runner,
            **filters,
            load_versions=load_versions,
            namespaces=namespaces,
        )
        grace = grace_seconds(load_settings(self.metadata).stop_grace_seconds)
        stage = _Stage(pipeline, reporter)
        with stop_on_signals(grace, stage.unfinished):
            return self._run(
                context.hook_manager, pipeline, catalog, run_params, runner, reporter, stage
            )

    def _run(
        self,
        hook_manager: HookManager,
        pipeline: Pipeline,
        catalog: DataCatalog,
        run_params: dict[str, Any],
        runner: AbstractRunner,
        reporter: ProgressReporter,
        stage: _Stage,
    ) -> RunResult:
        # Before anything is registered: a bad regressions.yml stops the run here.
        context = self.load_context()
        history = RunRecorder.start(
            self.metadata, pipeline, run_params, context.params, context.config_loader
        )
        collector = _MeasurementCollector(reporter)
        # Worker processes collect their own measurements and return them with each node's
        # result, so this collector must stay in this process.
        hook_manager.register_process_local(collector, name="hookline:run-summary")
        hook = hook_manager.hook
        result = RunResult(
            self.session_id, records=reporter.records, measurements=reporter.measurements
        )
        try:
            with publishing_to(hook.on_measurement):
                stage.now("the before_pipeline_run hooks")
                hook.before_pipeline_run(run_params=run_params, pipeline=pipeline, catalog=catalog)
                stage.now(f"the nodes under {type(runner).__name__}")
                result.outputs = runner.run(
                    pipeline, catalog, hook_manager, self.session_id, reporter, run_params
                )
                stage.now("the after_pipeline_run hooks")
                result.regressions = history.check(reporter.records, reporter.measurements)
                hook.after_pipeline_run(
                    run_params=run_params,
                    run_result=result.outputs,
                    pipeline=pipeline,
                    catalog=catalog,
                    measurements=reporter.measurements_so_far(),
                )
        except BaseException as error:
            stage.now("the on_pipeline_error hooks")
            failure = _fail(error, hook_manager, pipeline, catalog, run_params, reporter, result)
            history.finish(reporter.records, reporter.measurements_so_far(), failure)
        else:
            history.finish(reporter.records, reporter.measurements_so_far(), None)
            return result
        finally:
            hook_manager.unregister(collector)
        # Raised outside the except block, so that an original error whose secrets could not
        # be hidden is not attached as the __context__ of what is raised.
        raise failure


def _fire_after_context_created(context: HooklineContext) -> None:
    """Fire ``after_context_created``; an error it raises shows no credential.

    The catalog, which hides secrets in later errors, does not exist yet, but a plugin may
    already have read ``credentials.yml`` through the context's config loader and quote it.
    """
    try:
        context.hook_manager.call_naming_failure("after_context_created", context=context)
    except Exception as error:
        failure = _hide_credentials(error, context.config_loader)
        if failure is error:
            raise
    else:
        return
    # Outside the except block, so that the original is not attached as the __context__.
    raise failure


def _hide_credentials(error: Exception, config_loader: ConfigLoader) -> Exception:
    """``error`` with the secrets of the project's credentials hidden (see
    :func:`hookline.secrets.redact_error`)."""
    try:
        credentials = config_loader["credentials"]
    except HooklineError:
        # Credentials that cannot be read cannot have been quoted: URL passwords still go.
        credentials = {}
    return redact_error(error, secret_strings(credentials))


def _fail(
    error: BaseException,
    hook_manager: HookManager,
    pipeline: Pipeline,
    catalog: DataCatalog,
    run_params: dict[str, Any],
    reporter: ProgressReporter,
    result: RunResult,
) -> BaseException:
    """Fire ``on_pipeline_error`` for the error that ended a run; return what the run raises."""
    # Hidden first: a pipeline hook or the runner's setup may quote a credential too, and the
    # error hooks send what they get to trackers and logs.
    error = catalog.redact_error(error)
    # Each plugin's error hook runs even when another one's fails.
    hook_manager.call_each_logging_failures(
        "on_pipeline_error",
        error=error,
        run_params=run_params,
        pipeline=pipeline,
        catalog=catalog,
        measurements=reporter.measurements_so_far(),
    )
    completed = {r.name for r in reporter.records if r.status == "completed"}
    if not isinstance(error, Exception):
        if isinstance(error, Terminated):
            error.resume_from = resume_nodes(pipeline, completed, catalog)
        return error
    if isinstance(error, HooklineError) and not reporter.records:
        # A configuration error found by a plugin before the first node (an unknown suite, an
        # unreachable tracking server under the fail policy) is a usage error: nothing ran,
        # so there is nothing to resume.
        return error
    failed = RunFailed(
        error,
        result,
        resume_nodes(pipeline, completed, catalog),
        hook_manager.describe_failure(error),
    )
    failed.__cause__ = error
    return failed


def _select_pipeline(pipelines: dict[str, Pipeline], name: str) -> Pipeline:
    if name in pipelines:
        return pipelines[name]
    known = sorted(pipelines)
    raise ProjectError(
        f"No pipeline named '{name}'.{did_you_mean(name, known)} "
        f"Registered pipelines: {', '.join(known) or 'none'}."
    )


def resume_nodes(pipeline: Pipeline, completed: set[str], catalog: DataCatalog) -> list[str]:
    """Return the fewest node names whose ``--from-nodes`` run finishes a failed run.

    A node that did not complete is restarted; when one of its inputs lived only in memory,
    the node that produced it must run again too, since memory does not outlive the run.
    """
    remaining = {node for node in pipeline.nodes if node.name not in completed}
    starts = {n for n in remaining if not any(p in remaining for p in pipeline.parents(n))}
    needed: set[Any] = set()
    stack = list(starts)
    while stack:
        node = stack.pop()
        if node in needed:
            continue
        needed.add(node)
        for name in node.inputs:
            producer = pipeline.producer(name)
            if producer is not None and catalog.is_memory(name):
                stack.append(producer)
    # --from-nodes also runs every descendant, so a node below another needed one is implied.
    implied = {n for n in needed if _has_ancestor_in(pipeline, n, needed)}
    return [node.name for node in pipeline.nodes if node in needed - implied]


def _has_ancestor_in(pipeline: Pipeline, node: Any, candidates: set[Any]) -> bool:
    seen: set[Any] = set()
    stack = list(pipeline.parents(node))
    while stack:
        parent = stack.pop()
        if parent in candidates:
            return True
        if parent not in seen:
            seen.add(parent)
            stack.extend(pipeline.parents(parent))
    return False
