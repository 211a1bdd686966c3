"""The run logger (and a worker's end of node) through the faults a tracking server can show:
a port that answers something that is not HTTP, a server that accepts connections and never
answers, a dead port, and a callback of the hooks that raises. The servers here are real
sockets on 127.0.0.1; the MLflow server is the session's real one. The logger's threads are
real; its time is a :class:`SteppedClock` that moves only when a test steps it."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hookline_mlflow import spool
from hookline_mlflow.run_logger import RETRY_INTERVAL, RunLogger, Upload, make_client
from hookline_mlflow.store import HttpStore, probe

from .stepped_clock import Background, SteppedClock


@dataclass
class RawServer:
    """A TCP server on 127.0.0.1 that answers every connection with ``reply`` (``None``:
    never answers, keeps the connection open), counting the connections."""

    reply: bytes | None
    connections: int = 0
    listener: socket.socket = field(default_factory=socket.socket)
    held: list[socket.socket] = field(default_factory=list)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return  # closed at the end of the test
            self.connections += 1
            if self.reply is None:
                self.held.append(connection)
                continue
            with connection:
                connection.recv(65536)
                connection.sendall(self.reply)


@contextlib.contextmanager
def raw_server(reply: bytes | None) -> Iterator[RawServer]:
    """A :class:`RawServer`, serving on a thread until the end of the ``with`` block."""
    server = RawServer(reply)
    server.listener.bind(("127.0.0.1", 0))
    server.listener.listen(64)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        # shutdown() wakes the thread's accept(), which close() alone would leave waiting.
        with contextlib.suppress(OSError):
            server.listener.shutdown(socket.SHUT_RDWR)
        server.listener.close()
        for connection in server.held:
            connection.close()
        thread.join(timeout=5)


class Calls:
    """What the logger reported through its callbacks; ``raising`` makes one of them raise."""

    def __init__(self, raising: str = "") -> None:
        self.errors: list[BaseException] = []
        self.outages: list[BaseException] = []
        self.raising = raising
        #: Set when the first outage is reported.
        self.outage = threading.Event()

    def on_error(self, error: BaseException) -> None:
        self.errors.append(error)
        if self.raising == "on_error":
            raise RuntimeError("a failing warning handler")

    def on_outage(self, error: BaseException) -> None:
        self.outages.append(error)
        self.outage.set()
        if self.raising == "on_outage":
            raise RuntimeError("a failing warning handler")


def logger_of(uri: str, run_id: str, calls: Calls, clock: SteppedClock) -> RunLogger:
    """An asynchronous logger of the server at ``uri``, as the hooks make it, on ``clock``."""
    return RunLogger(
        lambda: make_client(uri),
        HttpStore(uri),
        run_id,
        asynchronous=True,
        on_error=calls.on_error,
        on_outage=calls.on_outage,
        on_recovery=lambda sent, uploads: None,
        clock=clock,
    )


def artifact_upload(name: str) -> Upload:
    """An upload a spool file can keep (it never runs against a dead server)."""
    record = {"kind": "artifact", "local_path": f"/nowhere/{name}", "artifact_path": "a"}
    return Upload(f"artifact {name}", lambda client: None, record)


def finishes(action: Callable[[], Any], timeout: float = 60.0) -> bool:
    """Whether ``action`` returns within ``timeout`` seconds (run on a daemon thread, so that
    a hang fails the test instead of stopping the session)."""
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive()


def test_a_port_that_answers_something_else_than_http_is_down() -> None:
    with raw_server(b"SSH-2.0-OpenSSH_9.6\r\n") as server:
        # http.client raises BadStatusLine (no OSError): it must not escape the probe.
        with pytest.raises(ConnectionError, match="BadStatusLine"):
            probe(server.uri, timeout=5)
        assert HttpStore(server.uri).is_up() is False
        assert server.connections == 2


def test_the_upload_thread_survives_a_failing_callback_and_flush_returns(
    free_uri: str,
) -> None:
    calls = Calls(raising="on_outage")
    # The clock never moves: a flush that waited for time to pass would never return.
    logger = logger_of(free_uri, "0" * 32, calls, SteppedClock())
    first, second = artifact_upload("first"), artifact_upload("second")

    logger.upload(first)
    # The first upload meets the outage, whose warning handler raises on the upload thread.
    assert finishes(logger.flush), "flush waited for an upload thread that had died"
    logger.upload(second)
    assert finishes(logger.flush)

    assert [str(e) for e in calls.errors] == ["a failing warning handler"]
    left = logger.close("FINISHED", wait=0.0)
    assert [u.what for u in left.uploads] == ["artifact first", "artifact second"]
    assert left.status == "FINISHED"


def test_an_outage_met_while_a_flush_sends_nothing_is_not_taken_as_over(free_uri: str) -> None:
    # The race needs the upload thread to meet the outage while flush() is inside its send,
    # a window of microseconds: it happened in about 1 of 50 tries, so 500 tries (2 s) show
    # it. Taken as over, the held upload was sent again and the outage warned twice.
    warned_more_than_once = 0

    def try_often() -> None:
        nonlocal warned_more_than_once
        for _ in range(500):
            calls = Calls()
            logger = logger_of(free_uri, "0" * 32, calls, SteppedClock())
            logger.upload(artifact_upload("first"))
            logger.flush()
            logger.close("FINISHED", wait=0.0)
            warned_more_than_once += len(calls.outages) > 1

    assert finishes(try_often, timeout=600)
    assert warned_more_than_once == 0


def test_the_run_is_ended_even_when_sending_at_the_end_raises(
    client: Any, mlflow_server: Any
) -> None:
    experiment = client.create_experiment(f"logger-{time.time_ns()}")
    run_id = client.create_run(experiment).info.run_id
    calls = Calls(raising="on_error")
    logger = logger_of(mlflow_server.uri, run_id, calls, SteppedClock())

    # The server refuses the key; the handler of that refusal raises inside close().
    logger.metric("not a valid key!", 1.0)
    left = logger.close("FINISHED", wait=5.0)

    assert "not a valid key" in str(calls.errors[0])
    assert client.get_run(run_id).info.status == "FINISHED"
    assert not left


def test_a_flush_during_a_known_outage_does_not_wait_for_the_server() -> None:
    # The clock never moves: the background thread's next check never comes due, and a flush
    # that waited for time to pass would never return.
    with raw_server(reply=None) as server:
        calls = Calls()
        logger = logger_of(server.uri, "0" * 32, calls, SteppedClock())
        # The first check meets the silent server and waits for its whole timeout.
        logger.upload(artifact_upload("first"))
        assert calls.outage.wait(30)
        connections = server.connections

        def flush_after_each_node() -> None:
            for step in range(10):
                logger.metric("node_duration_s/n", 0.1, step)
                logger.flush(wait=5.0)

        # One check would take 3 s; a worker flushes after each of thousands of nodes.
        assert finishes(flush_after_each_node), "a flush waited during a known outage"
        assert server.connections == connections
        left = logger.close("FINISHED", wait=0.0)
        assert len(left.metrics) == 10


def test_close_gives_a_store_that_is_away_its_wait_and_no_more(free_uri: str) -> None:
    clock = SteppedClock()
    logger = logger_of(free_uri, "0" * 32, Calls(), clock)
    logger.metric("score", 1.0)

    closing = Background(lambda: logger.close("FINISHED", wait=2.5))
    # It tries again every RETRY_INTERVAL seconds until the wait is over, then stops.
    for end in (RETRY_INTERVAL, 2 * RETRY_INTERVAL, 2.5):
        assert clock.waiting_until(closing.thread) == end
        clock.step(end - clock.monotonic())
    left = closing.result()

    assert clock.monotonic() == 2.5
    assert [row[0] for row in left.metrics] == ["score"]
    assert left.status == "FINISHED"


def test_uploads_held_when_the_run_closes_are_reported_not_dropped(free_uri: str) -> None:
    logger = logger_of(free_uri, "0" * 32, Calls(), SteppedClock())
    upload = artifact_upload("held")
    logger.upload(upload)
    assert finishes(logger.flush)
    assert logger.outage_since is not None

    # The store came back just as the run closed: the recovery resubmits the held upload
    # after the upload thread stopped taking any (a race, made certain here by its order).
    logger._stop_threads()
    logger._recover(0)

    assert logger.take_undelivered().uploads == [upload]


def test_a_worker_keeps_an_outage_in_one_spool_file_whatever_its_number_of_nodes(
    free_uri: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from hookline import node
    from hookline.catalog import DataCatalog
    from hookline_mlflow.config import DEFAULT
    from hookline_mlflow.hooks import MlflowHooks

    hooks = MlflowHooks()
    run_id = "0" * 32
    # What a worker process of ParallelRunner receives, with a server that went away.
    hooks.restore_worker_state(
        {
            "run_id": run_id,
            "experiment_id": "1",
            "tracking_uri": free_uri,
            "config": DEFAULT.to_dict(),
            "declared": {},
            "spool_dir": str(tmp_path),
            "credential_env": {},
        }
    )
    nodes = [node(abs, "x", f"y{i}", name=f"n{i}") for i in range(30)]
    with caplog.at_level(logging.WARNING, logger="hookline_mlflow"):
        for each in nodes:
            hooks.before_node_run(each)
            hooks.after_node_run(each, DataCatalog(), inputs={}, outputs={})
        hooks.restore_worker_state(None)  # the worker's next run: it ends this one's logger

    (path,) = tmp_path.iterdir()
    assert path.name == f"{run_id}.{os.getpid()}.jsonl"
    keys = {row[0] for row in spool.read(path).metrics}
    assert keys == {f"node_duration_s/n{i}" for i in range(30)}
    kept = [r for r in caplog.records if "kept what the tracking store" in r.getMessage()]
    assert len(kept) == 1


def logger_with_a_stuck_upload(
    tmp_path: Path, clock: SteppedClock
) -> tuple[RunLogger, Upload, threading.Event]:
    """An asynchronous logger on ``clock`` whose upload began while its server answered and is
    still under way now that the server is gone, as inside MLflow's client, which retries a
    dead server for minutes. Setting the returned event lets the upload fail."""
    # A server that answers /health until it is closed; then nothing listens on its port.
    with raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK") as server:
        logger = logger_of(server.uri, "0" * 32, Calls(), clock)
        started, release = threading.Event(), threading.Event()

        def upload_until_released(client: Any) -> None:
            started.set()
            release.wait(60)
            raise ConnectionError("the server went away during the upload")

        record = {"kind": "artifact", "local_path": str(tmp_path / "a.json"), "artifact_path": ""}
        stuck = Upload("artifact a.json", upload_until_released, record)
        logger.upload(stuck)
        assert started.wait(30)
    return logger, stuck, release


def test_an_upload_under_way_when_the_server_dies_is_reported_once(tmp_path: Path) -> None:
    clock = SteppedClock()
    logger, under_way, release = logger_with_a_stuck_upload(tmp_path, clock)

    closing = Background(lambda: logger.close("FINISHED", wait=0.5))
    # It waits for the upload until its wait is over, and finds the server gone.
    clock.waiting_until(closing.thread)
    clock.step(RETRY_INTERVAL)
    left = closing.result()

    assert left.uploads == [under_way]
    assert left.status == "FINISHED"
    # When the upload gives up at last, it is not held for a second report.
    release.set()
    assert logger._upload_thread is not None
    logger._upload_thread.join(30)
    assert logger._in_flight is None
    assert not logger.take_undelivered()


def test_an_upload_stuck_over_several_node_ends_is_spooled_once(tmp_path: Path) -> None:
    # A worker's end of node during an outage: flush with a deadline, then take what is left.
    clock = SteppedClock()
    logger, stuck, release = logger_with_a_stuck_upload(tmp_path, clock)
    queued = artifact_upload("queued")
    logger.upload(queued)

    ends_of_nodes = []
    for _ in range(2):
        flushing = Background(lambda: logger.flush(wait=0.2))
        # It waits for the uploads until its wait is over, and finds the server gone.
        clock.waiting_until(flushing.thread)
        clock.step(RETRY_INTERVAL)
        flushing.result()
        ends_of_nodes.append(logger.take_undelivered().uploads)
    assert ends_of_nodes == [[stuck, queued], []]

    # When the stuck upload gives up, nothing is left to wait for: a flush returns (without
    # the clock moving).
    release.set()
    assert finishes(logger.flush, timeout=30), "flush waited for an upload handed over"
    assert not logger.take_undelivered()
    logger.close(None, wait=0.0)
