"""Sending a run's data to MLflow: batches within MLflow's limits, from a background thread.

:class:`RunLogger` is what the hooks write to. Its methods only append to a buffer (a few
microseconds, whatever the pipeline's size); with ``async_logging`` a background thread sends
the buffer as ``log_batch`` calls every :data:`FLUSH_INTERVAL` seconds (sooner when 1000
metrics wait), and uploads (artifacts, models) run on their own thread. :meth:`RunLogger.flush`
sends whatever is pending and waits for every upload: the hooks call it before a run is ended,
and in worker processes at the end of every node. Without ``async_logging`` every call sends
before it returns.

MLflow is imported here only inside functions: importing this module costs nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from hookline_mlflow import naming

logger = logging.getLogger("hookline_mlflow")

#: Seconds between two sends of the background thread.
FLUSH_INTERVAL = 1.0

#: (key, value, timestamp in ms, step)
MetricRow = tuple[str, float, int, int]
#: (key, value)
KeyValue = tuple[str, str]

# A generous estimate of what one entity adds to the JSON of a log_batch request beyond its
# key and value (field names, quotes, a timestamp and a step).
_ENTITY_OVERHEAD = 80
# MLflow refuses a request over 1 MB; the estimate stays below it with room to spare.
_BATCH_BYTES_BUDGET = int(naming.MAX_BATCH_REQUEST_BYTES * 0.9)


@dataclass
class Batch:
    """The entities of one ``log_batch`` call."""

    metrics: list[MetricRow] = field(default_factory=list)
    params: list[KeyValue] = field(default_factory=list)
    tags: list[KeyValue] = field(default_factory=list)
    size: int = 0

    def __len__(self) -> int:
        return len(self.metrics) + len(self.params) + len(self.tags)


def split_batches(
    metrics: Sequence[MetricRow] = (),
    params: Sequence[KeyValue] = (),
    tags: Sequence[KeyValue] = (),
) -> Iterator[Batch]:
    """Split entities into ``log_batch`` calls that respect every limit of MLflow's REST API:
    at most 1000 metrics, 100 params, 100 tags and 1000 entities in all per call, and a
    request under 1 MB. The order within each kind is kept (MLflow keeps the last value of a
    tag logged twice)."""
    batch = Batch()
    kinds: tuple[tuple[str, Sequence[Any], int], ...] = (
        ("params", params, naming.MAX_PARAMS_TAGS_PER_BATCH),
        ("tags", tags, naming.MAX_PARAMS_TAGS_PER_BATCH),
        ("metrics", metrics, naming.MAX_METRICS_PER_BATCH),
    )
    for kind, items, limit in kinds:
        for item in items:
            size = len(item[0]) + len(str(item[1])) + _ENTITY_OVERHEAD
            full = (
                len(getattr(batch, kind)) >= limit
                or len(batch) >= naming.MAX_ENTITIES_PER_BATCH
                or (len(batch) > 0 and batch.size + size > _BATCH_BYTES_BUDGET)
            )
            if full:
                yield batch
                batch = Batch()
            getattr(batch, kind).append(item)
            batch.size += size
    if len(batch):
        yield batch


def import_mlflow() -> Any:
    """Import MLflow (seconds, the first time in a process)."""
    import mlflow

    return mlflow


def make_client(tracking_uri: str) -> Any:
    """An ``MlflowClient`` of ``tracking_uri``."""
    mlflow = import_mlflow()
    return mlflow.MlflowClient(tracking_uri=tracking_uri)


def check_limits() -> list[str]:
    """The limits of the installed MLflow that differ from the ones :mod:`naming` assumes
    (empty when they agree); used by the tests."""
    from mlflow.utils import validation

    expected = {
        "MAX_ENTITY_KEY_LENGTH": naming.MAX_KEY_LENGTH,
        "MAX_PARAM_VAL_LENGTH": naming.MAX_PARAM_VALUE_LENGTH,
        "MAX_TAG_VAL_LENGTH": naming.MAX_TAG_VALUE_LENGTH,
        "MAX_PARAMS_TAGS_PER_BATCH": naming.MAX_PARAMS_TAGS_PER_BATCH,
        "MAX_METRICS_PER_BATCH": naming.MAX_METRICS_PER_BATCH,
        "MAX_ENTITIES_PER_BATCH": naming.MAX_ENTITIES_PER_BATCH,
        "MAX_BATCH_LOG_REQUEST_SIZE": naming.MAX_BATCH_REQUEST_BYTES,
    }
    return [
        f"{name}: MLflow {getattr(validation, name, None)}, hookline-mlflow {value}"
        for name, value in expected.items()
        if getattr(validation, name, value) != value
    ]


class RunLogger:
    """Buffers what the hooks record for one MLflow run and sends it in batches.

    Thread-safe: ThreadRunner's threads and the background thread share it.

    Args:
        client_factory: Returns the ``MlflowClient`` to send with; called once, on the first
            send (so a worker process imports MLflow only when it has something to send).
        run_id: The run everything goes to.
        asynchronous: Send from a background thread (else every call sends at once).
        on_error: Called with the exception when a send or an upload fails; from then on
            nothing more is sent (a monitoring failure never fails the run).
    """

    def __init__(
        self,
        client_factory: Callable[[], Any],
        run_id: str,
        *,
        asynchronous: bool,
        on_error: Callable[[BaseException], None],
    ) -> None:
        self.run_id = run_id
        self.asynchronous = asynchronous
        self._client_factory = client_factory
        self._client: Any = None
        self._on_error = on_error
        self._lock = threading.Lock()
        # Held while sending, so that batches leave in the order they were made.
        self._send_lock = threading.Lock()
        self._metrics: list[MetricRow] = []
        self._params: list[KeyValue] = []
        self._tags: list[KeyValue] = []
        self._uploads: list[Future[None]] = []
        self._executor: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._closed = False
        self.failed = False

    @property
    def client(self) -> Any:
        """The ``MlflowClient`` (made on first use)."""
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    # -- recording (the hot path) ------------------------------------------------------------

    def metric(self, key: str, value: float, step: int = 0) -> None:
        """Record one metric value (``key`` must already be valid, see :mod:`naming`)."""
        if self._closed:
            return  # a node still running after the run ended (Ctrl-C under ThreadRunner)
        row = (key, value, int(time.time() * 1000), step)
        with self._lock:
            self._metrics.append(row)
            pending = len(self._metrics)
        self._pending(pending >= naming.MAX_METRICS_PER_BATCH)

    def metrics(self, rows: Iterable[tuple[str, float, int]]) -> None:
        """Record several ``(key, value, step)`` metric values at once."""
        if self._closed:
            return
        now = int(time.time() * 1000)
        with self._lock:
            self._metrics.extend((key, value, now, step) for key, value, step in rows)
            pending = len(self._metrics)
        self._pending(pending >= naming.MAX_METRICS_PER_BATCH)

    def params(self, items: Iterable[KeyValue]) -> None:
        """Record parameters (valid keys, values within MLflow's limit)."""
        if self._closed:
            return
        with self._lock:
            self._params.extend(items)
        # Sent at once: recorded when the run starts, they go while the first nodes run.
        self._pending(True)

    def tags(self, items: Iterable[KeyValue]) -> None:
        """Record tags (valid keys, values within MLflow's limit)."""
        if self._closed:
            return
        with self._lock:
            self._tags.extend(items)
        self._pending(True)

    def upload(self, action: Callable[[Any], None]) -> None:
        """Run ``action(client)`` (an artifact or model upload): on the upload thread when
        asynchronous, else now."""
        if self.failed or self._closed:
            return
        if not self.asynchronous:
            self._guard(action, fatal=False)
            return
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="hookline-mlflow-upload")
            future = self._executor.submit(self._guard, action, False)
            self._uploads.append(future)

    # -- sending -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Send everything recorded so far and wait for every upload started so far."""
        self._send()
        with self._lock:
            uploads, self._uploads = self._uploads, []
        for future in uploads:
            future.result()

    def close(self) -> None:
        """Flush, then stop the background threads."""
        try:
            self.flush()
        finally:
            self._closed = True
            self._wake.set()
            thread = self._thread
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=5.0)
            if self._executor is not None:
                self._executor.shutdown(wait=True)

    def _pending(self, urgent: bool) -> None:
        if not self.asynchronous:
            self._send()
            return
        if self._thread is None:
            self._start_thread()
        if urgent:
            self._wake.set()

    def _start_thread(self) -> None:
        with self._lock:
            # Another thread may have started it since the caller looked.
            if self._thread is not None or self._closed:
                return
            self._thread = threading.Thread(
                target=self._loop, name="hookline-mlflow-logger", daemon=True
            )
            self._thread.start()

    def _loop(self) -> None:
        while not self._closed:
            self._wake.wait(FLUSH_INTERVAL)
            self._wake.clear()
            if not self._closed:
                self._send()

    def _send(self) -> None:
        with self._send_lock:
            with self._lock:
                metrics, self._metrics = self._metrics, []
                params, self._params = self._params, []
                tags, self._tags = self._tags, []
            if self.failed or not (metrics or params or tags):
                return
            self._guard(lambda client: self._send_batches(client, metrics, params, tags))

    def _send_batches(
        self,
        client: Any,
        metrics: list[MetricRow],
        params: list[KeyValue],
        tags: list[KeyValue],
    ) -> None:
        from mlflow.entities import Metric, Param, RunTag

        for batch in split_batches(metrics, params, tags):
            client.log_batch(
                self.run_id,
                metrics=[Metric(k, v, ts, step) for k, v, ts, step in batch.metrics],
                params=[Param(k, v) for k, v in batch.params],
                tags=[RunTag(k, v) for k, v in batch.tags],
                synchronous=True,
            )

    def _guard(self, action: Callable[[Any], None], fatal: bool = True) -> None:
        """Run ``action(client)``; on failure report it, and after a failed send (``fatal``)
        stop sending: the store is likely gone, and each further call would wait through
        MLflow's retries. A failed upload (a file gone missing) stops nothing else."""
        if self.failed:
            return
        try:
            action(self.client)
        except Exception as error:
            if fatal:
                self.failed = True
                with self._lock:
                    self._metrics, self._params, self._tags = [], [], []
            self._on_error(error)
