"""A real MLflow tracking server (``mlflow server``, uvicorn) on 127.0.0.1, for the tests.

It stores runs in a SQLite database and artifacts in a folder, both in a temporary directory,
and serves artifacts itself (``--artifacts-destination``), so that clients upload through the
server as they would to a remote one. MLflow 3's security middleware accepts only the Host
headers it is told about: the server is started with ``--allowed-hosts`` naming
``127.0.0.1:<port>`` and ``localhost:<port>``.

The session-scoped fixture :func:`mlflow_server` starts one for the whole test session
(starting one takes from seconds to a minute on a busy machine)::

    def test_a_run_is_tracked(mlflow_server):
        client = MlflowClient(mlflow_server.uri)
        ...

:func:`running_mlflow_server` is the same server as a context manager, for the example's
end-to-end test and the benchmark. The server is stopped by its pid (its process group).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HOST = "127.0.0.1"
#: Seconds to wait for /health: `import mlflow` and the database migrations take a while on a
#: machine whose cores are busy.
START_TIMEOUT = 300.0


@dataclass(frozen=True)
class MlflowServer:
    """A running tracking server.

    Attributes:
        uri: The tracking URI, ``http://127.0.0.1:<port>``.
        port: Its port.
        pid: The server's process id (the leader of its process group).
        root: The temporary folder holding its database, artifacts and log.
        log_path: Where its output goes.
    """

    uri: str
    port: int
    pid: int
    root: Path
    log_path: Path

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's output (for failure messages)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def missing() -> str | None:
    """Why a server cannot start here (MLflow not installed), or ``None``."""
    if importlib.util.find_spec("mlflow") is None:
        return 'mlflow is not installed (pip install "plugins/hookline-mlflow[test]")'
    return None


def require(reason: str | None) -> None:
    """Skip the calling test with ``reason``, or fail it when the environment variable CI is
    set (CI must never pass without the real server)."""
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and the MLflow server cannot run: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def is_up(uri: str, timeout: float = 2.0) -> bool:
    """Whether the server at ``uri`` answers ``/health`` with 200."""
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=timeout) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def wait_until_up(uri: str, timeout: float = 60.0) -> bool:
    """Whether the server at ``uri`` answers ``/health`` within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not is_up(uri, timeout=5.0):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


# The processes of the servers running now, by pid: stop() waits for (reaps) the one it stops.
_PROCESSES: dict[int, subprocess.Popen[bytes]] = {}


@contextlib.contextmanager
def running_mlflow_server(
    root: Path | None = None, port: int | None = None
) -> Iterator[MlflowServer]:
    """Start ``mlflow server`` on a free port of 127.0.0.1, wait until ``/health`` answers,
    yield it, and stop it by its pid.

    Args:
        root: Where its database, artifacts and log go (default: a new temporary folder,
            removed afterwards). A server started again on the same root has the same store.
        port: The port (default: a free one); a server stopped with :func:`stop` can be
            started again on its port, as a restarted server would be.

    Raises:
        RuntimeError: If it exits or does not answer within :data:`START_TIMEOUT` seconds; the
            message holds the end of its log.
    """
    with contextlib.ExitStack() as stack:
        if root is None:
            root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="mlflow-server-")))
        root.mkdir(parents=True, exist_ok=True)
        port = port or free_port()
        log_path = root / "server.log"
        command = [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{(root / 'mlflow.db').as_posix()}",
            "--artifacts-destination", str(root / "artifacts"),
            "--host", HOST, "--port", str(port),
            "--workers", "1",
            "--allowed-hosts", f"{HOST}:{port},localhost:{port}",
        ]  # fmt: skip
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
        # The server must not think it is itself a client of some other store.
        env.pop("MLFLOW_TRACKING_URI", None)
        # Appended to: a restarted server keeps the log of the one before.
        log = stack.enter_context(log_path.open("ab"))
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        server = MlflowServer(f"http://{HOST}:{port}", port, process.pid, root, log_path)
        _PROCESSES[process.pid] = process
        stack.callback(_PROCESSES.pop, process.pid, None)
        stack.callback(_stop, process)
        deadline = time.monotonic() + START_TIMEOUT
        while not is_up(server.uri):
            if process.poll() is not None:
                raise RuntimeError(
                    f"mlflow server exited with code {process.returncode}:\n{server.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"mlflow server did not answer /health within {START_TIMEOUT:.0f} s:\n"
                    f"{server.log_tail()}"
                )
            time.sleep(0.25)
        yield server


def stop(server: MlflowServer) -> None:
    """Stop a server started by :func:`running_mlflow_server` now, by its pid (its process
    group), and wait until it is gone; leaving the ``with`` block later is harmless."""
    process = _PROCESSES.get(server.pid)
    if process is None:
        raise ValueError(f"no running server of this session has pid {server.pid}")
    _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and the processes it started (its process group), by its pid."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
    # Workers of the group may outlive the leader for a moment; SIGKILL whatever is left.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real MLflow tracking server for the whole test session (skips, or fails under CI,
    when MLflow is not installed)."""
    require(missing())
    with running_mlflow_server(tmp_path_factory.mktemp("mlflow-server")) as server:
        yield server
