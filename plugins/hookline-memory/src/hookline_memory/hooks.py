"""The hook implementations of hookline-memory: what each load, save and node run costs.

For every measured operation three figures are published with
:func:`hookline.plugin.publish_measurement` (so the run summary, StatsD and MLflow receive
them), in MiB, with the node and, for loads and saves, the dataset set:

- ``memory.<kind>.start``: the process's memory when the operation started;
- ``memory.<kind>.delta``: what it retained (memory at the end minus at the start);
- ``memory.<kind>.peak``: how far above the start memory rose during the operation;

where ``<kind>`` is ``load``, ``save`` or ``node``. An operation whose peak or retained
memory reaches ``threshold_mib`` also gets one log line, in the words of Kedro's memory
profiling example: ``Loading companies consumed 12.34MiB memory (peak 56.78MiB)``.

After the run, the operations with the highest peak are logged. They are read from the
``measurements`` the core passes to ``after_pipeline_run`` (or ``on_pipeline_error``), not
from what this copy of the hooks measured itself: under ParallelRunner and DaskRunner the
figures are taken by the copies in the worker processes and reach the main process only
through the run's measurements.
"""

from __future__ import annotations

import heapq
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from hookline.plugin import Measurement, hook_impl, publish_measurement
from hookline_memory.backends import BACKENDS, MIB, BackendFactory, OsPeak
from hookline_memory.config import DEFAULT, MemoryConfig, load_config
from hookline_memory.tracker import Operation, Tracker

if TYPE_CHECKING:
    from hookline.plugin import HooklineContext, Node

__all__ = ["SOURCE", "MemoryHooks"]

logger = logging.getLogger("hookline_memory")

#: The ``source`` of every measurement this plugin publishes.
SOURCE = "hookline-memory"

_VERBS = {"load": "Loading", "save": "Saving", "node": "Running node"}
_NAMES = {
    kind: (f"memory.{kind}.start", f"memory.{kind}.delta", f"memory.{kind}.peak") for kind in _VERBS
}
_KIND_OF_DELTA = {names[1]: kind for kind, names in _NAMES.items()}
_KIND_OF_PEAK = {names[2]: kind for kind, names in _NAMES.items()}
_FAILED_TAGS = {"status": "failed"}


class MemoryHooks:
    """Measures the memory of every dataset load, dataset save and node run.

    Registered by the ``memory`` entry point of the ``hookline.hooks`` group, so installing
    the distribution is enough. It reads ``conf/<env>/memory.yml`` in
    ``after_context_created`` and uses :data:`hookline_memory.config.DEFAULT` without one.

    Monitoring never fails a run: any error of its own (a backend that raises, a sink that
    raises on its figures) is logged once as a warning, and measuring stops until the next
    run.

    Args:
        backends: The backend names ``memory.yml`` may choose, mapped to the callables that
            build them; the built-in :data:`hookline_memory.backends.BACKENDS` by default.
        sampler_pause: What the sampler thread calls between two samples with the seconds to
            wait (:func:`time.sleep` by default). It stays in this process: copies in worker
            processes use :func:`time.sleep`.
    """

    def __init__(
        self,
        backends: Mapping[str, BackendFactory] | None = None,
        sampler_pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self._setup(dict(BACKENDS if backends is None else backends), DEFAULT, sampler_pause)

    def _setup(
        self,
        backends: dict[str, BackendFactory],
        config: MemoryConfig,
        sampler_pause: Callable[[float], None] = time.sleep,
    ) -> None:
        self.backends = backends
        self._config = config
        self._tracker = Tracker(self._monitoring_failed, sampler_pause)
        self._ready = False
        self._failed = False
        self._warned = False
        self._lock = threading.Lock()

    # -- configuration -----------------------------------------------------------------------

    @property
    def config(self) -> MemoryConfig:
        """The settings in use."""
        return self._config

    def configure(self, config: MemoryConfig) -> None:
        """Use ``config`` from the next measured operation on."""
        with self._lock:
            self._config = config
            self._ready = False

    @hook_impl
    def export_worker_state(self) -> dict[str, Any]:
        """Return what this plugin's copies in worker processes need: the validated settings
        (ParallelRunner and DaskRunner call it in the main process)."""
        return {"config": self._config.to_dict()}

    @hook_impl
    def restore_worker_state(self, state: Mapping[str, Any] | None) -> None:
        """In a worker process, before its first node: take the main process's settings and
        start the run afresh (``before_pipeline_run`` fires only in the main process)."""
        if state is not None:
            self.configure(MemoryConfig.from_dict(state["config"]))
        self._start_run()

    def __getstate__(self) -> dict[str, Any]:
        # Threads, locks and open files stay in their process; the settings travel.
        return {"backends": self.backends, "config": self._config.to_dict()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._setup(state["backends"], MemoryConfig.from_dict(state["config"]))

    def close(self) -> None:
        """Stop the sampler thread (it is a daemon thread; this is for tests and tools)."""
        self._tracker.close()

    # -- hooks -------------------------------------------------------------------------------

    @hook_impl
    def after_context_created(self, context: HooklineContext) -> None:
        """Read and validate ``memory.yml``.

        Raises:
            ConfigError: Naming the file, for an unknown key (with the allowed keys), a bad
                value, or the memory_profiler backend chosen but not installed.
        """
        self.configure(load_config(context.config_loader))

    @hook_impl
    def before_pipeline_run(self) -> None:
        """Start a new run: measuring resumes (and may warn again) if the previous run gave up
        after a failure. The summary after the run needs no reset: it is made from the
        ``measurements`` the core passes to ``after_pipeline_run``."""
        self._start_run()

    # Opening hooks fire last and closing ones first, so that the time other plugins' hooks
    # take (and the memory they use) is not counted as the operation's.
    @hook_impl(trylast=True)
    def before_dataset_loaded(self, dataset_name: str, node: Node) -> None:
        """Open the measurement of a load."""
        if self._config.measure_loads and not self._failed:
            self._begin("load", node.name, dataset_name)

    @hook_impl(tryfirst=True)
    def after_dataset_loaded(self, dataset_name: str, node: Node) -> None:
        """Close the measurement of a load and report it."""
        if self._config.measure_loads and not self._failed:
            self._end("load", node.name, dataset_name)

    @hook_impl(trylast=True)
    def before_node_run(self, node: Node) -> None:
        """Open the measurement of a node run."""
        if self._config.measure_nodes and not self._failed:
            self._begin("node", node.name, None)

    @hook_impl(tryfirst=True)
    def after_node_run(self, node: Node) -> None:
        """Close the measurement of a node run and report it."""
        if self._config.measure_nodes and not self._failed:
            self._end("node", node.name, None)

    @hook_impl(tryfirst=True)
    def on_node_error(self, node: Node) -> None:
        """Report what the failed node's open operations used, tagged ``status: failed``."""
        if self._failed:
            return
        try:
            for operation in self._tracker.end_node(node.name):
                self._report(operation, failed=True)
        except Exception as error:
            self._monitoring_failed(error)

    @hook_impl(trylast=True)
    def before_dataset_saved(self, dataset_name: str, node: Node) -> None:
        """Open the measurement of a save."""
        if self._config.measure_saves and not self._failed:
            self._begin("save", node.name, dataset_name)

    @hook_impl(tryfirst=True)
    def after_dataset_saved(self, dataset_name: str, node: Node) -> None:
        """Close the measurement of a save and report it."""
        if self._config.measure_saves and not self._failed:
            self._end("save", node.name, dataset_name)

    @hook_impl
    def after_pipeline_run(self, measurements: tuple[Measurement, ...]) -> None:
        """Log the operations of the run with the highest peak, wherever they were measured."""
        self._log_summary(measurements)

    @hook_impl
    def on_pipeline_error(self, measurements: tuple[Measurement, ...]) -> None:
        """Log the operations with the highest peak, and drop those the failure left open."""
        self._tracker.clear()
        self._log_summary(measurements)

    # -- internals ---------------------------------------------------------------------------

    def _start_run(self) -> None:
        with self._lock:
            self._failed = False
            self._warned = False

    def _prepare(self) -> None:
        """Build the backend the settings name (the first time something is measured)."""
        with self._lock:
            if self._ready:
                return
            config = self._config
            backend = self.backends[config.backend](config)
            self._tracker.configure(backend, OsPeak(config.reset_os_peak), config.interval)
            self._ready = True

    def _begin(self, kind: str, node: str, dataset: str | None) -> None:
        try:
            if not self._ready:
                self._prepare()
            self._tracker.begin((threading.get_ident(), kind, node, dataset), kind, node, dataset)
        except Exception as error:
            self._monitoring_failed(error)

    def _end(self, kind: str, node: str, dataset: str | None) -> None:
        try:
            operation = self._tracker.end((threading.get_ident(), kind, node, dataset))
            if operation is not None:
                self._report(operation)
        except Exception as error:
            self._monitoring_failed(error)

    def _report(self, operation: Operation, failed: bool = False) -> None:
        """Publish the figures of a finished operation and log it if it is big enough."""
        kind, node, dataset = operation.kind, operation.node, operation.dataset
        start = operation.start / MIB
        delta = (operation.end - operation.start) / MIB
        peak = (operation.peak - operation.start) / MIB
        tags = dict(_FAILED_TAGS) if failed else {}
        start_name, delta_name, peak_name = _NAMES[kind]
        for name, value in ((start_name, start), (delta_name, delta), (peak_name, peak)):
            measurement = Measurement(
                name, value, "MiB", node=node, dataset=dataset, source=SOURCE, tags=tags
            )
            publish_measurement(measurement)
        threshold = self._config.threshold_mib
        if peak >= threshold or abs(delta) >= threshold:
            logger.info(
                "%s consumed %.2fMiB memory (peak %.2fMiB)%s",
                _describe(kind, node, dataset),
                delta,
                peak,
                " before failing" if failed else "",
            )

    def _monitoring_failed(self, error: BaseException) -> None:
        """Stop measuring for the rest of the run and say so, once."""
        with self._lock:
            self._failed = True
            warn, self._warned = not self._warned, True
        self._tracker.clear()
        if warn:
            logger.warning(
                "hookline-memory stopped measuring memory for the rest of this run; the run "
                "goes on. %s: %s",
                type(error).__name__,
                error,
            )

    def _log_summary(self, measurements: Iterable[Measurement]) -> None:
        try:
            top = heapq.nlargest(
                self._config.top, _operations(measurements), key=lambda summary: summary.peak
            )
        except Exception as error:
            self._monitoring_failed(error)
            return
        if not top:
            return
        lines = [f"Memory: the {len(top)} operation(s) with the highest peak:"]
        for rank, summary in enumerate(top, start=1):
            described = _describe(summary.kind, summary.node, summary.dataset, with_node=True)
            lines.append(
                f"  {rank}. {described}: peak {summary.peak:.2f}MiB, "
                f"consumed {summary.delta:.2f}MiB"
            )
        logger.info("\n".join(lines))


class _OperationSummary(NamedTuple):
    """One measured operation of a run, as the summary after the run lists it."""

    kind: str
    node: str | None
    dataset: str | None
    peak: float
    delta: float


def _operations(measurements: Iterable[Measurement]) -> Iterator[_OperationSummary]:
    """Pair each operation's peak with its retained memory, from this plugin's figures.

    An operation publishes its delta just before its peak, from one thread of one process,
    and the core keeps each process's figures in the order they were published: the delta
    a peak pairs with is the latest one published for the same kind, node, dataset and status.
    """
    deltas: dict[tuple[str, str | None, str | None, str | None], float] = {}
    for measurement in measurements:
        if measurement.source != SOURCE:
            continue
        name, node, dataset = measurement.name, measurement.node, measurement.dataset
        status = measurement.tags.get("status")
        if name in _KIND_OF_DELTA:
            deltas[(_KIND_OF_DELTA[name], node, dataset, status)] = measurement.value
        elif name in _KIND_OF_PEAK:
            kind = _KIND_OF_PEAK[name]
            delta = deltas.pop((kind, node, dataset, status), float("nan"))
            yield _OperationSummary(kind, node, dataset, measurement.value, delta)


def _describe(kind: str, node: str | None, dataset: str | None, with_node: bool = False) -> str:
    """``Loading companies`` / ``Saving model`` / ``Running node train``, in the seed's words."""
    if kind == "node":
        return f"Running node {node}"
    suffix = f" (node {node})" if with_node and node else ""
    return f"{_VERBS.get(kind, kind)} {dataset}{suffix}"
