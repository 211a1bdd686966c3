"""Faults: the MLflow tracking server goes away in the middle of a run.

A real ``mlflow server`` (SQLite store, loopback) is stopped by its pid while ``hookline run``
(a real process) waits in a node, and started again on the same port and store:

- restarted before the end: the pipeline finishes, and everything recorded during the outage
  (node durations, a metric dataset, a measurement, an artifact, tags) is on the server once
  it is back, in the one run, which ends FINISHED;
- never back before the end: the run finishes within the bounded wait, the log names what was
  not delivered and the spool file that keeps it, and ``hookline mlflow replay`` sends it to
  the restarted server and ends the run;
- under ParallelRunner and DaskRunner, what worker processes recorded during the outage reaches
  the server too (kept meanwhile in one spool file per worker process).

Nothing here lowers MLflow's own HTTP retries (MLFLOW_HTTP_REQUEST_MAX_RETRIES): the plugin
must not wait through them.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.conftest import PluginSwitch, run_hookline
from tests.integration.servers.mlflow_server import (
    MlflowServer,
    is_up,
    missing,
    require,
    running_mlflow_server,
    stop,
)
from tests.support import ProjectFactory, hookline_command

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CANARY = "CANARY-outage-secret-31c9d4"

NODES = '''
import time
from pathlib import Path

from hookline import Measurement, publish_measurement


def _hold(markers, name):
    """Write at_<name>, then wait for the test to write go_<name>."""
    folder = Path(markers)
    (folder / f"at_{name}").write_text("")
    deadline = time.monotonic() + 600
    while not (folder / f"go_{name}").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the test never let {name} go")
        time.sleep(0.05)


def start(x, markers, token):
    _hold(markers, "outage")
    return x + 1


def during(y):
    publish_measurement(Measurement("rows.seen", 42.0, "count", node="during"))
    return {"score": 0.5 + y, "loss": 1.5}


def report(scores):
    return {"scores": scores}


def wait_for_restart(report, markers):
    _hold(markers, "restart")
    return 7.0


def finish(value):
    return value * 2


def part(y, k):
    return y + k
'''

CATALOG = """\
scores:
  type: MemoryDataset
  metadata: {mlflow: {log_as: metric}}
report:
  type: json.JSONDataset
  filepath: data/report.json
  metadata: {mlflow: {log_as: artifact, artifact_path: reports}}
final:
  type: MemoryDataset
  metadata: {mlflow: {log_as: metric, key: final_value}}
"""

PARAMETERS = """\
x: 3
api_token: {canary}
markers: {markers}
"""

#: The server is stopped in ``start`` and restarted while ``wait_for_restart`` waits.
RESTART_PIPELINE = """return {"__default__": pipeline([
    node(start, ["params:x", "params:markers", "params:api_token"], "y", name="start"),
    node(during, "y", "scores", name="during"),
    node(report, "scores", "report", name="report"),
    node(wait_for_restart, ["report", "params:markers"], "v", name="wait_for_restart"),
    node(finish, "v", "final", name="finish"),
])}"""

#: The server is stopped in ``start`` and stays away until the run has ended.
NEVER_BACK_PIPELINE = """return {"__default__": pipeline([
    node(start, ["params:x", "params:markers", "params:api_token"], "y", name="start"),
    node(during, "y", "scores", name="during"),
    node(report, "scores", "report", name="report"),
])}"""

#: Independent nodes after the outage, for ParallelRunner's worker processes.
PARALLEL_PIPELINE = """return {"__default__": pipeline([
    node(start, ["params:x", "params:markers", "params:api_token"], "y", name="start"),
    node(part, ["y", "params:x"], "a", name="part_a"),
    node(part, ["y", "params:x"], "b", name="part_b"),
    node(during, "y", "scores", name="during"),
    node(wait_for_restart, ["a", "params:markers"], "v", name="wait_for_restart"),
    node(finish, "v", "final", name="finish"),
])}"""


@pytest.fixture
def server_root(tmp_path: Path) -> Path:
    """The folder of the server's store: the same for the server and its restart."""
    require(missing())
    return tmp_path / "server"


@pytest.fixture
def server(server_root: Path) -> Iterator[MlflowServer]:
    """A real MLflow server of its own for the test, stopped at the end if still running."""
    with running_mlflow_server(server_root) as running:
        yield running


def write_project(
    make_project: ProjectFactory,
    server: MlflowServer,
    registry: str,
    markers: Path,
    mlflow: str = "",
) -> Path:
    """A project tracking into ``server``, with a credential and a secret parameter planted."""
    markers.mkdir(parents=True, exist_ok=True)
    return make_project(
        NODES,
        registry,
        conf={
            "base/catalog.yml": CATALOG,
            "base/parameters.yml": PARAMETERS.format(canary=CANARY, markers=markers),
            "base/mlflow.yml": f"tracking_uri: {server.uri}\nexperiment_name: outage\n" + mlflow,
            "local/credentials.yml": f"warehouse:\n  password: {CANARY}\n",
        },
    )


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 300) -> None:
    """Wait until a node wrote ``path`` (fail if ``hookline run`` ended first)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"hookline ended early:\n{process.communicate()[0]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the run never reached {path.name}")
        time.sleep(0.05)


def start_run(project: Path, *args: str) -> subprocess.Popen[str]:
    """``hookline run`` in ``project``, as a real process."""
    return subprocess.Popen(
        hookline_command("run", *args),
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish_run(process: subprocess.Popen[str], timeout: float = 300) -> str:
    """Wait for ``hookline run`` to end; return its output (fails on a non-zero exit)."""
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
    assert process.returncode == 0, output
    return output


def the_run(uri: str) -> Any:
    """The one run of the ``outage`` experiment on the server."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("outage")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1, [r.info.run_id for r in runs]
    return runs[0]


def artifacts_of(uri: str, run_id: str) -> list[str]:
    """Every artifact file of a run, recursively."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)

    def walk(folder: str | None) -> list[str]:
        found: list[str] = []
        for item in client.list_artifacts(run_id, folder):
            found += walk(item.path) if item.is_dir else [item.path]
        return found

    return sorted(walk(None))


def metric_timestamps(uri: str, run_id: str, key: str) -> list[int]:
    """When each value of a metric was recorded (ms)."""
    from mlflow import MlflowClient

    return [m.timestamp for m in MlflowClient(uri).get_metric_history(run_id, key)]


def test_a_server_restarted_mid_run_receives_everything_recorded_during_the_outage(
    make_project: ProjectFactory,
    enable_plugins: PluginSwitch,
    server: MlflowServer,
    server_root: Path,
    tmp_path: Path,
) -> None:
    enable_plugins("hookline-mlflow")
    markers = tmp_path / "markers"
    project = write_project(make_project, server, RESTART_PIPELINE, markers)

    process = start_run(project)
    wait_for(markers / "at_outage", process)
    stop(server)
    assert not is_up(server.uri)
    stopped_ms = int(time.time() * 1000)
    (markers / "go_outage").write_text("")
    wait_for(markers / "at_restart", process)
    # The outage nodes have run; the server comes back on the same port and store.
    with running_mlflow_server(server_root, port=server.port) as restarted:
        restarted_ms = int(time.time() * 1000)
        (markers / "go_restart").write_text("")
        output = finish_run(process)

        run = the_run(restarted.uri)
        run_id = run.info.run_id
        assert run.info.status == "FINISHED"
        assert run.data.params == {"x": "3", "api_token": "***", "markers": str(markers)}
        metrics = run.data.metrics
        assert set(metrics) == {
            "node_duration_s/start",
            "node_duration_s/during",
            "node_duration_s/report",
            "node_duration_s/wait_for_restart",
            "node_duration_s/finish",
            "score",
            "loss",
            "rows.seen/during",
            "final_value",
            "pipeline_duration_s",
        }
        assert metrics["score"] == pytest.approx(4.5)
        assert metrics["loss"] == pytest.approx(1.5)
        assert metrics["rows.seen/during"] == 42.0
        assert metrics["final_value"] == pytest.approx(14.0)
        # Recorded while the server was down, delivered after it came back.
        for key in ("node_duration_s/during", "score", "rows.seen/during"):
            (stamp,) = metric_timestamps(restarted.uri, run_id, key)
            assert stopped_ms <= stamp <= restarted_ms, key
        # The artifact saved during the outage, uploaded once the server was back.
        assert artifacts_of(restarted.uri, run_id) == [
            "hookline/pipeline.json",
            "reports/report.json",
        ]
        tags = run.data.tags
        assert tags["hookline.runner"] == "SequentialRunner"

    assert "stopped answering" in output
    assert "answers again" in output
    assert "Not delivered" not in output
    assert not list((project / "mlflow_spool").glob("*.jsonl"))
    assert CANARY not in output


def test_a_server_that_never_comes_back_leaves_a_spool_that_replay_delivers(
    make_project: ProjectFactory,
    enable_plugins: PluginSwitch,
    server: MlflowServer,
    server_root: Path,
    tmp_path: Path,
) -> None:
    enable_plugins("hookline-mlflow")
    markers = tmp_path / "markers"
    project = write_project(
        make_project, server, NEVER_BACK_PIPELINE, markers, mlflow="wait_for_server: 2\n"
    )

    process = start_run(project)
    wait_for(markers / "at_outage", process)
    stop(server)
    (markers / "go_outage").write_text("")
    # The end of the run waits wait_for_server seconds for the server, not MLflow's minutes of
    # retries (pinned in stepped time by the run logger's tests).
    output = finish_run(process)

    (spool_file,) = sorted((project / "mlflow_spool").glob("*.jsonl"))
    run_id = spool_file.stem
    lines = [json.loads(line) for line in spool_file.read_text().splitlines()]
    spooled_metrics = {line["key"] for line in lines if line["kind"] == "metric"}
    assert {"node_duration_s/during", "score", "loss", "rows.seen/during"} <= spooled_metrics
    assert {"kind": "end", "status": "FINISHED", "end_time": lines[-1]["end_time"]} == lines[-1]
    assert any(line["kind"] == "artifact" and line["artifact_path"] == "reports" for line in lines)
    # The log says what was not delivered, that the run has no end status, and where it is.
    assert f"Not delivered to MLflow run {run_id}" in output
    for key in ("node_duration_s/during", "score", "rows.seen/during"):
        assert key in output
    assert "the end status FINISHED" in output
    assert str(spool_file) in output
    assert "hookline mlflow replay" in output
    assert CANARY not in output
    assert CANARY not in spool_file.read_text()

    with running_mlflow_server(server_root, port=server.port) as restarted:
        before = the_run(restarted.uri)
        assert before.info.status == "RUNNING"
        # Exactly what the server lacks is in the spool.
        assert not spooled_metrics & set(before.data.metrics)

        replayed = run_hookline(project, "mlflow", "replay")
        assert replayed.returncode == 0, replayed.stdout + replayed.stderr
        assert run_id in replayed.stdout

        after = the_run(restarted.uri)
        assert after.info.status == "FINISHED"
        assert set(after.data.metrics) == set(before.data.metrics) | spooled_metrics
        assert after.data.metrics["score"] == pytest.approx(4.5)
        assert "reports/report.json" in artifacts_of(restarted.uri, run_id)
    assert not spool_file.exists()


@pytest.mark.parametrize("runner", ["ParallelRunner", "DaskRunner"])
def test_worker_processes_deliver_what_they_recorded_during_the_outage(
    make_project: ProjectFactory,
    enable_plugins: PluginSwitch,
    server: MlflowServer,
    server_root: Path,
    tmp_path: Path,
    runner: str,
) -> None:
    enable_plugins("hookline-mlflow")
    markers = tmp_path / "markers"
    project = write_project(make_project, server, PARALLEL_PIPELINE, markers)

    # Two worker processes either way: a process pool, or a LocalCluster the runner starts.
    process = start_run(project, "--runner", runner, "--max-workers", "2")
    wait_for(markers / "at_outage", process)
    stop(server)
    (markers / "go_outage").write_text("")
    wait_for(markers / "at_restart", process)
    # part_a, part_b and during ended in the outage: one spool file per worker process (at
    # most 2), not one per node.
    spooled = sorted((project / "mlflow_spool").glob("*.jsonl"))
    assert 1 <= len(spooled) <= 2, [p.name for p in spooled]
    assert all(re.fullmatch(r"[0-9a-f]{32}\.[0-9]+\.jsonl", p.name) for p in spooled), spooled
    with running_mlflow_server(server_root, port=server.port) as restarted:
        (markers / "go_restart").write_text("")
        output = finish_run(process)

        run = the_run(restarted.uri)
        assert run.info.status == "FINISHED"
        assert {
            "node_duration_s/start",
            "node_duration_s/part_a",
            "node_duration_s/part_b",
            "node_duration_s/during",
            "node_duration_s/wait_for_restart",
            "node_duration_s/finish",
            "score",
            "rows.seen/during",
            "final_value",
        } <= set(run.data.metrics)
    assert "Not delivered" not in output
    assert not list((project / "mlflow_spool").glob("*.jsonl"))
