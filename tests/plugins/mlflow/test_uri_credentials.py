"""A tracking URI with ``user:password@`` (accepted from MLFLOW_TRACKING_URI, never from
mlflow.yml): the run is tracked, and the password appears nowhere: not in a warning, an
error, a spool file, nor anything ``hookline mlflow`` prints."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from hookline_mlflow import TrackingUnavailable, spool
from hookline_mlflow.run_logger import Undelivered

from .conftest import TrackedProjectFactory

pytestmark = pytest.mark.integration

PASSWORD = "CANARY-uri-password-8c2f"

TWO_NODES = """return {"__default__": pipeline([
    node(double, "params:x", "y", name="double"),
    node(double, "y", "z", name="double_again"),
])}"""


def with_credentials(uri: str) -> str:
    """``uri`` (``http://host:port``) with a user and the canary password."""
    return uri.replace("://", f"://analyst:{PASSWORD}@", 1)


def hookline(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Any:
    """``hookline <args>`` as a real process."""
    return subprocess.run(
        [sys.executable, "-m", "hookline", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, **(env or {})},
    )


def test_a_run_is_tracked_through_a_uri_with_credentials(
    tracked_project: TrackedProjectFactory,
    mlflow_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    project = tracked_project(registry=TWO_NODES, parameters="x: 3\n", catalog="")
    # urllib reads "analyst:<password>@127.0.0.1" as the host of the /health probe.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", with_credentials(mlflow_server.uri))

    with caplog.at_level(logging.DEBUG, logger="hookline_mlflow"):
        project.run()

    run = project.only_run()
    assert run.info.status == "FINISHED"
    assert "node_duration_s/double_again" in run.data.metrics
    assert not [r for r in caplog.records if r.name == "hookline_mlflow"]


def test_a_store_down_is_named_without_the_password_of_its_uri(
    tracked_project: TrackedProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No port: urllib took "<password>@127.0.0.1" for a port, and quoted it in its error.
    with socket.socket() as check:
        if check.connect_ex(("127.0.0.1", 80)) == 0:
            pytest.skip("something listens on port 80 of this machine")
    project = tracked_project(registry=TWO_NODES, parameters="x: 3\n", catalog="")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://analyst:{PASSWORD}@127.0.0.1")

    with pytest.raises(TrackingUnavailable) as failure:
        project.run()

    message = str(failure.value)
    assert PASSWORD not in message
    assert "the MLflow tracking store http://***@127.0.0.1 cannot be used" in message
    assert "ConnectionRefusedError" in message


def test_the_ui_command_prints_no_password(
    tracked_project: TrackedProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from hookline_mlflow.cli import mlflow_command

    project = tracked_project(registry=TWO_NODES, parameters="x: 3\n", catalog="")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"HTTPS://analyst:{PASSWORD}@mlflow.internal")

    done = CliRunner().invoke(mlflow_command, ["ui", "--project", str(project.path)])

    assert done.exit_code == 0, done.output
    assert (
        done.output.strip()
        == "MLflow UI: HTTPS://***@mlflow.internal (the tracking server's own UI)"
    )


def spooled_run(client: Any, folder: Path) -> tuple[str, Path]:
    """A RUNNING run on the server, and a spool file of one metric and its end status."""
    experiment = client.create_experiment(f"replay-{time.time_ns()}")
    run_id = client.create_run(experiment).info.run_id
    path = spool.spool_file(folder, run_id)
    left = Undelivered(metrics=[("loss", 0.5, 1_700_000_000_000, 0)], status="FINISHED")
    spool.write(
        path,
        run_id=run_id,
        experiment_id=experiment,
        tracking_uri="http://gone:1",
        undelivered=left,
    )
    return run_id, path


def test_replay_to_a_uri_with_credentials_prints_no_password(
    tracked_project: TrackedProjectFactory, mlflow_server: Any, client: Any
) -> None:
    project = tracked_project(registry=TWO_NODES, parameters="x: 3\n", catalog="")
    run_id, path = spooled_run(client, project.path / "mlflow_spool")
    uri = with_credentials(mlflow_server.uri)

    done = hookline("mlflow", "replay", str(path), "--tracking-uri", uri, cwd=project.path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    where = mlflow_server.uri.replace("://", "://***@")
    assert f"to run {run_id} at {where}." in done.stdout
    run = client.get_run(run_id)
    assert (run.info.status, run.data.metrics) == ("FINISHED", {"loss": 0.5})


def test_a_replay_error_prints_no_password(
    tracked_project: TrackedProjectFactory, client: Any, free_uri: str
) -> None:
    project = tracked_project(registry=TWO_NODES, parameters="x: 3\n", catalog="")
    _, path = spooled_run(client, project.path / "mlflow_spool")

    # MLflow's error quotes the URL it requested: "API request to <url> failed ...". Its
    # retries are turned off for the command only, to fail in seconds.
    done = hookline(
        "mlflow", "replay", str(path), "--tracking-uri", with_credentials(free_uri),
        cwd=project.path, env={"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"},
    )  # fmt: skip

    assert done.returncode == 1, done.stdout + done.stderr
    assert f"Error: {path} kept: " in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert f"API request to {free_uri}/api/2.0/mlflow/runs/log-batch failed" in done.stderr
    assert path.exists()


@pytest.mark.slow
def test_a_spool_keeps_the_uri_without_credentials_and_replay_takes_them_from_the_env(
    tracked_project: TrackedProjectFactory,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    from mlflow import MlflowClient

    from tests.integration.servers.mlflow_server import running_mlflow_server

    root = tmp_path / "server"
    with running_mlflow_server(root) as server:
        project = tracked_project(
            registry="""return {"__default__": pipeline([
                node(double, "params:x", "y", name="double"),
                node(stop_process, ["y", "params:pid"], "z", name="stop_server"),
                node(double, "z", "w", name="after"),
            ])}""",
            parameters=f"x: 3\npid: {server.pid}\n",
            catalog="",
            tracking_uri=server.uri,
            mlflow="wait_for_server: 1\n",
        )
        monkeypatch.setenv("MLFLOW_TRACKING_URI", with_credentials(server.uri))
        with caplog.at_level(logging.DEBUG, logger="hookline_mlflow"):
            project.run()

    warnings = "\n".join(r.getMessage() for r in caplog.records if r.name == "hookline_mlflow")
    assert "Not delivered" in warnings
    assert PASSWORD not in warnings
    (spool_file,) = (project.path / "mlflow_spool").glob("*.jsonl")
    assert PASSWORD not in spool_file.read_text()
    # Without the user too: "***" would go to the server as a user name.
    assert spool.read(spool_file).tracking_uri == server.uri

    with running_mlflow_server(root, port=server.port) as restarted:
        done = hookline(
            "mlflow", "replay", cwd=project.path,
            env={"MLFLOW_TRACKING_USERNAME": "analyst", "MLFLOW_TRACKING_PASSWORD": PASSWORD},
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert PASSWORD not in done.stdout + done.stderr
        run = MlflowClient(restarted.uri).get_run(spool_file.stem)
        assert run.info.status == "FINISHED"
        assert "node_duration_s/after" in run.data.metrics
    assert not spool_file.exists()
