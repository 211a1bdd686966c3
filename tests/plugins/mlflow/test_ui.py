"""As a person would: ``hookline run`` on a project with no mlflow.yml (the default SQLite store
in the project), then ``hookline mlflow ui``, then a real browser (headless Chromium) on the
run's page, which must show the run's name, its metrics and its model. The screenshot is kept
under HOOKLINE_TEST_ARTIFACTS (default tests/artifacts/)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.integration import browser
from tests.integration.servers.mlflow_server import is_up, missing, require, wait_until_up
from tests.support import ProjectFactory

from .conftest import MODEL_CATALOG, MODEL_PARAMETERS, MODEL_PIPELINE, NODES


def hookline(*args: str, cwd: Path, log: Path) -> subprocess.Popen[str]:
    """``hookline ARGS`` in ``cwd``: stdout piped, stderr (logs) to the file ``log``."""
    with log.open("w") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "hookline", *args],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )


@pytest.mark.integration
@pytest.mark.slow
def test_hookline_mlflow_ui_shows_the_run_in_a_browser(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    require(missing())
    browser.require()
    project = make_project(
        NODES,
        MODEL_PIPELINE,
        conf={"base/parameters.yml": MODEL_PARAMETERS, "base/catalog.yml": MODEL_CATALOG},
    )
    run = hookline("run", cwd=project, log=tmp_path / "run.log")
    run.communicate(timeout=600)
    assert run.returncode == 0, (tmp_path / "run.log").read_text()
    # The default store: SQLite in the project, artifacts beside it.
    assert (project / "mlflow.db").is_file()
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{project}/mlflow.db")
    experiment = client.get_experiment_by_name("Test project")
    (tracked,) = client.search_runs([experiment.experiment_id])
    assert tracked.info.status == "FINISHED"

    ui = hookline("mlflow", "ui", "--port", "0", cwd=project, log=tmp_path / "ui.log")
    try:
        assert ui.stdout is not None
        line = ui.stdout.readline()
        match = re.search(r"MLflow UI: (http://127\.0\.0\.1:\d+)", line)
        assert match, line + (tmp_path / "ui.log").read_text()
        url = match.group(1)
        assert wait_until_up(url)
        page = f"{url}/#/experiments/{experiment.experiment_id}/runs/{tracked.info.run_id}"
        text = browser.page_text(page)
        shot = browser.screenshot(page, browser.artifacts_dir() / "mlflow-run-page.png")
    finally:
        if ui.poll() is None:
            os.killpg(ui.pid, signal.SIGINT)
        ui.wait(timeout=60)

    assert tracked.info.run_name in text
    for metric in ("r2", "coef_area", "node_duration_s/train", "rows.trained/train"):
        assert metric in text, metric
    assert "Logged models (1)" in text
    assert "regressor" in text
    assert shot.stat().st_size > 10_000
    # Ctrl-C on the command stopped the UI it started.
    deadline = time.monotonic() + 30
    while is_up(url) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not is_up(url)


def test_a_tracking_server_has_its_own_ui(make_project: ProjectFactory) -> None:
    from click.testing import CliRunner

    from hookline_mlflow.cli import mlflow_command

    project = make_project(
        NODES, MODEL_PIPELINE, conf={"base/mlflow.yml": "tracking_uri: http://127.0.0.1:5999\n"}
    )
    done = CliRunner().invoke(mlflow_command, ["ui", "--project", str(project)])
    assert done.exit_code == 0, done.output
    assert "MLflow UI: http://127.0.0.1:5999" in done.output


def test_the_command_is_registered_with_hookline() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hookline", "mlflow", "ui", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "127.0.0.1" in done.stdout


def test_a_busy_port_exits_with_2_at_once_naming_it(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    project = make_project(NODES, MODEL_PIPELINE)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        ui = hookline("mlflow", "ui", "--port", str(port), cwd=project, log=tmp_path / "ui.log")
        # A UI started anyway would run until killed: this wait would time out.
        stdout, _ = ui.communicate(timeout=120)
    message = (tmp_path / "ui.log").read_text()
    assert ui.returncode == 2, message
    assert stdout == ""
    assert f"port {port} on 127.0.0.1 is not available" in message
    assert "--port 0 for any free one" in message


@pytest.mark.integration
@pytest.mark.slow
def test_sigterm_stops_the_ui_and_every_process_it_started(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    import psutil

    project = make_project(NODES, MODEL_PIPELINE)
    ui = hookline("mlflow", "ui", "--port", "0", cwd=project, log=tmp_path / "ui.log")
    try:
        assert ui.stdout is not None
        line = ui.stdout.readline()
        match = re.search(r"MLflow UI: (http://127\.0\.0\.1:\d+)", line)
        assert match, line + (tmp_path / "ui.log").read_text()
        started = psutil.Process(ui.pid).children(recursive=True)
        assert started, "the UI started no process"
        ui.send_signal(signal.SIGTERM)
        ui.wait(timeout=60)
    finally:
        if ui.poll() is None:
            ui.kill()
            ui.wait()
    assert ui.returncode == 128 + signal.SIGTERM
    _, alive = psutil.wait_procs(started, timeout=30)
    assert alive == [], [p.pid for p in alive]
    assert not is_up(match.group(1))
