"""The hook implementations of hookline-statsd: timers, counters and gauges for every node,
dataset load and save, run, and every measurement other plugins publish.

Metric names (before the prefix; each ``<name>`` mapped by :mod:`hookline_statsd.names`):

=========================================  =======  =============================================
name                                       type     what
=========================================  =======  =============================================
``node.<node>.duration``                   timer    the node's function, in ms
``node.<node>.success``                    counter  +1 when the node and its saves completed
``node.<node>.failure``                    counter  +1 when anything about the node failed
``dataset.<dataset>.load_duration``        timer    one load, in ms
``dataset.<dataset>.save_duration``        timer    one save, in ms
``dataset.<dataset>.rows`` / ``.columns``  gauge    of data frames and arrays loaded or saved
``dataset.<dataset>.length``               gauge    of strings, bytes and collections
``dataset.<dataset>.bytes``                gauge    deep size, where it can be measured
``run.<pipeline>.duration``                timer    the whole run, in ms
``run.<pipeline>.count``                   counter  +1 per run, finished or failed
``run.<pipeline>.failures``                counter  +1 per failed run
``run.<pipeline>.nodes_completed``         counter  +1 per completed node, from whichever process
``measurement.<name>.<subject>``           gauge    a published measurement; subject: its dataset,
                                                    else its node, else ``run`` (not the core's
                                                    ``dataset.*`` sizes: the gauges above say
                                                    them, deep)
=========================================  =======  =============================================

One thread's metrics go into that thread's pipeline (the ``statsd`` client's batching) and are
sent when the node is done: after its last save, or when it failed. A node thus costs one UDP
packet (more only when its lines exceed ``max_udp_size``), never one per metric.
"""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from hookline.plugin import (
    CORE_SOURCE,
    DEFAULT_PIPELINE,
    ConfigError,
    hook_impl,
    shown_pipeline_name,
)
from hookline_statsd.config import DEFAULT, StatsdConfig, load_config, with_environment
from hookline_statsd.names import metric_part, metric_path, tag_value
from hookline_statsd.sizes import measure

if TYPE_CHECKING:
    from hookline.plugin import HooklineContext, Measurement, Node, Pipeline
    from hookline_statsd.transport import Address, Batch, Client

__all__ = ["StatsdHooks"]

logger = logging.getLogger("hookline_statsd")

#: Seconds after an error before sending starts again, when no run start was seen (a runner
#: called directly, without a session, so ``before_pipeline_run`` does not fire).
RETRY_AFTER = 30.0

#: The size gauges of a dataset (see :mod:`hookline_statsd.sizes`).
_FIGURES = ("rows", "columns", "length", "bytes")


class _NodeNames(NamedTuple):
    duration: str
    success: str
    failure: str


class _DatasetNames(NamedTuple):
    load: str
    save: str
    figures: dict[str, str]


class _RunNames(NamedTuple):
    duration: str
    runs: str
    failures: str
    nodes_completed: str


class _ThreadState(threading.local):
    """What one thread holds between the hooks of the node it runs."""

    def __init__(self) -> None:
        self.batch: Batch | None = None
        # Between a node's first hook and the send after its last save.
        self.in_node = False
        self.pending_saves = 0
        self.node_started = 0.0
        self.loads: dict[str, float] = {}
        self.saves: dict[str, float] = {}


class StatsdHooks:
    """Sends node, dataset and run metrics, and other plugins' measurements, to StatsD.

    Registered by the ``statsd`` entry point of the ``hookline.hooks`` group, so installing
    the distribution is enough. It reads ``conf/<env>/statsd.yml`` in
    ``after_context_created`` (see :mod:`hookline_statsd.config`), looks the daemon's host up
    once in ``before_pipeline_run`` (with a deadline), and hands its settings and the address
    to its copies in worker processes through ``export_worker_state``.

    Monitoring never fails a run: any error of its own (the host lookup, a refused
    connection, a socket error) is logged once as a warning, and nothing more is sent until
    the next run starts. A runner called directly, without a session, shows no run start
    (``before_pipeline_run`` does not fire): sending then starts again ``retry_after``
    seconds after the error, with a new host lookup and socket, so that a long-lived process
    recovers once the daemon is back; a failure after that warns again, at most once per
    ``retry_after``. Data that cannot be measured loses its size gauges only.

    Args:
        config: The settings to start with, before ``statsd.yml`` is read.
        retry_after: Seconds before sending starts again after an error, when no run start
            was seen.
        clock: The seconds of a monotonic clock, which times nodes, loads, saves and runs and
            the ``retry_after`` back-off (:func:`time.perf_counter` by default). It stays in
            this process: copies in worker processes use :func:`time.perf_counter`.
    """

    def __init__(
        self,
        config: StatsdConfig = DEFAULT,
        retry_after: float = RETRY_AFTER,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._setup(config, retry_after, clock)

    def _setup(
        self,
        config: StatsdConfig,
        retry_after: float = RETRY_AFTER,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._config = config
        self._retry_after = retry_after
        self._clock = clock
        # Reentrant: a start that fails warns, and warning takes the lock too. Never taken on
        # the per-node path.
        self._lock = threading.RLock()
        self._local = _ThreadState()
        self._client: Client | None = None
        self._settings: StatsdConfig | None = None
        self._address: Address | None = None
        self._off = False
        self._warned = False
        # Whether a run start was seen (before_pipeline_run here, or the main process's state
        # in a worker): giving up then lasts until the next start, else until _resume_at.
        self._run_bounded = False
        self._resume_at = math.inf
        self._pipeline = DEFAULT_PIPELINE
        self._session = ""
        self._run_started: float | None = None
        self._apply_settings(config)
        self._node_names: dict[str, _NodeNames] = {}
        self._dataset_names: dict[str, _DatasetNames] = {}
        self._measurement_names: dict[tuple[str, str], str] = {}
        self._suffixes: dict[tuple[str | None, str | None], str] = {}

    def _apply_settings(self, settings: StatsdConfig) -> None:
        # Plain attributes: the hot path reads them without a method call.
        self._nodes = settings.nodes
        self._datasets = settings.datasets
        self._sizes = settings.sizes
        self._bytes = settings.bytes
        self._runs = settings.runs
        self._measurements = settings.measurements
        self._tags = settings.tags
        self._run_names = _run_names(self._pipeline)

    # -- configuration and worker processes --------------------------------------------------

    @property
    def config(self) -> StatsdConfig:
        """The settings from ``statsd.yml`` (before environment variables)."""
        return self._config

    @property
    def settings(self) -> StatsdConfig:
        """The settings the current run uses: :attr:`config` with ``STATSD_*`` applied."""
        return self._settings or _with_environment_or(self._config)

    def configure(self, config: StatsdConfig) -> None:
        """Use ``config`` from the next run on."""
        with self._lock:
            self._config = config

    def __getstate__(self) -> dict[str, Any]:
        # Sockets, locks and per-thread state stay in their process; the settings travel.
        return {"config": self._config.to_dict(), "retry_after": self._retry_after}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._setup(StatsdConfig.from_dict(state["config"]), state.get("retry_after", RETRY_AFTER))

    @hook_impl
    def export_worker_state(self) -> dict[str, Any]:
        """What this plugin's copies in worker processes need: the run's settings, the
        address found in this process (workers never look the host up), the pipeline and
        session, and whether sending was given up."""
        with self._lock:
            if self._client is None and (not self._off or self._resumed()):
                # A runner called without a session: look the host up here, once, rather
                # than in every worker.
                self._start_locked(self._pipeline, self._session)
        settings = self.settings
        return {
            "config": self._config.to_dict(),
            "settings": settings.to_dict(),
            "address": self._address,
            "off": self._off,
            "pipeline": self._pipeline,
            "session": self._session,
        }

    @hook_impl
    def restore_worker_state(self, state: Mapping[str, Any] | None) -> None:
        """In a worker process, before its first node: take the main process's settings and
        address and start sending afresh (a forked worker drops the socket it inherited)."""
        if state is None:
            return
        with self._lock:
            self._close_client()
            self._config = StatsdConfig.from_dict(state["config"])
            self._local = _ThreadState()
            self._suffixes = {}
            self._pipeline = state["pipeline"]
            self._session = state["session"]
            settings = StatsdConfig.from_dict(state["settings"])
            self._apply_settings(settings)
            self._settings = settings
            self._address = state["address"]
            # The main process started this run: a worker gives up until the next one.
            self._run_bounded = True
            self._resume_at = math.inf
            # The main process has warned already, if it gave up; a worker stays quiet.
            self._off = bool(state["off"]) or not settings.enabled
            self._warned = self._off
            if not self._off:
                try:
                    self._client = self._create_client(settings, self._address)
                except Exception as error:
                    self._give_up(error)

    # -- hooks: configuration and run --------------------------------------------------------

    @hook_impl
    def after_context_created(self, context: HooklineContext) -> None:
        """Read and validate ``statsd.yml`` and the ``STATSD_*`` environment variables.

        Raises:
            ConfigError: Naming the file and key (or variable), for an unknown key (with the
                allowed keys) or a bad value.
        """
        config = load_config(context.config_loader)
        with_environment(config)  # a bad STATSD_PORT is a configuration error, now
        self.configure(config)

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Pipeline) -> None:
        """Look the daemon's host up (once, with a deadline), open the client and start the
        run's timer."""
        self._start(
            shown_pipeline_name(run_params),
            str(run_params.get("session_id") or ""),
        )
        self._run_started = self._clock()

    @hook_impl
    def after_pipeline_run(self) -> None:
        """Send the run's duration and count."""
        self._finish_run(failed=False)

    @hook_impl
    def on_pipeline_error(self) -> None:
        """Send the run's duration, count and failure."""
        self._finish_run(failed=True)

    # -- hooks: nodes and datasets (the hot path) ---------------------------------------------
    # Opening hooks fire last and closing ones first, so that the time other plugins' hooks
    # take is not counted as the node's or the dataset's.

    @hook_impl(trylast=True)
    def before_dataset_loaded(self, dataset_name: str) -> None:
        """Start timing a load."""
        if not self._off or self._resumed():
            local = self._local
            local.in_node = True
            local.loads[dataset_name] = self._clock()

    @hook_impl(tryfirst=True)
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Node) -> None:
        """Add the load's duration and the data's sizes to the thread's batch."""
        if self._off and not self._resumed():
            return
        ended = self._clock()
        try:
            started = self._local.loads.pop(dataset_name, None)
            self._dataset_metrics(dataset_name, data, node, started, ended, load=True)
        except Exception as error:
            self._fail(error)

    @hook_impl(trylast=True)
    def before_node_run(self, node: Node) -> None:
        """Start timing the node's function."""
        if not self._off or self._resumed():
            local = self._local
            local.in_node = True
            local.node_started = self._clock()

    @hook_impl(tryfirst=True)
    def after_node_run(self, node: Node, outputs: dict[str, Any]) -> None:
        """Add the node's duration; send the batch now if the node saves nothing."""
        if self._off and not self._resumed():
            return
        ended = self._clock()
        try:
            local = self._local
            if self._nodes:
                batch = local.batch or self._new_batch()
                if self._tags:
                    batch.suffix = self._suffix(node.name, None)
                names = self._node_names.get(node.name) or self._name_node(node.name)
                batch.timing(names.duration, (ended - local.node_started) * 1000.0)
            local.pending_saves = len(outputs)
            if not outputs:
                self._node_completed(node)
        except Exception as error:
            self._fail(error)

    @hook_impl(trylast=True)
    def before_dataset_saved(self, dataset_name: str) -> None:
        """Start timing a save."""
        if not self._off or self._resumed():
            self._local.saves[dataset_name] = self._clock()

    @hook_impl(tryfirst=True)
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        """Add the save's duration and the data's sizes; after the node's last save, count
        the node as completed and send the batch."""
        if self._off and not self._resumed():
            return
        ended = self._clock()
        try:
            local = self._local
            started = local.saves.pop(dataset_name, None)
            self._dataset_metrics(dataset_name, data, node, started, ended, load=False)
            local.pending_saves -= 1
            if local.pending_saves <= 0:
                self._node_completed(node)
        except Exception as error:
            self._fail(error)

    @hook_impl(tryfirst=True)
    def on_node_error(self, node: Node) -> None:
        """Count the node's failure and send the batch."""
        local = self._local
        local.loads.clear()
        local.saves.clear()
        local.pending_saves = 0
        local.in_node = False
        if self._off and not self._resumed():
            return
        try:
            # Read again: a resume replaces what threads held.
            batch = self._local.batch or self._new_batch()
            if self._nodes:
                if self._tags:
                    batch.suffix = self._suffix(node.name, None)
                names = self._node_names.get(node.name) or self._name_node(node.name)
                batch.incr(names.failure)
            batch.send()
        except Exception as error:
            self._fail(error)

    @hook_impl
    def on_measurement(self, measurement: Measurement) -> None:
        """Send a measurement another plugin published as a gauge; with the node's batch if
        it came while a node runs in this thread, else at once."""
        if not self._measurements or (self._off and not self._resumed()):
            return
        if measurement.source == CORE_SOURCE and measurement.name.startswith("dataset."):
            return  # the core's shallow sizes, which the dataset gauges already give
        try:
            value = float(measurement.value)
            if not math.isfinite(value):
                # StatsD has no way to say NaN or infinity: the daemon would refuse the line.
                return
            local = self._local
            batch = local.batch or self._new_batch()
            key = (measurement.name, measurement.subject())
            name = self._measurement_names.get(key)
            if name is None:
                name = self._measurement_names[key] = (
                    f"measurement.{metric_path(key[0])}.{metric_part(key[1])}"
                )
            if self._tags:
                batch.suffix = self._suffix(measurement.node, measurement.dataset)
            batch.gauge(name, value)
            if not local.in_node:
                batch.send()
        except Exception as error:
            self._fail(error)

    # -- internals -----------------------------------------------------------------------------

    def _dataset_metrics(
        self,
        dataset_name: str,
        data: Any,
        node: Node,
        started: float | None,
        ended: float,
        *,
        load: bool,
    ) -> None:
        if not (self._datasets or self._sizes or self._bytes):
            return
        batch = self._local.batch or self._new_batch()
        if self._tags:
            batch.suffix = self._suffix(node.name, dataset_name)
        names = self._dataset_names.get(dataset_name) or self._name_dataset(dataset_name)
        if self._datasets and started is not None:
            batch.timing(names.load if load else names.save, (ended - started) * 1000.0)
        if self._sizes or self._bytes:
            sizes, deep = self._sizes, self._bytes
            try:
                measured = measure(data, deep)
            except Exception as error:
                # Data that cannot be measured loses its gauges, not the run its metrics.
                logger.debug("hookline-statsd could not measure %s: %r", dataset_name, error)
                return
            figures = names.figures
            for figure, value in measured:
                if sizes if figure != "bytes" else deep:
                    batch.gauge(figures[figure], value)

    def _node_completed(self, node: Node) -> None:
        local = self._local
        local.in_node = False
        batch = local.batch or self._new_batch()
        if self._tags:
            batch.suffix = self._suffix(node.name, None)
        if self._nodes:
            names = self._node_names.get(node.name) or self._name_node(node.name)
            batch.incr(names.success)
        if self._runs:
            batch.incr(self._run_names.nodes_completed)
        batch.send()

    def _new_batch(self) -> Batch:
        """The calling thread's pipeline, made on its first metric (starting the client if
        no ``before_pipeline_run`` or ``restore_worker_state`` did)."""
        client = self._client
        if client is None:
            with self._lock:
                if self._client is None and not self._off:
                    self._start_locked(self._pipeline, self._session)
                client = self._client
            if client is None:
                # Starting failed (and was warned about): nothing is sent in this run.
                raise _Stopped()
        batch = client.pipeline()
        self._local.batch = batch
        return batch

    def _start(self, pipeline: str, session: str) -> None:
        with self._lock:
            # A new run: what threads held of the previous one goes.
            self._local = _ThreadState()
            self._run_bounded = True
            self._start_locked(pipeline, session)

    def _start_locked(self, pipeline: str, session: str) -> None:
        """Begin sending: settings with the environment applied, one host lookup, a client."""
        self._close_client()
        self._off = False
        self._warned = False
        self._resume_at = math.inf
        self._suffixes = {}
        self._pipeline = pipeline
        self._session = session
        try:
            settings = with_environment(self._config)
        except ConfigError as error:
            self._give_up(error)
            return
        self._settings = settings
        self._apply_settings(settings)
        if not settings.enabled:
            self._off = True
            return
        try:
            from hookline_statsd import transport

            self._address = transport.resolve(settings)
            self._client = self._create_client(settings, self._address)
        except Exception as error:
            self._give_up(error)

    @staticmethod
    def _create_client(settings: StatsdConfig, address: Address | None) -> Client:
        from hookline_statsd import transport

        return transport.create_client(settings, address, settings.prefix)

    def _finish_run(self, failed: bool) -> None:
        started, self._run_started = self._run_started, None
        with self._lock:
            # The run is over: a runner called without a session later gets the back-off.
            self._run_bounded = False
            if self._off and self._resume_at == math.inf:
                self._resume_at = self._clock() + self._retry_after
        if self._off or not self._runs or started is None:
            return
        try:
            batch = self._local.batch or self._new_batch()
            if self._tags:
                batch.suffix = self._suffix(None, None)
            names = self._run_names
            batch.timing(names.duration, (self._clock() - started) * 1000.0)
            batch.incr(names.runs)
            if failed:
                batch.incr(names.failures)
            batch.send()
        except Exception as error:
            self._fail(error)

    def _name_node(self, name: str) -> _NodeNames:
        part = metric_part(name)
        names = _NodeNames(f"node.{part}.duration", f"node.{part}.success", f"node.{part}.failure")
        self._node_names[name] = names
        return names

    def _name_dataset(self, name: str) -> _DatasetNames:
        part = metric_part(name)
        names = _DatasetNames(
            f"dataset.{part}.load_duration",
            f"dataset.{part}.save_duration",
            {figure: f"dataset.{part}.{figure}" for figure in _FIGURES},
        )
        self._dataset_names[name] = names
        return names

    def _suffix(self, node: str | None, dataset: str | None) -> str:
        """The DogStatsD tags of a line about ``node`` and ``dataset`` (cached)."""
        key = (node, dataset)
        suffix = self._suffixes.get(key)
        if suffix is None:
            values = {
                "pipeline": self._pipeline,
                "node": node,
                "dataset": dataset,
                "session": self._session,
            }
            tags = [f"{tag}:{tag_value(value)}" for tag in self._tags if (value := values[tag])]
            suffix = self._suffixes[key] = "|#" + ",".join(tags) if tags else ""
        return suffix

    def _fail(self, error: BaseException) -> None:
        """Give up after an error of a hook (unless it is the news that sending stopped)."""
        if not isinstance(error, _Stopped):
            self._give_up(error)

    def _give_up(self, error: BaseException) -> None:
        """Stop sending and say so, once: until the next run start, or for ``retry_after``
        seconds when no run start was seen (a runner called without a session)."""
        with self._lock:
            self._off = True
            self._close_client()
            self._resume_at = math.inf if self._run_bounded else self._clock() + self._retry_after
        self._warn(error)

    def _resumed(self) -> bool:
        """Whether sending, given up with no run start seen, may start again: its back-off is
        over. The next batch then starts afresh (lookup, socket), as a run start would."""
        if self._clock() < self._resume_at:
            return False
        with self._lock:
            if self._off and self._clock() >= self._resume_at:
                self._off = False
                self._resume_at = math.inf
                # What threads held belongs to the old socket; their batches go with it.
                self._local = _ThreadState()
            return not self._off

    def _warn(self, error: BaseException) -> None:
        with self._lock:
            warn, self._warned = not self._warned, True
            until = (
                "for the rest of this run"
                if self._resume_at == math.inf
                else f"for {self._retry_after:g} s (no run start seen: a runner called without "
                "a session)"
            )
        if warn:
            target = (self._settings or _with_environment_or(self._config)).describe_target()
            logger.warning(
                "hookline-statsd stopped sending metrics to %s %s; the run goes on. %s: %s",
                target,
                until,
                type(error).__name__,
                error,
            )

    def _close_client(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(OSError):  # already broken: nothing to release
                client.close()


class _Stopped(Exception):
    """Raised inside a hook when sending was given up; never escapes the plugin."""


def _run_names(pipeline: str) -> _RunNames:
    part = metric_part(pipeline)
    return _RunNames(
        f"run.{part}.duration", f"run.{part}.count", f"run.{part}.failures",
        f"run.{part}.nodes_completed",
    )  # fmt: skip


def _with_environment_or(config: StatsdConfig) -> StatsdConfig:
    """``config`` with the ``STATSD_*`` variables applied, or as it is if they are invalid."""
    try:
        return with_environment(config)
    except ConfigError:
        return config
