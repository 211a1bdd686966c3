"""Fixtures for hookline-mlflow's tests: a real MLflow server, projects that track into it,
and reading runs back through ``MlflowClient``.

Every project gets an experiment of its own (a fresh name), so that a test sees only its
own runs on the server that the whole session shares. Other installed hookline plugins are
switched off, so that a run records only what this plugin and the test's nodes produce.
"""

from __future__ import annotations

import json
import textwrap
import uuid
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from hookline.runner import AbstractRunner
from hookline.session import HooklineSession, RunResult

# The real server, started once per test session.
from tests.integration.servers.mlflow_server import MlflowServer, mlflow_server  # noqa: F401
from tests.support import ProjectFactory

NODES = '''
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression

from hookline import Measurement, publish_measurement


def make_data(n, seed):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"area": rng.normal(size=n), "rooms": rng.normal(size=n)})
    y = 3.0 * X["area"] - 2.0 * X["rooms"] + rng.normal(scale=0.1, size=n)
    return X, y


def train(X, y, options):
    publish_measurement(Measurement("rows.trained", float(len(X)), "count", node="train"))
    return LinearRegression(fit_intercept=options["fit_intercept"]).fit(X, y)


def evaluate(model, X, y):
    return {"r2": float(model.score(X, y)), "coef_area": float(model.coef_[0])}


def summarise(scores):
    return {"scores": scores, "verdict": "good" if scores["r2"] > 0.9 else "poor"}


def double(x):
    return x * 2


def add(a, b):
    return a + b


def score(x):
    return float(x) / 10.0


def fail(x):
    raise ValueError("bad input row 7")


def fail_with(url):
    raise ConnectionError(f"cannot reach {url}")


def interrupt(x):
    raise KeyboardInterrupt


def stop_process(x, pid):
    """Stop the process group ``pid`` leads (a tracking server), and wait until it is gone."""
    import os
    import signal

    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    return x * 2


def wait_for_signal(x, marker):
    """Write ``marker``, then wait (to be interrupted)."""
    with open(marker, "w") as f:
        f.write("started")
    time.sleep(120)
    return x
'''

#: The model pipeline: data, a trained model, its scores (a metric dataset), a summary file.
MODEL_PIPELINE = """return {"__default__": pipeline([
    node(make_data, ["params:n", "params:seed"], ["X", "y"], name="make_data"),
    node(train, ["X", "y", "params:model_options"], "regressor", name="train"),
    node(evaluate, ["regressor", "X", "y"], "scores", name="evaluate"),
    node(summarise, "scores", "summary", name="summarise"),
])}"""

#: A small numeric pipeline every runner can run quickly.
SMALL_PIPELINE = """return {"__default__": pipeline([
    node(double, "params:x", "y", name="double"),
    node(double, "y", "z", name="double_again"),
    node(add, ["y", "z"], "total", name="add"),
    node(score, "total", "quality", name="score"),
])}"""

MODEL_PARAMETERS = """\
n: 120
seed: 7
model_options:
  fit_intercept: true
  solver:
    name: lsq
    tolerance: 0.001
unused_by_any_node: 42
"""

MODEL_CATALOG = """\
scores:
  type: MemoryDataset
  metadata: {mlflow: {log_as: metric}}
regressor:
  type: MemoryDataset
  metadata: {mlflow: {log_as: model}}
summary:
  type: json.JSONDataset
  filepath: data/summary.json
  metadata: {mlflow: {log_as: artifact, artifact_path: reports}}
"""

SMALL_CATALOG = """\
quality:
  type: MemoryDataset
  metadata: {mlflow: {log_as: metric, key: quality_score}}
total:
  type: json.JSONDataset
  filepath: data/total.json
  metadata: {mlflow: {log_as: artifact}}
"""


@pytest.fixture(autouse=True)
def only_this_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch off every other installed hookline plugin, and clear MLflow's environment."""
    others = {
        ep.dist.name
        for ep in metadata.entry_points(group="hookline.hooks")
        if ep.dist is not None and ep.dist.name != "hookline-mlflow"
    }
    monkeypatch.setenv("HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS", ",".join(sorted(others)))
    for variable in (
        "MLFLOW_TRACKING_URI",
        "MLFLOW_EXPERIMENT_NAME",
        "MLFLOW_EXPERIMENT_ID",
        "MLFLOW_RUN_ID",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
        "MLFLOW_TRACKING_TOKEN",
    ):
        monkeypatch.delenv(variable, raising=False)
    # No telemetry from the tests' own MLflow client.
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")


@pytest.fixture
def client(mlflow_server: MlflowServer) -> Any:  # noqa: F811 (the fixture imported above)
    """An ``MlflowClient`` of the test server."""
    from mlflow import MlflowClient

    return MlflowClient(mlflow_server.uri)


class TrackedProject:
    """A project on disk whose ``mlflow.yml`` points at the test server, in an experiment of
    its own."""

    def __init__(self, path: Path, experiment: str, client: Any) -> None:
        self.path = path
        self.experiment = experiment
        self.client = client

    def run(self, runner: AbstractRunner | None = None, **kwargs: Any) -> RunResult:
        """Run the project's default pipeline in a fresh session."""
        return HooklineSession.create(self.path, **kwargs).run(runner=runner)

    def runs(self) -> list[Any]:
        """Every run of the project's experiment, newest first."""
        found = self.client.get_experiment_by_name(self.experiment)
        if found is None:
            return []
        return list(self.client.search_runs([found.experiment_id], order_by=["start_time DESC"]))

    def only_run(self) -> Any:
        """The experiment's one run (fails when there is not exactly one)."""
        runs = self.runs()
        assert len(runs) == 1, (
            f"expected one run, found {len(runs)}: {[r.info.run_id for r in runs]}"
        )
        return runs[0]

    def artifact_paths(self, run_id: str, folder: str | None = None) -> list[str]:
        """Every artifact file of a run, recursively."""
        found: list[str] = []
        for item in self.client.list_artifacts(run_id, folder):
            if item.is_dir:
                found.extend(self.artifact_paths(run_id, item.path))
            else:
                found.append(item.path)
        return sorted(found)

    def artifact_text(self, run_id: str, path: str, tmp: Path) -> str:
        """The text of one artifact of a run."""
        local = self.client.download_artifacts(run_id, path, str(tmp))
        return Path(local).read_text()

    def artifact_json(self, run_id: str, path: str, tmp: Path) -> Any:
        """One JSON artifact of a run, parsed."""
        return json.loads(self.artifact_text(run_id, path, tmp))

    def models(self, run_id: str) -> list[Any]:
        """The LoggedModels whose source is ``run_id``."""
        found = self.client.get_experiment_by_name(self.experiment)
        return [
            model
            for model in self.client.search_logged_models([found.experiment_id])
            if model.source_run_id == run_id
        ]


TrackedProjectFactory = Callable[..., TrackedProject]


@pytest.fixture
def tracked_project(
    make_project: ProjectFactory,
    mlflow_server: MlflowServer,  # noqa: F811
    client: Any,
) -> TrackedProjectFactory:
    """Write a project that tracks into the test server and return it.

    Call it with ``registry`` (default: the model pipeline), ``parameters``, ``catalog``,
    ``mlflow`` (extra ``mlflow.yml`` lines), ``credentials``, ``settings``, ``conf``,
    ``tracking_uri`` (default: the test server's) and ``nodes`` (more node functions).
    """

    def factory(
        registry: str = MODEL_PIPELINE,
        parameters: str = MODEL_PARAMETERS,
        catalog: str = MODEL_CATALOG,
        mlflow: str = "",
        credentials: str = "",
        settings: str = "",
        conf: dict[str, str] | None = None,
        tracking_uri: str | None = None,
        nodes: str = "",
    ) -> TrackedProject:
        experiment = f"test-{uuid.uuid4().hex[:12]}"
        uri = tracking_uri or mlflow_server.uri
        files = {
            "base/parameters.yml": parameters,
            "base/catalog.yml": catalog,
            "base/mlflow.yml": f"tracking_uri: {uri}\nexperiment_name: {experiment}\n"
            + textwrap.dedent(mlflow),
            **(conf or {}),
        }
        if credentials:
            files["local/credentials.yml"] = credentials
        path = make_project(NODES + nodes, registry, settings=settings, conf=files)
        return TrackedProject(path, experiment, client)

    return factory


@pytest.fixture
def free_uri() -> str:
    """The URI of a port on 127.0.0.1 where nothing listens."""
    from tests.integration.servers.mlflow_server import free_port

    return f"http://127.0.0.1:{free_port()}"


def tags_of(run: Any) -> dict[str, str]:
    """A run's tags."""
    return dict(run.data.tags)
