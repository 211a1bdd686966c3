"""How a run's entities reach the tracking store, without ever waiting through MLflow's retries.

MLflow's client retries a request that fails for up to 7 times with exponential backoff
(``MLFLOW_HTTP_REQUEST_MAX_RETRIES``, ``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR``), and waits up to
120 s for an answer (``MLFLOW_HTTP_REQUEST_TIMEOUT``): minutes per call against a server that
went away. Those settings are process-wide environment variables, which this plugin must not
change under the project's own MLflow calls. So, for an ``http(s)://`` server, :class:`HttpStore`
sends ``log-batch`` and ``runs/update`` requests itself through MLflow's REST helper with no
retry and a short timeout (the plugin retries on its own schedule, see
:mod:`hookline_mlflow.run_logger`); every other store (SQLite, Databricks...) goes through
``MlflowClient`` as it is.

MLflow is imported only inside functions.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from hookline.plugin import strip_userinfo

#: Seconds one request to a tracking server may take before it counts as unanswered.
REQUEST_TIMEOUT = 10
#: Seconds the ``/health`` probe of a server waits.
PROBE_TIMEOUT = 3.0

#: (key, value, timestamp in ms, step)
MetricRow = tuple[str, float, int, int]
#: (key, value)
KeyValue = tuple[str, str]


class Rejected(Exception):
    """The store answered and refused the request (a bad value, an unknown run): sending it
    again cannot help."""


class Store(Protocol):
    """Where a run's metrics, params, tags and end status go."""

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MetricRow],
        params: Sequence[KeyValue],
        tags: Sequence[KeyValue],
    ) -> None:
        """Send one ``log_batch`` (within MLflow's limits).

        Raises:
            Rejected: If the store refused it.
            Exception: If the store did not answer.
        """

    def set_terminated(self, run_id: str, status: str, end_time: int) -> None:
        """End the run with ``status`` at ``end_time`` (ms).

        Raises:
            Rejected: If the store refused it.
            Exception: If the store did not answer.
        """

    def is_up(self) -> bool:
        """Whether the store answers now (quickly)."""


def is_http(uri: str) -> bool:
    """Whether ``uri`` names a tracking server reached over plain HTTP(S)."""
    return urllib.parse.urlsplit(uri).scheme.lower() in ("http", "https")


def make_store(uri: str, client_factory: Callable[[], Any]) -> Store:
    """The store of ``uri``: :class:`HttpStore` for a server, else the ``MlflowClient`` that
    ``client_factory`` makes (on first use)."""
    if is_http(uri):
        return HttpStore(uri)
    return ClientStore(client_factory)


def probe(uri: str, timeout: float = PROBE_TIMEOUT) -> None:
    """Return if the server at ``uri`` answers ``/health`` (any HTTP answer, even an error,
    means it is there), or at once if ``uri`` is not a server's.

    Raises:
        ConnectionError: If nothing answers within ``timeout`` seconds, or the request cannot
            be made; its message never holds the URL (nor a password in it).
    """
    if not is_http(uri):
        return
    from urllib import error as url_error
    from urllib import request as url_request

    # urllib does not take credentials from a URL: it would read "user:password@host" as the
    # host, and put the password in its error. /health needs none.
    health = strip_userinfo(uri).rstrip("/") + "/health"
    try:
        with url_request.urlopen(health, timeout=timeout):
            pass
    except url_error.HTTPError:
        return
    except Exception as error:  # http.client raises more than OSError (BadStatusLine...)
        raise ConnectionError(f"no answer from the server: {_why(error)}") from None


def _why(error: BaseException) -> str:
    """Why a request failed, without the URL: the exception's type and, for a system error,
    its description."""
    reason = getattr(error, "reason", error)  # URLError wraps the socket's error
    if not isinstance(reason, BaseException):
        return type(error).__name__
    description = reason.strerror if isinstance(reason, OSError) else None
    return f"{type(reason).__name__}: {description}" if description else type(reason).__name__


class HttpStore:
    """A tracking server, called through MLflow's REST helper with no retry and a short
    timeout; credentials come from where MLflow's client takes them (the environment)."""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MetricRow],
        params: Sequence[KeyValue],
        tags: Sequence[KeyValue],
    ) -> None:
        """Send one ``log_batch`` (see :class:`Store`)."""
        body = {
            "run_id": run_id,
            "metrics": [
                {"key": k, "value": v, "timestamp": ts, "step": step} for k, v, ts, step in metrics
            ],
            "params": [{"key": k, "value": v} for k, v in params],
            "tags": [{"key": k, "value": v} for k, v in tags],
        }
        self._post("/api/2.0/mlflow/runs/log-batch", body)

    def set_terminated(self, run_id: str, status: str, end_time: int) -> None:
        """End the run (see :class:`Store`)."""
        body = {"run_id": run_id, "run_uuid": run_id, "status": status, "end_time": end_time}
        self._post("/api/2.0/mlflow/runs/update", body)

    def is_up(self) -> bool:
        """Whether the server answers ``/health`` now."""
        try:
            probe(self.uri)
        except Exception:  # whatever goes wrong, the answer is "not now"
            return False
        return True

    def _post(self, endpoint: str, body: dict[str, Any]) -> None:
        from mlflow.exceptions import RestException
        from mlflow.utils.credentials import get_default_host_creds
        from mlflow.utils.rest_utils import http_request, verify_rest_response

        # Untyped in MLflow releases that ship py.typed, absent from mypy's view in others.
        response = http_request(  # type: ignore[no-untyped-call,unused-ignore]
            get_default_host_creds(self.uri),  # type: ignore[no-untyped-call,unused-ignore]
            endpoint,
            "POST",
            max_retries=0,
            backoff_factor=0,
            timeout=REQUEST_TIMEOUT,
            json=body,
        )
        try:
            verify_rest_response(response, endpoint)
        except RestException as error:
            status = response.status_code
            if 400 <= status < 500 and status not in (408, 429):
                raise Rejected(str(error)) from error
            raise


class ClientStore:
    """Any other store, through ``MlflowClient`` (a local store has no outage to wait out)."""

    def __init__(self, client_factory: Callable[[], Any]) -> None:
        self._client_factory = client_factory
        self._client: Any = None

    @property
    def client(self) -> Any:
        """The ``MlflowClient`` (made on first use)."""
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[MetricRow],
        params: Sequence[KeyValue],
        tags: Sequence[KeyValue],
    ) -> None:
        """Send one ``log_batch`` (see :class:`Store`)."""
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.exceptions import MlflowException

        try:
            self.client.log_batch(
                run_id,
                metrics=[Metric(k, v, ts, step) for k, v, ts, step in metrics],
                params=[Param(k, v) for k, v in params],
                tags=[RunTag(k, v) for k, v in tags],
                synchronous=True,
            )
        except MlflowException as error:
            if _is_refusal(error):
                raise Rejected(str(error)) from error
            raise

    def set_terminated(self, run_id: str, status: str, end_time: int) -> None:
        """End the run (see :class:`Store`)."""
        self.client.set_terminated(run_id, status, end_time=end_time)

    def is_up(self) -> bool:
        """A local store is always there."""
        return True


def _is_refusal(error: Any) -> bool:
    code = str(getattr(error, "error_code", ""))
    return code in ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "BAD_REQUEST")


def now_ms() -> int:
    """The current time, as MLflow stores it."""
    return int(time.time() * 1000)
