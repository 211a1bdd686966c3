"""Monitoring that goes away: the StatsD daemon absent from the start, or killed in the middle of
a run, over each transport. Monitoring never fails a run: the run completes with the same
outputs, and says so at most once."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import ProjectFactory

from .conftest import PluginSwitch, invoke_hookline

pytestmark = pytest.mark.integration

NODE_COUNT = 40

NODES = """
import os
import signal
import time


def first(seed):
    return seed


def stop_daemon(previous, daemon_pid, daemon_log):
    # Once the daemon has logged the first node's metrics, kill it by its pid while the run
    # is under way (0: there is no daemon).
    if daemon_pid:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if "node.first.success" in open(daemon_log, errors="replace").read():
                break
            time.sleep(0.05)
        os.kill(daemon_pid, signal.SIGKILL)
        time.sleep(0.2)
    return previous


def step(previous):
    return previous + 1
"""

REGISTRY = f"""return {{"__default__": pipeline(
    [node(first, "params:seed", "s", name="first"),
     node(stop_daemon, ["s", "params:daemon_pid", "params:daemon_log"], "v0",
          name="stop_daemon")]
    + [node(step, f"v{{i}}", f"v{{i + 1}}", name=f"step_{{i}}") for i in range({NODE_COUNT})]
)}}"""

CATALOG = f"v{NODE_COUNT}: {{type: json.JSONDataset, filepath: data/result.json}}\n"


@pytest.fixture
def project(make_project: ProjectFactory, enable_plugins: PluginSwitch) -> Path:
    """A chain of nodes with only hookline-statsd on."""
    enable_plugins("hookline-statsd")
    return make_project(NODES, REGISTRY, conf={"base/catalog.yml": CATALOG})


@pytest.fixture
def daemon(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Any]:
    """A real StatsD daemon for this test alone (it gets killed); skips, or fails under CI,
    when it is not installed."""
    from tests.integration.servers import statsd_graphite

    statsd_graphite.require(statsd_graphite.missing_daemon())
    with statsd_graphite.statsd_daemon(tmp_path_factory.mktemp("statsd-killed")) as started:
        monkeypatch.setenv("STATSD_HOST", started.host)
        yield started


def closed_port(kind: socket.SocketKind) -> int:
    """A port of 127.0.0.1 nobody listens on now."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def configure(project: Path, transport: str, daemon: Any, **settings: Any) -> None:
    """Write statsd.yml and the parameters of the run (``daemon``: the one to kill, or None)."""
    lines = [f"transport: {transport}", *(f"{k}: {v}" for k, v in settings.items())]
    (project / "conf/base/statsd.yml").write_text("\n".join(lines) + "\n")
    pid, log = (daemon.pid, daemon.log) if daemon is not None else (0, "")
    (project / "conf/base/parameters.yml").write_text(
        f"seed: 1\ndaemon_pid: {pid}\ndaemon_log: '{log}'\n"
    )


def assert_run_unaffected(project: Path, stderr: str, exit_code: int) -> None:
    """Every node ran and the result is the one of a run without monitoring."""
    assert exit_code == 0, stderr
    assert json.loads((project / "data/result.json").read_text()) == 1 + NODE_COUNT
    assert f"({NODE_COUNT + 2}/{NODE_COUNT + 2})" in stderr
    # Said once, not once per node.
    warnings = [line for line in stderr.splitlines() if "WARNING" in line and "statsd" in line]
    assert len(warnings) <= 1, "\n".join(warnings)


@pytest.mark.parametrize("transport", ["udp", "tcp", "unix"])
def test_an_absent_daemon_changes_nothing(project: Path, tmp_path: Path, transport: str) -> None:
    if transport == "unix":
        configure(project, "unix", None, socket_path=tmp_path / "no-daemon.sock")
    else:
        kind = socket.SOCK_DGRAM if transport == "udp" else socket.SOCK_STREAM
        configure(project, transport, None, host="127.0.0.1", port=closed_port(kind))

    done = invoke_hookline(project, "run")

    assert done.exception is None
    assert_run_unaffected(project, done.stderr, done.exit_code)


@pytest.mark.parametrize("transport", ["udp", "tcp", "unix"])
def test_a_daemon_killed_mid_run_changes_nothing(
    project: Path, daemon: Any, transport: str
) -> None:
    if transport == "unix":
        configure(project, "unix", daemon, socket_path=daemon.socket_path)
    else:
        port = daemon.port if transport == "udp" else daemon.tcp_port
        configure(project, transport, daemon, host=daemon.host, port=port)

    done = invoke_hookline(project, "run")

    assert done.exception is None
    assert_run_unaffected(project, done.stderr, done.exit_code)
    # The daemon did hear from the run before it died.
    assert any("node.first.success:1|c" in line for line in daemon.received()), (
        daemon.log.read_text()[-3000:]
    )
