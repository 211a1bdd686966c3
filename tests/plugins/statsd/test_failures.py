"""Monitoring never fails a run: no daemon, a refused TCP connection, a missing Unix socket, an
unknown host or a host lookup that does not answer each give one warning, the run goes on,
and the next run tries again."""

from __future__ import annotations

import logging
import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from hookline import DataCatalog, SequentialRunner, node, pipeline
from hookline.datasets import MemoryDataset
from hookline.runner import AbstractRunner
from hookline.session import HooklineSession
from hookline_statsd import StatsdConfig, StatsdHooks
from hookline_statsd import transport as transport_module
from tests.integration.servers.statsd_graphite import HOST, StatsdDaemon, free_port, statsd_daemon
from tests.support import ProjectFactory, SteppedClock

from .conftest import manager_with, totals, wait_for_lines
from .pipelines import identity

PIPE = pipeline(
    [
        node(identity, "x", "a", name="first"),
        node(identity, "a", "b", name="second"),
        node(identity, "b", "c", name="third"),
    ]
)


def run_pipeline(hooks: StatsdHooks, runner: AbstractRunner | None = None) -> dict[str, Any]:
    catalog = DataCatalog({"x": MemoryDataset([1, 2, 3])})
    return (runner or SequentialRunner()).run(PIPE, catalog, manager_with(hooks), "sid")


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "hookline_statsd" and r.levelno == logging.WARNING
    ]


def test_udp_without_a_daemon_warns_once_per_run_and_the_runs_go_on(
    make_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port(socket.SOCK_DGRAM)  # nothing listens there
    project = make_project(
        "def identity(x):\n    return x\n",
        'return {"__default__": pipeline([node(identity, "params:x", "a", name="first"), '
        'node(identity, "a", "b", name="second"), node(identity, "b", "c", name="third")])}',
        conf={
            "base/parameters.yml": "x: 1\n",
            "base/statsd.yml": f"host: {HOST}\nport: {port}\nprefix: nobody\n",
        },
    )
    session = HooklineSession.create(project)

    assert session.run().outputs == {"c": 1}
    assert HooklineSession.create(project).run().outputs == {"c": 1}

    warnings = warnings_of(caplog)
    # The kernel reports the missing listener on a send after the first packet; the plugin
    # then stops for the rest of the run. The second run tried again, and warned again.
    assert len(warnings) == 2
    assert all(f"udp://{HOST}:{port}" in w and "ConnectionRefusedError" in w for w in warnings)


def test_without_a_session_sending_starts_again_after_the_back_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, prefix: str
) -> None:
    # A runner called directly: no before_pipeline_run, so no run start to try again at.
    port = free_port(socket.SOCK_DGRAM)  # nothing listens there yet
    back_off, clock = 2.0, SteppedClock()
    config = StatsdConfig(host=HOST, port=port, prefix=prefix)
    hooks = StatsdHooks(config, retry_after=back_off, clock=clock)

    run_pipeline(hooks)
    (warning,) = warnings_of(caplog)
    assert "ConnectionRefusedError" in warning
    assert f"for {back_off:g} s (no run start seen" in warning
    with statsd_daemon(tmp_path / "statsd", udp_port=port) as daemon:
        clock.advance(back_off - 0.5)
        # Within the back-off nothing is tried, though the daemon is up now.
        within = pipeline([node(identity, "x", "y", name="within_back_off")])
        SequentialRunner().run(within, DataCatalog({"x": MemoryDataset(1)}), manager_with(hooks))
        clock.advance(0.5)
        run_pipeline(hooks)

        lines = wait_for_lines(
            daemon, prefix, lambda lines: "node.third.success" in totals(lines, "c")
        )
    # Every node of the third run, and only of it: the second sent nothing (its lines would
    # have come first).
    assert not [line for line in lines if "within_back_off" in line]
    assert totals(lines, "c")["run.__default__.nodes_completed"] == 3
    assert {name for name in totals(lines, "ms") if name.startswith("node.")} == {
        "node.first.duration",
        "node.second.duration",
        "node.third.duration",
    }
    assert len(warnings_of(caplog)) == 1


def test_a_refused_tcp_connection_warns_once_per_run(
    runner: AbstractRunner, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()  # nothing listens there
    hooks = StatsdHooks(StatsdConfig(transport="tcp", host=HOST, port=port, prefix="nobody"))

    assert run_pipeline(hooks, runner) == {"c": [1, 2, 3]}

    # Worker processes warn in their own logs; in this process, at most once.
    assert len(warnings_of(caplog)) <= 1
    if runner.__class__.__name__ in {"SequentialRunner", "ThreadRunner"}:
        (warning,) = warnings_of(caplog)
        assert f"tcp://{HOST}:{port}" in warning
        assert "ConnectionRefusedError" in warning
        assert "the run goes on" in warning


def test_a_missing_unix_socket_warns_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "no-daemon.sock"
    hooks = StatsdHooks(StatsdConfig(transport="unix", socket_path=str(path), prefix="nobody"))

    assert run_pipeline(hooks) == {"c": [1, 2, 3]}

    (warning,) = warnings_of(caplog)
    assert f"unix://{path}" in warning
    assert "FileNotFoundError" in warning


def test_an_unknown_host_warns_once_and_sends_nothing(caplog: pytest.LogCaptureFixture) -> None:
    hooks = StatsdHooks(StatsdConfig(host="statsd.no-such-host.invalid", prefix="nobody"))

    assert run_pipeline(hooks) == {"c": [1, 2, 3]}

    (warning,) = warnings_of(caplog)
    assert "udp://statsd.no-such-host.invalid:8125" in warning
    # Name or service not known, or the lookup's deadline where DNS does not answer.
    assert "gaierror" in warning or "TimeoutError" in warning


def test_a_host_lookup_that_hangs_does_not_stall_the_run(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    statsd_console: StatsdDaemon,
) -> None:
    # The one fake here: the resolver of a host whose DNS never answers. The lookup blocks
    # until the test releases it, so a run that waited for it could not end first.
    real_getaddrinfo = socket.getaddrinfo
    release, answered = threading.Event(), threading.Event()

    def hanging_dns(host: str, *args: Any, **kwargs: Any) -> Any:
        flags = args[4] if len(args) > 4 else kwargs.get("flags", 0)
        if host == "statsd.slow-dns.example" and not flags & socket.AI_NUMERICHOST:
            release.wait(120)
            answered.set()
            return real_getaddrinfo(HOST, *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(transport_module.socket, "getaddrinfo", hanging_dns)
    hooks = StatsdHooks(
        StatsdConfig(
            host="statsd.slow-dns.example",
            port=statsd_console.port,
            prefix="slowdns",
            resolve_timeout=0.2,
        )
    )
    try:
        assert run_pipeline(hooks) == {"c": [1, 2, 3]}
        # The run is over and the lookup has still not answered.
        assert not answered.is_set()
    finally:
        release.set()
    (warning,) = warnings_of(caplog)
    assert "TimeoutError" in warning
    assert "looking up 'statsd.slow-dns.example' took more than 0.2 s" in warning


def test_a_lookup_that_never_answers_costs_one_thread_however_many_runs(
    monkeypatch: pytest.MonkeyPatch, statsd_console: StatsdDaemon, prefix: str
) -> None:
    # The one fake here, as above: a DNS that does not answer cannot be set up on this
    # machine without changing its resolver for every process.
    real_getaddrinfo = socket.getaddrinfo
    host = "statsd.never-answers.example"
    release = threading.Event()
    lookups: list[str] = []

    def hanging_dns(name: str, *args: Any, **kwargs: Any) -> Any:
        flags = args[4] if len(args) > 4 else kwargs.get("flags", 0)
        if name == host and not flags & socket.AI_NUMERICHOST:
            lookups.append(name)
            release.wait(120)
            return real_getaddrinfo(HOST, *args, **kwargs)
        return real_getaddrinfo(name, *args, **kwargs)

    def resolving_threads() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "hookline-statsd-resolve"]

    monkeypatch.setattr(transport_module.socket, "getaddrinfo", hanging_dns)
    config = StatsdConfig(host=host, port=statsd_console.port, prefix=prefix, resolve_timeout=0.1)
    try:
        for _ in range(4):
            # A session's runs: each before_pipeline_run looks the host up again.
            hooks = StatsdHooks(config)
            hooks.before_pipeline_run({"pipeline_name": "__default__"}, PIPE)
            assert run_pipeline(hooks) == {"c": [1, 2, 3]}

        assert lookups == [host]
        assert len(resolving_threads()) == 1
    finally:
        release.set()
    for thread in resolving_threads():
        thread.join(10)

    # Answered: the next run looks the host up afresh, and sends.
    hooks = StatsdHooks(config)
    run_pipeline(hooks)
    assert lookups == [host, host]
    lines = wait_for_lines(
        statsd_console,
        prefix,
        lambda lines: totals(lines, "c").get("run.__default__.nodes_completed") == 3,
    )
    assert totals(lines, "c")["run.__default__.nodes_completed"] == 3


def test_the_host_is_looked_up_once_per_run(
    monkeypatch: pytest.MonkeyPatch, statsd_console: StatsdDaemon, prefix: str
) -> None:
    lookups: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def counting(host: str, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(transport_module.socket, "getaddrinfo", counting)
    hooks = StatsdHooks(StatsdConfig(host="localhost", port=statsd_console.port, prefix=prefix))

    run_pipeline(hooks)

    # One numeric-only attempt (instant, no DNS), one real lookup; none per metric.
    assert lookups == ["localhost", "localhost"]
    lines = wait_for_lines(
        statsd_console,
        prefix,
        lambda lines: totals(lines, "c").get("run.__default__.nodes_completed") == 3,
    )
    assert totals(lines, "c")["run.__default__.nodes_completed"] == 3


class Unmeasurable:
    """Data whose length raises: it loses its size gauges, the run keeps its metrics."""

    def __len__(self) -> int:
        raise RuntimeError("no length today")


def test_data_that_cannot_be_measured_keeps_the_other_metrics(
    statsd_console: StatsdDaemon, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    hooks = StatsdHooks(StatsdConfig(host=HOST, port=statsd_console.port, prefix=prefix))
    catalog = DataCatalog({"x": MemoryDataset(Unmeasurable(), copy_mode="assign")})

    SequentialRunner().run(
        pipeline([node(identity, "x", "y", name="pass")]), catalog, manager_with(hooks)
    )

    lines = wait_for_lines(
        statsd_console, prefix, lambda lines: "node.pass.success" in totals(lines, "c")
    )
    assert not warnings_of(caplog)
    assert "dataset.x.load_duration" in totals(lines, "ms")
    assert "dataset.y.bytes" in totals(lines, "g")
