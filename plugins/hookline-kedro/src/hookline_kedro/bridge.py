"""The one Kedro hook object that lets every installed hookline plugin take part in `kedro run`.

Kedro registers :data:`hookline_kedro.hooks` through the ``kedro.hooks`` entry point. In
``after_context_created`` it loads hookline's plugins (``hookline.hooks`` entry points, minus
``HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS`` and the settings' ``DISABLE_HOOKS_FOR_PLUGINS``) into a
hookline hook manager of its own; every Kedro hook call is then forwarded to it, with Kedro's
context, catalog, pipeline and ``run_params`` seen as hookline's (:mod:`hookline_kedro.views`).
With no hookline plugin installed or enabled, every hook returns at once and hookline is
never imported.

What hookline's session and runners do around the plugins, the bridge does too:
``publish_measurement`` reaches every plugin's ``on_measurement`` during the run, and the run's
measurements (worker processes' included) reach ``after_pipeline_run`` and
``on_pipeline_error``; the sizes of saved data frames are published as hookline's runners
publish them; a failing ``before_pipeline_run`` or ``after_pipeline_run`` fires the plugins'
``on_pipeline_error`` (Kedro fires it only for a failure of the runner); Ctrl-C, which Kedro
reports to no hook, fires it with the ``KeyboardInterrupt`` as the process exits
(:mod:`hookline_kedro.interrupts`); the worker processes of Kedro's ParallelRunner get the
plugins and their state (:mod:`hookline_kedro.workers`). Errors raised by a plugin propagate
to Kedro unchanged, so ``kedro run`` fails as it does for any hook, with Kedro's exit code.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from kedro.framework.hooks import hook_impl as kedro_hook_impl

if TYPE_CHECKING:
    from pluggy import HookCaller

    from hookline.hooks.manager import HookManager
    from hookline.measurements import Measurement
    from hookline_kedro.interrupts import InterruptWatch
    from hookline_kedro.views import CatalogView, PipelineView

__all__ = ["KedroBridge"]

_Hook = TypeVar("_Hook", bound=Callable[..., Any])


def hook_impl(function: _Hook) -> _Hook:
    """Kedro's own marker (``kedro.framework.hooks.hook_impl``), typed: Kedro is not
    installed where hookline is type-checked."""
    return cast(_Hook, kedro_hook_impl(function))


#: hookline's entry-point group of plugins (hookline.hooks.markers.HOOKS_ENTRY_POINT_GROUP,
#: spelt out so that finding none imports nothing of hookline).
_HOOKLINE_PLUGINS_GROUP = "hookline.hooks"

#: The node and dataset hooks, forwarded in whichever thread or process Kedro runs a node.
_NODE_HOOKS = (
    "before_dataset_loaded",
    "after_dataset_loaded",
    "before_node_run",
    "after_node_run",
    "on_node_error",
    "before_dataset_saved",
    "after_dataset_saved",
)

#: Kedro's runners that run every node in the main process: no worker state is exported.
_IN_PROCESS_RUNNERS = frozenset({"SequentialRunner", "ThreadRunner"})


class _MainRun:
    """The pipeline run in progress in the main process, as the plugins see it."""

    def __init__(
        self, params: dict[str, Any], pipeline: PipelineView, catalog: CatalogView
    ) -> None:
        self.params = params
        self.pipeline = pipeline
        self.catalog = catalog
        self.measurements: list[Measurement] = []
        self.journal: Path | None = None
        self.cleanup = contextlib.ExitStack()
        self.watch: InterruptWatch | None = None

    def all_measurements(self) -> tuple[Measurement, ...]:
        """This process's figures, then those the worker processes wrote to the journal."""
        if self.journal is None:
            return tuple(self.measurements)
        from hookline_kedro.workers import MeasurementJournal

        return (*self.measurements, *MeasurementJournal(self.journal).read())


class KedroBridge:
    """Forwards every Kedro hook call to the installed hookline plugins.

    One instance, :data:`hookline_kedro.hooks`, is registered by Kedro through the
    ``kedro.hooks`` entry point; ``DISABLE_HOOKS_FOR_PLUGINS = ("hookline-kedro",)`` in a
    project's settings keeps Kedro from registering it.
    """

    def __init__(self) -> None:
        # The process the state below belongs to: a forked worker inherits the main process's
        # and must build its own (see _node_hook()). None until the first hook.
        self._pid: int | None = None
        self._manager: HookManager | None = None
        self._hooks: dict[str, HookCaller] = {}
        self._secrets: tuple[str, ...] = ()
        self._catalog_views: tuple[Any, CatalogView] | None = None
        self._run: _MainRun | None = None
        self._worker_publishing: contextlib.AbstractContextManager[None] | None = None

    # -- the context and the catalog ---------------------------------------------------------

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        """Load the hookline plugins and let them read their configuration."""
        self._pid = os.getpid()
        self._manager, self._hooks, self._run = None, {}, None
        if not metadata.entry_points(group=_HOOKLINE_PLUGINS_GROUP):
            return
        from kedro.framework.project import settings

        from hookline.hooks.manager import create_hook_manager
        from hookline.plugin import redact_error, secret_strings
        from hookline_kedro.views import ContextView

        manager = create_hook_manager(
            disabled_plugins=getattr(settings, "DISABLE_HOOKS_FOR_PLUGINS", ())
        )
        if not manager.list_name_plugin():
            return
        view = ContextView(context)
        self._secrets = tuple(secret_strings(view.config_loader["credentials"]))
        try:
            manager.call_naming_failure("after_context_created", context=view)
        except Exception as error:
            # A plugin may quote credentials.yml in its error: Kedro prints it.
            failure = redact_error(error, self._secrets)
            if failure is error:
                raise
        else:
            self._use(manager)
            return
        raise failure

    @hook_impl
    def after_catalog_created(
        self,
        catalog: Any,
        conf_catalog: dict[str, Any],
        conf_creds: dict[str, Any],
        parameters: dict[str, Any],
        save_version: str,
        load_versions: dict[str, str],
    ) -> None:
        """Forward, with hookline's names: ``parameters`` the plain parameters and
        ``feed_dict`` Kedro's ``params:<key>`` entries."""
        manager = self._main_manager()
        if manager is None:
            return
        manager.call_naming_failure(
            "after_catalog_created",
            catalog=self._catalog_view(catalog),
            conf_catalog=conf_catalog,
            conf_creds=conf_creds,
            parameters=dict(parameters.get("parameters") or {}),
            feed_dict=parameters,
            save_version=save_version,
            load_versions=dict(load_versions or {}),
        )

    # -- the pipeline ------------------------------------------------------------------------

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        """Start the plugins' run; for a runner with worker processes, publish the state they
        need. A failure fires the plugins' ``on_pipeline_error`` and fails the run before its
        first node."""
        manager = self._main_manager()
        if manager is None:
            return
        from hookline.measurements import publishing_to
        from hookline_kedro import interrupts, views

        self._end_run()  # one an earlier run of this process left open
        run = _MainRun(
            views.run_params(run_params), views.PipelineView(pipeline), self._catalog_view(catalog)
        )
        self._run = run
        run.cleanup.enter_context(publishing_to(self._main_sink(run, manager)))
        try:
            manager.hook.before_pipeline_run(
                run_params=run.params, pipeline=run.pipeline, catalog=run.catalog
            )
            if run.params["runner"] not in _IN_PROCESS_RUNNERS:
                self._carry_to_workers(manager, run)
        except BaseException as error:
            self._fail(error)
            raise
        run.watch = interrupts.watch(self._stopped)

    @hook_impl
    def after_pipeline_run(self, run_result: dict[str, Any]) -> None:
        """End the plugins' run; a failure in it fires their ``on_pipeline_error``, as under
        hookline, and fails ``kedro run``."""
        run, manager = self._run, self._main_manager()
        if run is None or manager is None:
            return
        try:
            manager.hook.after_pipeline_run(
                run_params=run.params,
                run_result=dict(run_result or {}),
                pipeline=run.pipeline,
                catalog=run.catalog,
                measurements=run.all_measurements(),
            )
        except BaseException as error:
            self._fail(error)
            raise
        self._end_run()

    @hook_impl
    def on_pipeline_error(self, error: Exception) -> None:
        """End the plugins' run as failed."""
        self._fail(error)

    def _stopped(self, interrupted: bool) -> None:
        """The process exits with the run open (Ctrl-C, or ``sys.exit`` in a node): end it."""
        error: BaseException = (
            KeyboardInterrupt()
            if interrupted
            else RuntimeError("the process exited while the pipeline was running")
        )
        self._fail(error)

    def _fail(self, error: BaseException) -> None:
        """Fire every plugin's ``on_pipeline_error`` (each even if another fails), then end."""
        run, manager = self._run, self._main_manager()
        if run is None or manager is None:
            return
        from hookline.plugin import redact_error

        try:
            manager.call_each_logging_failures(
                "on_pipeline_error",
                error=redact_error(error, self._secrets),
                run_params=run.params,
                pipeline=run.pipeline,
                catalog=run.catalog,
                measurements=run.all_measurements(),
            )
        finally:
            self._end_run()

    def _end_run(self) -> None:
        run, self._run = self._run, None
        if run is None:
            return
        if run.watch is not None:
            run.watch.stop()
        run.cleanup.close()

    def _main_sink(self, run: _MainRun, manager: HookManager) -> Callable[..., None]:
        on_measurement = manager.hook.on_measurement

        def sink(measurement: Measurement) -> None:
            run.measurements.append(measurement)
            on_measurement(measurement=measurement)

        return sink

    def _carry_to_workers(self, manager: HookManager, run: _MainRun) -> None:
        from hookline.hooks.worker_recipe import HookRecipe, export_worker_states
        from hookline_kedro import workers

        journal = Path(tempfile.mkdtemp(prefix="hookline-kedro-"))
        run.journal = journal
        run.cleanup.callback(_remove_folder, journal)
        state = workers.WorkerState(
            os.getpid(),
            HookRecipe.of(manager),
            export_worker_states(manager, run.params),
            str(journal),
            self._secrets,
        )
        workers.publish(state)
        run.cleanup.callback(workers.withdraw)

    # -- nodes and datasets, in whichever thread or process runs them ------------------------

    @hook_impl
    def before_dataset_loaded(self, dataset_name: str, node: Any) -> None:
        """Forward."""
        hook = self._node_hook("before_dataset_loaded")
        if hook is not None:
            hook(dataset_name=dataset_name, node=node)

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Any) -> None:
        """Forward."""
        hook = self._node_hook("after_dataset_loaded")
        if hook is not None:
            hook(dataset_name=dataset_name, data=data, node=node)

    @hook_impl
    def before_node_run(
        self, node: Any, catalog: Any, inputs: dict[str, Any], is_async: bool, run_id: str
    ) -> dict[str, Any] | None:
        """Forward; the plugins' input replacements are merged, a later one winning."""
        hook = self._node_hook("before_node_run")
        if hook is None:
            return None
        replacements = hook(
            node=node,
            catalog=self._catalog_view(catalog),
            inputs=inputs,
            is_async=is_async,
            session_id=run_id,
            run_id=run_id,
        )
        merged: dict[str, Any] = {}
        for replacement in replacements:
            merged.update(replacement)
        return merged or None

    @hook_impl
    def after_node_run(
        self,
        node: Any,
        catalog: Any,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        is_async: bool,
        run_id: str,
    ) -> None:
        """Forward."""
        hook = self._node_hook("after_node_run")
        if hook is not None:
            hook(
                node=node,
                catalog=self._catalog_view(catalog),
                inputs=inputs,
                outputs=outputs,
                is_async=is_async,
                session_id=run_id,
                run_id=run_id,
            )

    @hook_impl
    def on_node_error(
        self,
        error: Exception,
        node: Any,
        catalog: Any,
        inputs: dict[str, Any],
        is_async: bool,
        run_id: str,
    ) -> None:
        """Forward."""
        hook = self._node_hook("on_node_error")
        if hook is not None:
            from hookline.plugin import redact_error

            hook(
                error=redact_error(error, self._secrets),
                node=node,
                catalog=self._catalog_view(catalog),
                inputs=inputs,
                is_async=is_async,
                session_id=run_id,
                run_id=run_id,
            )

    @hook_impl
    def before_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
        """Forward."""
        hook = self._node_hook("before_dataset_saved")
        if hook is not None:
            hook(dataset_name=dataset_name, data=data, node=node)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
        """Publish the saved data's size, as hookline's runners do, then forward."""
        hook = self._node_hook("after_dataset_saved")
        if self._manager is None:
            return
        from hookline.dataset_sizes import publish_saved_size

        publish_saved_size(dataset_name, data, node.name)
        if hook is not None:
            hook(dataset_name=dataset_name, data=data, node=node)

    # -- which hookline plugins this process uses --------------------------------------------

    def _node_hook(self, name: str) -> HookCaller | None:
        """The hook caller of ``name`` in this process, or ``None`` when no plugin has it."""
        if self._pid != os.getpid():
            self._join_worker_process()
        return self._hooks.get(name)

    def _main_manager(self) -> HookManager | None:
        return self._manager if self._pid == os.getpid() else None

    def _use(self, manager: HookManager) -> None:
        self._manager = manager
        self._hooks = {
            name: caller
            for name in _NODE_HOOKS
            if (caller := getattr(manager.hook, name)).get_hookimpls()
        }

    def _join_worker_process(self) -> None:
        """First hook in a worker process of Kedro's ParallelRunner: take part in the main
        process's run, or forward nothing when there is none. What a forked worker inherited
        of the main process's run is dropped, never ended: it belongs to the main process."""
        self._manager, self._hooks, self._run, self._catalog_views = None, {}, None, None
        if not metadata.entry_points(group=_HOOKLINE_PLUGINS_GROUP):
            self._pid = os.getpid()
            return
        from hookline.measurements import publishing_to
        from hookline_kedro import workers

        state = workers.published()
        if state is None or state.main_pid == os.getpid():
            self._pid = os.getpid()
            return
        manager = workers.join_run(state)
        self._secrets = state.secrets
        journal = workers.MeasurementJournal(Path(state.journal))
        on_measurement = manager.hook.on_measurement

        def sink(measurement: Measurement) -> None:
            journal.write(measurement)
            on_measurement(measurement=measurement)

        # Entered for the rest of the worker's life (it runs nodes of this run only), and kept:
        # a context manager left to the garbage collector would close, removing the sink.
        self._worker_publishing = publishing_to(sink)
        self._worker_publishing.__enter__()
        self._use(manager)
        self._pid = os.getpid()

    def _catalog_view(self, catalog: Any) -> CatalogView:
        cached = self._catalog_views
        if cached is not None and cached[0] is catalog:
            return cached[1]
        from hookline_kedro.views import CatalogView

        view = CatalogView(catalog)
        self._catalog_views = (catalog, view)
        return view


def _remove_folder(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
