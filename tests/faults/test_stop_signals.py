"""SIGTERM and SIGHUP sent to a real ``hookline run`` (what ``docker stop``, Kubernetes, systemd
and a closed terminal send) end the run as Ctrl-C does, under every runner; a second signal or
the end of the grace period ends it at once; a program's own handler is left alone."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from hookline.errors import ConfigError, Terminated
from hookline.session import HooklineSession
from tests.integration.servers.mlflow_server import MlflowServer, missing, require
from tests.support import ProjectFactory, hookline_command

from .conftest import (
    HANG_ENV_VAR,
    RECORDING_SETTINGS,
    PluginSwitch,
    read_hook_log,
    temp_files,
)

pytestmark = pytest.mark.integration

NODES = """
import time
from pathlib import Path


def double(x):
    return x * 2


def wait_for_release(y, folder):
    # Says it started, then holds its thread (or worker) until the test releases it.
    Path(folder, "node-started").write_text(str(y))
    deadline = time.monotonic() + 120
    while not Path(folder, "release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return y


def never_reached(z):
    return z
"""

PIPELINE = """return {"__default__": pipeline([
    node(double, "params:x", "y", name="double"),
    node(wait_for_release, ["y", "params:folder"], "z", name="wait"),
    node(never_reached, "z", "w", name="after_wait"),
])}"""

CATALOG = """\
y: {type: json.JSONDataset, filepath: data/y.json}
z: {type: json.JSONDataset, filepath: data/z.json}
w: {type: json.JSONDataset, filepath: data/w.json}
"""

RUNNER_ARGS: dict[str, Callable[[pytest.FixtureRequest], list[str]]] = {
    "sequential": lambda request: [],
    "thread": lambda request: ["--runner", "ThreadRunner", "--max-workers", "2"],
    "parallel": lambda request: ["--runner", "ParallelRunner", "--max-workers", "2"],
    # The runner's own LocalCluster, started and closed by the run.
    "dask-local": lambda request: ["--runner", "DaskRunner", "--max-workers", "2"],
    # A cluster the run is given, which outlives it.
    "dask-address": lambda request: [
        "--runner",
        "DaskRunner",
        "--runner-param",
        f"address={request.getfixturevalue('dask_cluster')}",
    ],
}


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    """Where the waiting node says it started; released at the end, so that a node left on a
    shared Dask cluster does not hold its worker."""
    path = tmp_path / "markers"
    path.mkdir()
    yield path
    (path / "release").write_text("")


def write_project(make_project: ProjectFactory, folder: Path, mlflow_uri: str = "") -> Path:
    conf = {
        "base/catalog.yml": CATALOG,
        "base/parameters.yml": f"x: 21\nfolder: {folder}\n",
    }
    if mlflow_uri:
        conf["base/mlflow.yml"] = f"tracking_uri: {mlflow_uri}\nexperiment_name: stopped\n"
    return make_project(NODES, PIPELINE, settings=RECORDING_SETTINGS, conf=conf)


def start(project: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        hookline_command("run", *args),
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(path: Path, process: subprocess.Popen[str], timeout: float = 240) -> None:
    """Wait until ``path`` exists (fail if the process ended first)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"hookline ended early:\n{process.communicate()[0]}")
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the run never reached {path.name}")
        time.sleep(0.02)


def finish(process: subprocess.Popen[str], timeout: float = 120) -> str:
    try:
        output, _ = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return output


def the_run(uri: str) -> Any:
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("stopped")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1, [r.info.run_id for r in runs]
    return runs[0]


def hookline_tasks_on(address: str) -> list[str]:
    """The hookline node tasks the scheduler at ``address`` still holds."""
    from distributed import Client

    with Client(address, set_as_default=False) as client:
        keys = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.tasks))
    return [str(key) for key in keys if str(key).startswith("hookline-")]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """A real MLflow server shared by the module; each test tracks into a new experiment."""
    from tests.integration.servers.mlflow_server import running_mlflow_server

    require(missing())
    with running_mlflow_server(tmp_path_factory.mktemp("mlflow-server")) as running:
        yield running


@pytest.fixture
def experiment_uri(server: MlflowServer) -> Iterator[str]:
    """The server, with the ``stopped`` experiment of the previous test renamed away."""
    from mlflow import MlflowClient

    yield server.uri
    client = MlflowClient(server.uri)
    experiment = client.get_experiment_by_name("stopped")
    if experiment is not None:
        client.rename_experiment(experiment.experiment_id, f"stopped-{time.time_ns()}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("runner", sorted(RUNNER_ARGS))
def test_a_stop_signal_during_a_node_ends_the_run_as_ctrl_c_does(
    make_project: ProjectFactory,
    enable_plugins: PluginSwitch,
    hook_log: Path,
    folder: Path,
    experiment_uri: str,
    request: pytest.FixtureRequest,
    runner: str,
    sig: signal.Signals,
) -> None:
    enable_plugins("hookline-mlflow")
    project = write_project(make_project, folder, experiment_uri)
    process = start(project, *RUNNER_ARGS[runner](request))
    wait_for(folder / "node-started", process)
    children = psutil.Process(process.pid).children(recursive=True)

    process.send_signal(sig)
    output = finish(process)

    assert process.returncode == 128 + sig, output
    assert f"Stopped: the run was stopped by {sig.name}." in output
    assert "To resume the run: hookline run" in output
    assert "--from-nodes wait" in output
    assert "Traceback" not in output
    log = read_hook_log(hook_log)
    assert [(e["hook"], e["error"], e["pid"]) for e in log] == [
        ("before_pipeline_run", None, process.pid),
        ("on_pipeline_error", "Terminated", process.pid),
    ]
    assert sig.name in log[1]["message"]
    # Every process the run started is gone (worker processes, a LocalCluster's nannies).
    _, alive = psutil.wait_procs(children, timeout=60)
    assert alive == [], [(p.pid, p.name()) for p in alive]
    if runner == "dask-address":
        # The cluster outlives the run, without its tasks.
        assert hookline_tasks_on(request.getfixturevalue("dask_cluster")) == []
    run = the_run(experiment_uri)
    assert run.info.status == "KILLED"
    assert sig.name in run.data.tags["hookline.error"]
    assert "node_duration_s/double" in run.data.metrics
    # The finished node's output is whole; nothing after the interrupted node was written.
    assert json.loads((project / "data" / "y.json").read_text()) == 42
    assert not (project / "data" / "z.json").exists()
    assert not (project / "data" / "w.json").exists()
    assert temp_files(project) == []


def test_a_second_signal_during_a_hanging_error_hook_exits_at_once(
    make_project: ProjectFactory,
    hook_log: Path,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hang = folder / "error-hook-started"
    monkeypatch.setenv(HANG_ENV_VAR, str(hang))
    project = write_project(make_project, folder)
    process = start(project)
    wait_for(folder / "node-started", process)
    process.send_signal(signal.SIGTERM)
    wait_for(hang, process)

    process.send_signal(signal.SIGTERM)
    output = finish(process)

    assert process.returncode == 143, output
    assert (
        "Stopped at once by a second SIGTERM after SIGTERM; not finished: the "
        "on_pipeline_error hooks (nodes not ended: wait, after_wait)." in output
    )
    assert [e["hook"] for e in read_hook_log(hook_log)] == [
        "before_pipeline_run",
        "on_pipeline_error",
    ]


def test_the_end_of_the_grace_period_exits_at_once(
    make_project: ProjectFactory,
    hook_log: Path,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hang = folder / "error-hook-started"
    monkeypatch.setenv(HANG_ENV_VAR, str(hang))
    monkeypatch.setenv("HOOKLINE_STOP_GRACE_SECONDS", "0.5")
    project = write_project(make_project, folder)
    process = start(project)
    wait_for(folder / "node-started", process)

    process.send_signal(signal.SIGHUP)
    output = finish(process)

    assert process.returncode == 129, output
    assert "Stopped at once by the end of the 0.5 s grace period after SIGHUP" in output
    assert "the on_pipeline_error hooks" in output
    assert hang.exists()


def test_a_bad_grace_period_is_a_usage_error_naming_where_it_is_set(
    make_project: ProjectFactory, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = write_project(make_project, folder)
    monkeypatch.setenv("HOOKLINE_STOP_GRACE_SECONDS", "soon")
    done = subprocess.run(
        hookline_command("run"), cwd=project, capture_output=True, text=True, check=False
    )
    assert done.returncode == 2, done.stderr
    assert "HOOKLINE_STOP_GRACE_SECONDS must be a number of seconds above 0, got 'soon'" in (
        done.stderr
    )

    monkeypatch.delenv("HOOKLINE_STOP_GRACE_SECONDS")
    settings = project / "src" / project.name / "settings.py"
    settings.write_text(settings.read_text() + "\nSTOP_GRACE_SECONDS = -1\n")
    with pytest.raises(ConfigError, match=r"STOP_GRACE_SECONDS in settings\.py .* got -1"):
        HooklineSession.create(project).run()


LIBRARY_CALLER = """
import signal
import sys
from pathlib import Path

from hookline.session import HooklineSession

project, folder = sys.argv[1], Path(sys.argv[2])


def own_handler(signum, frame):
    # The program's own decision: let the run finish.
    (folder / "own-handler-called").write_text(signal.Signals(signum).name)
    (folder / "release").write_text("")


signal.signal(signal.SIGTERM, own_handler)
result = HooklineSession.create(project).run()
still_installed = signal.getsignal(signal.SIGTERM) is own_handler
print("own handler still installed:", still_installed)
print("nodes completed:", [r.name for r in result.records if r.status == "completed"])
"""


def test_a_library_callers_own_sigterm_handler_is_kept(
    make_project: ProjectFactory, hook_log: Path, folder: Path, tmp_path: Path
) -> None:
    project = write_project(make_project, folder)
    script = tmp_path / "caller.py"
    script.write_text(LIBRARY_CALLER)
    process = subprocess.Popen(
        [sys.executable, str(script), str(project), str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    wait_for(folder / "node-started", process)

    process.send_signal(signal.SIGTERM)
    output = finish(process)

    assert process.returncode == 0, output
    assert (folder / "own-handler-called").read_text() == "SIGTERM"
    assert "own handler still installed: True" in output
    assert "nodes completed: ['double', 'wait', 'after_wait']" in output
    assert [e["hook"] for e in read_hook_log(hook_log)] == [
        "before_pipeline_run",
        "after_pipeline_run",
    ]


SIGNALS_ITSELF = """
import os
import signal


def double(x):
    return x * 2


def stop_me(y):
    os.kill(os.getpid(), signal.SIGTERM)
    return y
"""


def test_a_library_run_raises_terminated_and_puts_the_default_handler_back(
    make_project: ProjectFactory, hook_log: Path
) -> None:
    # In this process: the node sends SIGTERM to the process running it, the test's.
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    project = make_project(
        SIGNALS_ITSELF,
        """return {"__default__": pipeline([
            node(double, "params:x", "y", name="double"),
            node(stop_me, "y", "z", name="stop_me"),
        ])}""",
        settings=RECORDING_SETTINGS,
        conf={"base/parameters.yml": "x: 1\n"},
    )

    with pytest.raises(Terminated) as stopped:
        HooklineSession.create(project).run()

    assert isinstance(stopped.value, KeyboardInterrupt)
    assert not isinstance(stopped.value, Exception)
    assert (stopped.value.signum, stopped.value.signal_name) == (signal.SIGTERM, "SIGTERM")
    assert stopped.value.exit_code == 143
    assert str(stopped.value) == "the run was stopped by SIGTERM (signal 15)"
    assert stopped.value.resume_from == ["double"]  # y lived in memory only
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    assert signal.getsignal(signal.SIGHUP) is signal.SIG_DFL
    assert [(e["hook"], e["error"]) for e in read_hook_log(hook_log)] == [
        ("before_pipeline_run", None),
        ("on_pipeline_error", "Terminated"),
    ]
    assert os.getpid() == read_hook_log(hook_log)[1]["pid"]
