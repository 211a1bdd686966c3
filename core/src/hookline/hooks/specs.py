"""Every hook specification of hookline, in the order the hooks fire during a run.

The names and argument names are Kedro's, so a hook class written for Kedro runs on hookline
after changing only its import line. pluggy passes arguments by name and an implementation may
accept any subset of a spec's arguments, so an implementation lists only what it needs::

    class TimingHooks:
        @hook_impl
        def before_node_run(self, node):
            ...

Lifecycle of one ``hookline run``::

    after_context_created
    after_catalog_created
    before_pipeline_run                                     (once, main process)
        export_worker_state     (main process; ParallelRunner and DaskRunner only)
        restore_worker_state    (in each worker process, before its first node)
        for each node (in the process or thread that runs it):
            before_dataset_loaded / after_dataset_loaded   (once per input)
            before_node_run                                 (may replace inputs)
            after_node_run          or  on_node_error
            before_dataset_saved / after_dataset_saved     (once per output)
        on_measurement              (whenever a plugin publishes one, in that process)
    after_pipeline_run      or  on_pipeline_error           (once, main process, with every
                                                             measurement of the run)

Runners that use worker processes (``ParallelRunner``, ``DaskRunner``) register the same hooks
in every worker as in the main process: the project's ``HOOKS`` (by importing its settings
module there), the installed plugins (by their entry points, minus the disabled ones) and any
other hook object (pickled). Each worker holds its own copies of the plugins, so state a plugin
built in the main process (a tracking run id, a connection prefix) reaches its worker copies
only through ``export_worker_state`` and ``restore_worker_state``.

Both ``session_id`` (older Kedro, and the examples users port) and ``run_id`` (Kedro 1.x) are
passed to the node hooks; they hold the same value, the id of the session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hookline.hooks.markers import hook_spec

if TYPE_CHECKING:
    from hookline.catalog import DataCatalog
    from hookline.context import HooklineContext
    from hookline.measurements import Measurement
    from hookline.node import Node
    from hookline.pipeline import Pipeline


@hook_spec
def after_context_created(context: HooklineContext) -> None:
    """Fires first, once the project's context (config loader, parameters, settings) exists.

    Plugins read their own configuration here, through ``context.config_loader``.

    Args:
        context: The context of the run: project path, env, config loader and parameters.
    """


@hook_spec
def after_catalog_created(
    catalog: DataCatalog,
    conf_catalog: dict[str, Any],
    conf_creds: dict[str, Any],
    parameters: dict[str, Any],
    feed_dict: dict[str, Any],
    save_version: str,
    load_versions: dict[str, str],
) -> None:
    """Fires after the data catalog is built, between ``after_context_created`` and
    ``before_pipeline_run``.

    Args:
        catalog: The catalog the run will load from and save to.
        conf_catalog: The merged contents of the ``catalog`` configuration files.
        conf_creds: The merged credentials; never log or record these values.
        parameters: The parameters, with runtime ``--params`` applied.
        feed_dict: Kedro's older name for ``parameters``, as ``params:<key>`` entries.
        save_version: The version under which versioned datasets are saved in this run.
        load_versions: Dataset names mapped to the versions pinned with ``--load-versions``.
    """


@hook_spec
def before_pipeline_run(
    run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
) -> None:
    """Fires once, in the main process, before the first node runs.

    Args:
        run_params: What the run was asked to do, as Kedro 1.7 gives it: run_id,
            project_path, env, kedro_version, tags, from_nodes, to_nodes, node_names,
            from_inputs, to_outputs, load_versions, runtime_params, pipeline_names,
            namespaces, runner and only_missing_outputs; Kedro 0.19's session_id,
            pipeline_name, extra_params and namespace; and hookline_version (their forms are
            in :mod:`hookline.run_params`).
        pipeline: The pipeline that will run, after filtering.
        catalog: The catalog the run uses.
    """


@hook_spec
def export_worker_state(run_params: dict[str, Any]) -> Any:
    """Fires once, in the main process, after ``before_pipeline_run`` and before the first node
    is sent to a worker process; only runners with worker processes (``ParallelRunner``,
    ``DaskRunner``) fire it.

    Return the picklable state this plugin's copies in the worker processes need (an MLflow
    run id, a StatsD prefix, the path of a validation context), or ``None``. Unlike other
    hooks, the implementations are called one by one and each return value is kept under the
    name the plugin is registered as, so the state of a plugin reaches that same plugin's
    ``restore_worker_state`` in every worker, never another plugin's. State that cannot be
    pickled fails the run before the first node, naming the plugin. Example::

        class TrackingHooks:
            @hook_impl
            def before_pipeline_run(self, run_params):
                self.run_id = start_tracking_run()

            @hook_impl
            def export_worker_state(self):
                return {"run_id": self.run_id}

            @hook_impl
            def restore_worker_state(self, state):
                self.run_id = state["run_id"]

    Args:
        run_params: The same dict that ``before_pipeline_run`` received.
    """


@hook_spec
def restore_worker_state(state: Any) -> None:
    """Fires in each worker process of ``ParallelRunner`` and ``DaskRunner``, once per run,
    before the first node that worker runs (so before its first ``before_dataset_loaded``).

    Called one by one, keyed by plugin name: each implementation receives what its own
    plugin's ``export_worker_state`` returned in the main process (``None`` if that plugin has
    no ``export_worker_state`` or returned ``None``). An exception fails the run.

    Args:
        state: What this plugin's ``export_worker_state`` returned, unpickled in the worker.
    """


@hook_spec
def before_dataset_loaded(dataset_name: str, node: Node) -> None:
    """Fires before a node's input is loaded from the catalog, before ``before_node_run``.

    Args:
        dataset_name: The name of the dataset about to be loaded.
        node: The node the dataset is loaded for.
    """


@hook_spec
def after_dataset_loaded(dataset_name: str, data: Any, node: Node) -> None:
    """Fires after a node's input was loaded, before ``before_node_run``.

    Args:
        dataset_name: The name of the dataset that was loaded.
        data: The loaded data.
        node: The node the dataset was loaded for.
    """


@hook_spec
def before_node_run(
    node: Node,
    catalog: DataCatalog,
    inputs: dict[str, Any],
    is_async: bool,
    session_id: str,
    run_id: str,
) -> dict[str, Any] | None:
    """Fires after a node's inputs are loaded and before its function is called.

    Return a dict to replace some of the node's inputs for this call only (the catalog is
    not changed). Every key must be one of the node's inputs; an unknown key fails the node
    with ``Node <name> expected X input(s) <expected>, but got the following Y input(s)
    instead: <actual>``. When several implementations return dicts, they are applied in the
    order the implementations fire, so a later one wins. Return ``None`` to change nothing.

    Args:
        node: The node about to run.
        catalog: The catalog of the run.
        inputs: The node's inputs, dataset names mapped to loaded values.
        is_async: Whether inputs were loaded asynchronously (always False in hookline).
        session_id: The id of the session (Kedro's older name).
        run_id: The id of the session (Kedro 1.x's name).
    """


@hook_spec
def after_node_run(
    node: Node,
    catalog: DataCatalog,
    inputs: dict[str, Any],
    outputs: dict[str, Any],
    is_async: bool,
    session_id: str,
    run_id: str,
) -> None:
    """Fires after a node's function returned, before its outputs are saved.

    Args:
        node: The node that ran.
        catalog: The catalog of the run.
        inputs: The inputs the function received (after any replacement).
        outputs: The node's outputs, dataset names mapped to values.
        is_async: Whether inputs were loaded asynchronously (always False in hookline).
        session_id: The id of the session (Kedro's older name).
        run_id: The id of the session (Kedro 1.x's name).
    """


@hook_spec
def on_node_error(
    error: BaseException,
    node: Node,
    catalog: DataCatalog,
    inputs: dict[str, Any],
    is_async: bool,
    session_id: str,
    run_id: str,
) -> None:
    """Fires when anything about a node fails: loading an input, a node hook, the function
    itself, or saving an output. ``on_pipeline_error`` follows, in the main process.

    Args:
        error: The exception raised.
        node: The node that failed.
        catalog: The catalog of the run.
        inputs: The inputs loaded so far (may be incomplete when a load failed).
        is_async: Whether inputs were loaded asynchronously (always False in hookline).
        session_id: The id of the session (Kedro's older name).
        run_id: The id of the session (Kedro 1.x's name).
    """


@hook_spec
def before_dataset_saved(dataset_name: str, data: Any, node: Node) -> None:
    """Fires before a node's output is saved, after ``after_node_run``.

    Args:
        dataset_name: The name of the dataset about to be saved.
        data: The data about to be saved.
        node: The node that produced it.
    """


@hook_spec
def after_dataset_saved(dataset_name: str, data: Any, node: Node) -> None:
    """Fires after a node's output was saved.

    Args:
        dataset_name: The name of the dataset that was saved.
        data: The data that was saved.
        node: The node that produced it.
    """


@hook_spec
def on_measurement(measurement: Measurement) -> None:
    """Fires whenever a plugin publishes a measurement with
    :func:`hookline.publish_measurement`, in the process where it was measured.

    This is how a figure one plugin takes (memory used by a load, validation failures)
    reaches the sinks of others (StatsD gauges, MLflow metrics) and the run summary, with no
    plugin importing another. Under ``ParallelRunner`` and ``DaskRunner`` a figure taken in
    a worker process fires the hooks of that worker only, never again in the main process
    (a sink would count it twice); the main process gets it in the ``measurements`` argument
    of ``after_pipeline_run`` or ``on_pipeline_error``. Example of a sink::

        class PrintingSink:
            @hook_impl
            def on_measurement(self, measurement):
                print(measurement.name, measurement.value, measurement.unit)

    Args:
        measurement: The figure: name, value, unit, and the node or dataset it belongs to.
    """


@hook_spec
def after_pipeline_run(
    run_params: dict[str, Any],
    run_result: dict[str, Any],
    pipeline: Pipeline,
    catalog: DataCatalog,
    measurements: tuple[Measurement, ...],
) -> None:
    """Fires once, in the main process, after the last node succeeded.

    ``measurements`` is the one place where a plugin sees the figures of the whole run, those
    taken in worker processes included (``on_measurement`` fires where a figure is taken), for
    example to summarise them::

        class LargestFigureHooks:
            @hook_impl
            def after_pipeline_run(self, measurements):
                if measurements:
                    largest = max(measurements, key=lambda m: m.value)
                    print(largest.name, largest.subject(), largest.value, largest.unit)

    Args:
        run_params: The same dict that ``before_pipeline_run`` received.
        run_result: The pipeline's free outputs that no file dataset persisted.
        pipeline: The pipeline that ran.
        catalog: The catalog of the run.
        measurements: Every measurement published during the run, in any process, in the
            order they reached the main process (the run summary's figures).
    """


@hook_spec
def on_pipeline_error(
    error: BaseException,
    run_params: dict[str, Any],
    pipeline: Pipeline,
    catalog: DataCatalog,
    measurements: tuple[Measurement, ...],
) -> None:
    """Fires once, in the main process, when the run failed or was interrupted (Ctrl-C
    passes the ``KeyboardInterrupt``), instead of ``after_pipeline_run``.

    Args:
        error: The exception that ended the run.
        run_params: The same dict that ``before_pipeline_run`` received.
        pipeline: The pipeline that was running.
        catalog: The catalog of the run.
        measurements: Every measurement published before the run ended, in any process, in
            the order they reached the main process.
    """
