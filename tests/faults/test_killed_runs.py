"""A ``hookline run`` SIGKILLed in the middle of a node (what the out-of-memory killer does)
cannot end its MLflow run: the next run of the project on the same host ends it KILLED, and
leaves alone the run of a process that still lives. A real ``mlflow server`` on SQLite."""

from __future__ import annotations

import signal
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import PluginSwitch, run_hookline
from tests.integration.servers.mlflow_server import MlflowServer, mlflow_server  # noqa: F401
from tests.support import ProjectFactory, hookline_command, wait_until

pytestmark = pytest.mark.integration

NODES = """
import threading
from pathlib import Path


def double(x):
    return x * 2


def wait_if_asked(y, marker):
    if marker:
        Path(marker).write_text("node started")
        threading.Event().wait()  # until the test kills the run
    return y
"""

PIPELINE = """return {"__default__": pipeline([
    node(double, "params:x", "y", name="double"),
    node(wait_if_asked, ["y", "params:marker"], "z", name="wait"),
])}"""


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """The ``hookline run`` processes a test starts; any still running at the end is killed."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()


def start_waiting_run(
    project: Path, marker: Path, processes: list[subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    """Start ``hookline run`` whose second node writes ``marker`` and waits; return once the
    node runs (its MLflow run exists by then)."""
    process = subprocess.Popen(
        hookline_command("run", "--params", f"marker={marker}"),
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    processes.append(process)
    wait_until(marker.exists, process, "its waiting node")
    return process


def run_of(client: Any, experiment_id: str, pid: int) -> Any:
    """The one run that process ``pid`` of this host started."""
    (found,) = client.search_runs([experiment_id], filter_string=f"tags.`hookline.pid` = '{pid}'")
    return found


def test_a_killed_run_is_ended_by_the_next_run_and_a_live_one_is_left_alone(
    make_project: ProjectFactory,
    enable_plugins: PluginSwitch,
    mlflow_server: MlflowServer,  # noqa: F811 (the fixture imported above)
    started: list[subprocess.Popen[str]],
    tmp_path: Path,
) -> None:
    from mlflow import MlflowClient

    experiment = f"killed-{uuid.uuid4().hex[:12]}"
    project = make_project(
        NODES,
        PIPELINE,
        conf={
            "base/parameters.yml": 'x: 2\nmarker: ""\n',
            "base/mlflow.yml": f"tracking_uri: {mlflow_server.uri}\n"
            f"experiment_name: {experiment}\n",
        },
    )
    enable_plugins("hookline-mlflow")
    client = MlflowClient(mlflow_server.uri)

    killed = start_waiting_run(project, tmp_path / "killed.started", started)
    living = start_waiting_run(project, tmp_path / "living.started", started)
    experiment_id = client.get_experiment_by_name(experiment).experiment_id
    # The second run's start left the first alone: its process lives.
    assert run_of(client, experiment_id, killed.pid).info.status == "RUNNING"

    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=60)
    killed_run = run_of(client, experiment_id, killed.pid)
    assert killed_run.info.status == "RUNNING"
    assert killed_run.data.tags["hookline.host"] == socket.gethostname()

    done = run_hookline(project, "run")
    assert done.returncode == 0, done.stdout + done.stderr

    newest = client.search_runs([experiment_id], order_by=["start_time DESC"])[0]
    assert newest.info.status == "FINISHED"
    ended = client.get_run(killed_run.info.run_id)
    assert ended.info.status == "KILLED"
    assert ended.data.tags["hookline.ended_by"] == (
        f"hookline: process {killed.pid} on host {socket.gethostname()} no longer exists "
        f"(found by run {newest.info.run_id})"
    )
    assert f"{killed_run.info.run_id} (process {killed.pid})" in done.stderr
    assert "ended 1 run(s) KILLED" in done.stderr
    # The run whose process still runs its node is left RUNNING.
    assert living.poll() is None
    assert run_of(client, experiment_id, living.pid).info.status == "RUNNING"
