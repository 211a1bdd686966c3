"""Sending a run's data to MLflow: batches within MLflow's limits, from a background thread,
held through an outage of the tracking server.

:class:`RunLogger` is what the hooks write to. Its methods only append to a buffer (a few
microseconds, whatever the pipeline's size); with ``async_logging`` a background thread sends
the buffer as ``log_batch`` calls every :data:`FLUSH_INTERVAL` seconds (sooner when 1000
metrics wait), and uploads (artifacts, models) run on their own thread. :meth:`RunLogger.flush`
sends whatever is pending and waits for every upload: the hooks call it in worker processes at
the end of every node; :meth:`RunLogger.close` does it, ends the run and stops the threads.
Without ``async_logging`` every call sends before it returns.

When the server stops answering, nothing is lost and no node waits for it: what could not be
sent goes back to the buffer, the background thread checks ``/health`` (for
:data:`hookline_mlflow.store.PROBE_TIMEOUT` seconds at most) every :data:`RETRY_INTERVAL`
seconds and sends everything (held uploads too) once the server is back; a worker's flush at
the end of a node neither sends nor checks during the outage. (Without ``async_logging`` the
check runs in the recording call instead, at most every :data:`RETRY_INTERVAL` seconds.) At
the end of the run :meth:`RunLogger.close` waits for it a bounded time; what is still not
delivered is returned (:class:`Undelivered`) for the hooks to keep in a spool file
(:mod:`hookline_mlflow.spool`).

The logger reads time and waits through a :class:`hookline_mlflow.clock.Clock`: the system's
in every run, one a test steps by hand in its tests.

MLflow is imported here only inside functions: importing this module costs nothing.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from hookline_mlflow import naming
from hookline_mlflow.clock import SYSTEM_CLOCK, Clock
from hookline_mlflow.store import KeyValue, MetricRow, Rejected, Store, now_ms

logger = logging.getLogger("hookline_mlflow")

#: Seconds between two sends of the background thread.
FLUSH_INTERVAL = 1.0
#: Seconds between two checks of a server that stopped answering.
RETRY_INTERVAL = 1.0

__all__ = [
    "Batch",
    "KeyValue",
    "MetricRow",
    "RunLogger",
    "Undelivered",
    "Upload",
    "first_line",
    "split_batches",
]

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


@dataclass
class Upload:
    """An artifact or model upload: ``action(client)`` does it.

    Attributes:
        what: What it uploads, for messages (``artifact data/total.json``, ``model regressor``).
        action: Uploads, given an ``MlflowClient``.
        record: How a spool file keeps it (an artifact's local path and folder), or ``None``
            when it cannot be kept (a model object lives only in this process).
    """

    what: str
    action: Callable[[Any], None]
    record: dict[str, Any] | None = None


@dataclass
class Undelivered:
    """What did not reach the tracking store by the end of a run (or of a worker's node)."""

    metrics: list[MetricRow] = field(default_factory=list)
    params: list[KeyValue] = field(default_factory=list)
    tags: list[KeyValue] = field(default_factory=list)
    uploads: list[Upload] = field(default_factory=list)
    #: The end status the run could not be given, if any.
    status: str | None = None
    #: Why: the last error seen from the store.
    reason: str = ""

    def __bool__(self) -> bool:
        return bool(self.metrics or self.params or self.tags or self.uploads or self.status)


class RunLogger:
    """Buffers what the hooks record for one MLflow run and sends it in batches; holds it
    through an outage of the tracking server.

    Thread-safe: ThreadRunner's threads and the background threads share it.

    Args:
        client_factory: Returns the ``MlflowClient`` uploads use; called on the first upload
            (so a worker process imports MLflow only when it has something to upload).
        store: Where batches and the end status go (see :mod:`hookline_mlflow.store`).
        run_id: The run everything goes to.
        asynchronous: Send from a background thread (else every call sends at once).
        on_error: Called with the exception when the store refuses a batch or an upload fails
            while the store answers: that data is dropped, the run goes on.
        on_outage: Called with the exception when the store stops answering.
        on_recovery: Called with what was delivered (entities, uploads) when it is back.
        clock: What the logger reads time from and waits by (the system's; a test steps its
            own).
    """

    def __init__(
        self,
        client_factory: Callable[[], Any],
        store: Store,
        run_id: str,
        *,
        asynchronous: bool,
        on_error: Callable[[BaseException], None],
        on_outage: Callable[[BaseException], None],
        on_recovery: Callable[[int, int], None],
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.run_id = run_id
        self.asynchronous = asynchronous
        self.store = store
        self._client_factory = client_factory
        self._client: Any = None
        self._on_error = on_error
        self._on_outage = on_outage
        self._on_recovery = on_recovery
        self._clock = clock
        self._lock = threading.Lock()
        # Held while sending, so that batches leave in the order they were made.
        self._send_lock = threading.Lock()
        self._metrics: list[MetricRow] = []
        self._params: list[KeyValue] = []
        self._tags: list[KeyValue] = []
        # Uploads waiting for the upload thread, and the number not finished yet.
        self._uploads: collections.deque[Upload] = collections.deque()
        self._uploads_busy = 0
        self._upload_cond = threading.Condition(self._lock)
        # Uploads that met an outage, sent again when the store is back.
        self._held: list[Upload] = []
        # The upload the upload thread is running, and one that was reported undelivered while
        # it ran (MLflow's client retries a dead server for minutes): if it fails later, it
        # is not held again, so that no spool keeps it twice.
        self._in_flight: Upload | None = None
        self._handed_over: Upload | None = None
        self._thread: threading.Thread | None = None
        self._upload_thread: threading.Thread | None = None
        self._wake = threading.Event()
        self._closed = False
        #: When the store stopped answering (the clock's ``monotonic()``), while it does not.
        self.outage_since: float | None = None
        self._outage_error: BaseException | None = None
        self._next_try = 0.0
        self._held_entities = 0

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

    def upload(self, upload: Upload) -> None:
        """Run an upload: on the upload thread when asynchronous, else now."""
        if self._closed:
            return
        if not self.asynchronous:
            self._run_upload(upload)
            return
        self._enqueue(upload, keep_if_closed=False)

    def _enqueue(self, upload: Upload, *, keep_if_closed: bool) -> None:
        """Give ``upload`` to the upload thread; once closed, drop it, or (``keep_if_closed``)
        hold it, so that it is reported undelivered."""
        with self._upload_cond:
            if self._closed:
                if keep_if_closed:
                    self._held.append(upload)
                return
            self._uploads.append(upload)
            self._uploads_busy += 1
            if self._upload_thread is None:
                self._upload_thread = threading.Thread(
                    target=self._upload_loop, name="hookline-mlflow-upload", daemon=True
                )
                self._upload_thread.start()
            self._upload_cond.notify_all()

    # -- delivering --------------------------------------------------------------------------

    def flush(self, wait: float | None = None) -> None:
        """Send everything recorded so far and wait for every upload started so far (uploads
        that meet an outage are held; with ``wait``, at most that many seconds for a store
        that does not answer).

        During a known outage of an asynchronous logger nothing is sent nor checked here: the
        background thread checks the store every :data:`RETRY_INTERVAL` seconds and sends
        once it is back, and a worker flushes after every node, which must not wait for a
        check (up to :data:`hookline_mlflow.store.PROBE_TIMEOUT` seconds) each time."""
        if self.outage_since is None or not self.asynchronous:
            self._send()
        self._wait_for_uploads(None if wait is None else self._clock.monotonic() + wait)

    def close(self, status: str | None, wait: float) -> Undelivered:
        """Deliver everything, end the run with ``status`` (``None``: leave it as it is), and
        stop the background threads.

        Args:
            status: The run's end status, or ``None`` when another process ends it.
            wait: Seconds to wait, at most, for a store that does not answer.

        Returns:
            What could not be delivered (empty when everything was).
        """
        deadline = self._clock.monotonic() + wait
        try:
            try:
                self._deliver(deadline)
            except Exception as error:
                # Reported, not raised: the run still gets its end status (now, or in the
                # spool); a run left RUNNING is worse than one missing some values.
                self._report(error)
            status = self._end_run(status)
        finally:
            self._stop_threads()
        return self.take_undelivered(status)

    def _end_run(self, status: str | None) -> str | None:
        """End the run with ``status`` once everything was delivered; return the status the
        run could not be given (to keep in the spool), if any."""
        if status is not None and not self._undelivered_count():
            return self._terminate(status)
        return status

    def _deliver(self, deadline: float) -> None:
        """Send everything and wait for the uploads, retrying until ``deadline``."""
        self._send(force=True)
        self._wait_for_uploads(deadline)
        while self._undelivered_count() and self._clock.monotonic() < deadline:
            self._clock.sleep(min(RETRY_INTERVAL, max(0.0, deadline - self._clock.monotonic())))
            self._send(force=True)
            self._wait_for_uploads(deadline)

    def take_undelivered(self, status: str | None = None) -> Undelivered:
        """Remove and return what has not been delivered (what a worker keeps in a spool
        file when the store is away at the end of a node)."""
        with self._upload_cond:
            running = self._in_flight
            # An upload stuck in flight over several node ends is reported at the first.
            in_flight = [] if running is None or running is self._handed_over else [running]
            self._handed_over = running
            left = Undelivered(
                self._metrics,
                self._params,
                self._tags,
                [*self._held, *in_flight, *self._uploads],
                status,
                first_line(self._outage_error) if self._outage_error else "",
            )
            # The queued uploads taken here will never finish on the upload thread.
            self._uploads_busy -= len(self._uploads)
            self._upload_cond.notify_all()
            self._metrics, self._params, self._tags = [], [], []
            self._held, self._uploads = [], collections.deque()
        return left

    def _terminate(self, status: str) -> str | None:
        """End the run; return the status when the store did not answer."""
        try:
            self.store.set_terminated(self.run_id, status, now_ms())
        except Rejected as error:
            self._on_error(error)
        except Exception as error:
            self._enter_outage(error)
            return status
        return None

    def _undelivered_count(self) -> int:
        with self._lock:
            return len(self._metrics) + len(self._params) + len(self._tags) + len(self._held)

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
            self._clock.wait(self._wake, FLUSH_INTERVAL)
            self._wake.clear()
            if not self._closed:
                self._send_in_background()

    def _send_in_background(self) -> None:
        try:
            self._send()
        except Exception as error:  # the thread must live on: the run still records
            self._report(error)

    def _send(self, force: bool = False) -> None:
        """Send what is pending; during an outage, first check (at most every
        :data:`RETRY_INTERVAL` seconds, or now when ``force``) that the store is back."""
        with self._send_lock:
            # Only an outage this call saw the end of is over: one the upload thread meets
            # while this call sends (perhaps nothing at all) is not.
            checked_the_outage = self.outage_since is not None
            if checked_the_outage:
                if not force and self._clock.monotonic() < self._next_try:
                    return
                if not self.store.is_up():
                    self._next_try = self._clock.monotonic() + RETRY_INTERVAL
                    return
            with self._lock:
                metrics, self._metrics = self._metrics, []
                params, self._params = self._params, []
                tags, self._tags = self._tags, []
            sent = self._send_batches(metrics, params, tags)
            if sent is not None and checked_the_outage:
                self._recover(sent)

    def _send_batches(
        self, metrics: list[MetricRow], params: list[KeyValue], tags: list[KeyValue]
    ) -> int | None:
        """Send in batches; return how many entities went, or ``None`` when the store stopped
        answering (what was not sent is back in the buffer, before anything newer)."""
        batches = list(split_batches(metrics, params, tags))
        sent = 0
        for index, batch in enumerate(batches):
            try:
                self.store.log_batch(self.run_id, batch.metrics, batch.params, batch.tags)
            except Rejected as error:
                self._on_error(error)
            except Exception as error:
                self._put_back(batches[index:])
                self._enter_outage(error)
                return None
            sent += len(batch)
        return sent

    def _put_back(self, batches: list[Batch]) -> None:
        with self._lock:
            self._metrics = [row for b in batches for row in b.metrics] + self._metrics
            self._params = [item for b in batches for item in b.params] + self._params
            self._tags = [item for b in batches for item in b.tags] + self._tags

    def _enter_outage(self, error: BaseException) -> None:
        # Test-and-set under the lock: the logger and upload threads may meet the outage at
        # once, and only the first one warns and keeps its error.
        with self._lock:
            self._next_try = self._clock.monotonic() + RETRY_INTERVAL
            first = self.outage_since is None
            if first:
                self._outage_error = error
                self.outage_since = self._clock.monotonic()
                self._held_entities = 0
        if first:
            self._on_outage(error)

    def _recover(self, sent: int) -> None:
        """The store answers again: send the held uploads again, and say so."""
        with self._upload_cond:
            held, self._held = self._held, []
            self.outage_since = None
            self._outage_error = None
        for upload in held:
            if self.asynchronous:
                # The run may be closing meanwhile: then the upload is reported undelivered.
                self._enqueue(upload, keep_if_closed=True)
            else:
                self._run_upload(upload)
        self._on_recovery(sent, len(held))

    # -- uploads -----------------------------------------------------------------------------

    def _upload_loop(self) -> None:
        while True:
            with self._upload_cond:
                while not self._uploads and not self._closed:
                    self._upload_cond.wait()
                if self._closed:
                    return  # what is left is reported undelivered
                upload = self._uploads.popleft()
                self._in_flight = upload
            try:
                self._run_upload(upload)
            except Exception as error:  # the thread must live on: later uploads still go
                self._report(error)
            finally:
                with self._upload_cond:
                    self._in_flight = None
                    self._uploads_busy -= 1
                    self._upload_cond.notify_all()

    def _report(self, error: BaseException) -> None:
        """Report an unexpected error through ``on_error``, which must not raise here either
        (a background thread, or the end of the run, would stop)."""
        try:
            self._on_error(error)
        except Exception:
            logger.debug("hookline-mlflow: reporting %r failed", error, exc_info=True)

    def _run_upload(self, upload: Upload) -> None:
        """Upload; hold it when the store does not answer (an upload that fails while the
        store answers, e.g. a file gone missing, is reported and dropped)."""
        if self._hold_during_outage(upload):
            return
        # Checked first: an upload that meets a dead server inside MLflow's client would wait
        # through its retries (minutes), where the check fails at once.
        if not self.store.is_up():
            self._hold(upload)
            self._enter_outage(ConnectionError(f"no answer before uploading {upload.what}"))
            return
        try:
            upload.action(self.client)
        except Exception as error:
            if self.store.is_up():
                self._on_error(error)
                return
            self._hold(upload)
            self._enter_outage(error)

    def _hold_during_outage(self, upload: Upload) -> bool:
        """Hold ``upload`` if an outage is known; whether it was. Looked at and held under
        the lock, so that a recovery cannot slip in between and leave the upload held for an
        outage that is over."""
        with self._lock:
            if self.outage_since is None:
                return False
            self._keep_held(upload)
            return True

    def _hold(self, upload: Upload) -> None:
        """Keep ``upload`` to run again once the store is back."""
        with self._lock:
            self._keep_held(upload)

    def _keep_held(self, upload: Upload) -> None:
        # Called with the lock held. An upload already reported undelivered while it ran is
        # not kept again, so that no spool keeps it twice.
        if upload is not self._handed_over:
            self._held.append(upload)

    def _wait_for_uploads(self, deadline: float | None) -> None:
        """Wait until the upload thread is idle (or gone); with a ``deadline``, give up at it
        when the store does not answer (an upload inside MLflow's own retries can take
        minutes)."""
        while True:
            with self._upload_cond:
                if self._uploads_busy:
                    self._clock.wait(self._upload_cond, RETRY_INTERVAL)
                thread = self._upload_thread
                if not self._uploads_busy or thread is None or not thread.is_alive():
                    return
            # Probed outside the lock: the hot path takes it.
            expired = deadline is not None and self._clock.monotonic() >= deadline
            if expired and (self.outage_since is not None or not self.store.is_up()):
                return

    def _stop_threads(self) -> None:
        with self._upload_cond:
            self._closed = True
            self._upload_cond.notify_all()
        self._wake.set()
        for thread in (self._thread, self._upload_thread):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=5.0)


def first_line(error: BaseException) -> str:
    """``error`` in one line, for a message: its type and the first line of its text."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__
