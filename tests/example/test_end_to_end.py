"""The example project end to end, as a user meets it: a fresh environment with hookline, the
four plugins and the example installed from the repository's folders, the data generated, then
``hookline run`` against a real ``mlflow server`` and a real StatsD daemon flushing to Carbon
and graphite-web (what Grafana's Graphite data source queries), all on 127.0.0.1.

Nothing is mocked. What is checked is what a user would look at: the MLflow run (parameters,
metrics, the model, the chart, its status), the StatsD metrics in Graphite, the Great
Expectations validation results and Data Docs, the memory figures in the log and the summary,
the MLflow UI in a real browser (headless Chromium; the screenshot is kept under
tests/artifacts/), ``--env strict`` failing on the deliberately bad rows, and a second run
giving the same results.

The environment, the servers and the first run are made once for the module (a few minutes on
a busy machine): the tests are marked slow and integration.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.example.environment import EXAMPLE, clean_environ, copy_example, create_venv
from tests.integration import browser
from tests.integration.servers import mlflow_server, statsd_graphite

pytestmark = [pytest.mark.integration, pytest.mark.slow]

#: The experiment of the example (conf/base/mlflow.yml).
EXPERIMENT = "spaceflights"
#: A run of the example on a busy 2-core machine takes well under this.
RUN_TIMEOUT = 900


@dataclass
class Outcome:
    """One ``hookline run`` of the example and the MLflow runs it made."""

    returncode: int
    output: str
    runs: list[Any]
    started: float


@dataclass
class Example:
    """The installed example, its servers, and a way to run it."""

    project: Path
    bin: Path
    env: dict[str, str]
    mlflow: mlflow_server.MlflowServer
    stack: statsd_graphite.StatsdGraphite
    prefix: str
    logs: Path
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def client(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient(self.mlflow.uri)

    def experiment_id(self) -> str | None:
        experiment = self.client().get_experiment_by_name(EXPERIMENT)
        return None if experiment is None else str(experiment.experiment_id)

    def run_ids(self) -> set[str]:
        experiment = self.experiment_id()
        if experiment is None:
            return set()
        return {run.info.run_id for run in self.client().search_runs([experiment])}

    def python(self, *args: str) -> str:
        """Run the environment's Python in the project; return its stdout."""
        done = subprocess.run(
            [str(self.bin / "python"), *args],
            cwd=self.project, env=self.env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout

    def hookline_run(self, label: str, *args: str) -> Outcome:
        """``hookline run ARGS`` in the project, with its output (stdout and stderr) kept in
        ``logs/<label>.log``; returns the outcome with the MLflow runs it started."""
        before = self.run_ids()
        started = time.time()
        done = subprocess.run(
            [str(self.bin / "hookline"), "run", *args],
            cwd=self.project, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, timeout=RUN_TIMEOUT, check=False,
        )  # fmt: skip
        (self.logs / f"{label}.log").write_text(done.stdout)
        client = self.client()
        runs = [client.get_run(run_id) for run_id in sorted(self.run_ids() - before)]
        outcome = Outcome(done.returncode, done.stdout, runs, started)
        self.outcomes[label] = outcome
        return outcome

    def node_names(self) -> list[str]:
        """The nodes of the default pipeline, as the project itself registers them."""
        script = (
            "import json; from spaceflights.pipeline_registry import register_pipelines; "
            "print(json.dumps([n.name for n in register_pipelines()['__default__'].nodes]))"
        )
        names: list[str] = json.loads(self.python("-c", script))
        return names


def tree_digest(folder: Path, skip: str = "uncommitted") -> dict[str, str]:
    """Relative path -> sha256 of every file under ``folder`` outside ``skip`` folders."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and skip not in path.relative_to(folder).parts
    }


@pytest.fixture(scope="module")
def installed_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``bin`` folder of a fresh environment with hookline, the four plugins and the
    example installed (no server needed)."""
    return create_venv(tmp_path_factory.mktemp("installed") / "venv")


@pytest.fixture(scope="module")
def example(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Example]:
    """The example installed in a fresh environment, copied to a temporary folder, its data
    generated, with a real MLflow server and StatsD/Graphite stack running."""
    mlflow_server.require(mlflow_server.missing())
    statsd_graphite.require(statsd_graphite.missing())
    # Only now: making the environment takes minutes, wasted if the servers are missing.
    bin_dir: Path = request.getfixturevalue("installed_bin")
    root = tmp_path_factory.mktemp("example")
    project = copy_example(root / "spaceflights")
    logs = root / "logs"
    logs.mkdir()
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(mlflow_server.running_mlflow_server(root / "mlflow"))
        services = stack.enter_context(statsd_graphite.statsd_graphite_stack(root / "statsd"))
        prefix = statsd_graphite.unique_prefix("example")
        env = clean_environ(
            MLFLOW_TRACKING_URI=server.uri,
            STATSD_HOST=services.host,
            STATSD_PORT=str(services.port),
            STATSD_PREFIX=prefix,
        )
        installed = Example(project, bin_dir, env, server, services, prefix, logs)
        installed.python("-m", "spaceflights.data_generator")
        yield installed


@pytest.fixture(scope="module")
def first_run(example: Example) -> Outcome:
    """The example's first run, on its default configuration."""
    outcome = example.hookline_run("first")
    assert outcome.returncode == 0, outcome.output[-6000:]
    return outcome


def only_run(outcome: Outcome) -> Any:
    """The one MLflow run a pipeline run made (never a second one)."""
    assert len(outcome.runs) == 1, [run.info.run_name for run in outcome.runs]
    return outcome.runs[0]


def flatten(parameters: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": "1"}``; lists as MLflow shows them (``str``)."""
    flat: dict[str, str] = {}
    for key, value in parameters.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat


def test_the_run_is_tracked_in_mlflow(
    example: Example, first_run: Outcome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow
    import pandas as pd

    run = only_run(first_run)
    assert run.info.status == "FINISHED"
    assert run.info.run_name.startswith("spaceflights-")
    # Every parameter the nodes use, flattened, with the values of parameters.yml.
    parameters = yaml.safe_load((example.project / "conf/base/parameters.yml").read_text())
    expected = flatten(parameters)
    for key in ("model_options.n_estimators", "model_options.test_size"):
        assert key in expected
    logged = {key: run.data.params.get(key) for key in expected}
    assert {k: v for k, v in logged.items() if k != "model_options.features"} == {
        k: v for k, v in expected.items() if k != "model_options.features"
    }
    assert "model_options.features" in run.data.params
    # The metrics dataset, as evaluate_model wrote it.
    metrics = json.loads((example.project / "data/08_reporting/metrics.json").read_text())
    assert set(metrics) >= {"r2_score", "mae", "max_error"}
    for name, value in metrics.items():
        assert run.data.metrics[name] == pytest.approx(value)
    assert metrics["r2_score"] > 0.5  # the generator's prices follow the features
    # Durations of every node.
    for node in example.node_names():
        assert run.data.metrics[f"node_duration_s/{node}"] >= 0
    # The chart, byte for byte the file the run saved.
    client = example.client()
    assert "price_chart/price_chart.png" in [
        item.path for item in client.list_artifacts(run.info.run_id, "price_chart")
    ]
    chart = client.download_artifacts(run.info.run_id, "price_chart/price_chart.png", str(tmp_path))
    saved = example.project / "data/08_reporting/price_chart.png"
    assert Path(chart).read_bytes() == saved.read_bytes()
    assert Path(chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # The model: loadable with mlflow.sklearn, predicting what the run's own model predicts.
    models = [
        model
        for model in client.search_logged_models([run.info.experiment_id])
        if model.source_run_id == run.info.run_id
    ]
    assert [model.name for model in models] == ["regressor"]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", example.mlflow.uri)
    loaded = mlflow.sklearn.load_model(f"models:/{models[0].model_id}")
    assert loaded.get_params()["n_estimators"] == parameters["model_options"]["n_estimators"]
    table = pd.read_parquet(example.project / "data/03_primary/model_input_table.parquet")
    features = table[parameters["model_options"]["features"]]
    # The version this run saved (the run's session id), whatever other runs saved since.
    version = (
        example.project / "data/06_models/regressor.pickle" / run.data.tags["hookline.session_id"]
    )
    import pickle

    with (version / "regressor.pickle").open("rb") as file:
        saved_model = pickle.load(file)
    assert list(loaded.predict(features)) == pytest.approx(list(saved_model.predict(features)))


def test_statsd_received_timings_of_every_node(example: Example, first_run: Outcome) -> None:
    nodes = example.node_names()
    graphite = example.stack.graphite
    counts = [f"stats.timers.{example.prefix}.node.{node}.duration.count" for node in nodes]
    points = graphite.wait_for_metrics(counts, since=first_run.started, timeout=60)
    assert {metric: bool(points[metric]) for metric in counts} == dict.fromkeys(counts, True)
    # What the shipped dashboard's "Node duration (mean)" panel shows: one series per node.
    series = graphite.render(
        f"aliasByNode(stats.timers.{example.prefix}.node.*.duration.mean, -3)",
        since=first_run.started,
    )
    shown = {s["target"] for s in series if any(v is not None for v, _ in s["datapoints"])}
    assert shown == set(nodes)
    # Memory figures reach StatsD too, as gauges.
    peaks = graphite.render(
        f"stats.gauges.{example.prefix}.measurement.memory.node.peak.*", since=first_run.started
    )
    assert {s["target"].rsplit(".", 1)[-1] for s in peaks} == set(nodes)


def validation_results(project: Path, run_name: str) -> dict[str, tuple[str, bool]]:
    """Dataset -> (suite, success) of the validation results stored for run ``run_name``."""
    found: dict[str, tuple[str, bool]] = {}
    for path in (project / "gx/uncommitted/validations").rglob("*.json"):
        result = json.loads(path.read_text())
        if result["meta"]["run_id"]["run_name"] == run_name:
            dataset = result["meta"]["active_batch_definition"]["data_asset_name"]
            found[dataset] = (result["suite_name"], bool(result["success"]))
    return found


def test_validation_results_exist_for_the_validated_datasets(
    example: Example, first_run: Outcome
) -> None:
    run = only_run(first_run)
    session_id = run.data.tags["hookline.session_id"]
    config = yaml.safe_load((example.project / "conf/base/great_expectations.yml").read_text())
    assert config["policy"] == "warn"
    results = validation_results(example.project, session_id)
    assert set(results) == set(config["datasets"])
    # The generator's bad rows break the suites of the cleaned tables, and only those.
    assert results == {
        "companies": ("raw_companies", True),
        "preprocessed_companies": ("preprocessed_companies", False),
        "preprocessed_shuttles": ("preprocessed_shuttles", False),
        "model_input_table": ("model_input_table", True),
    }
    # The warn policy reports them and goes on.
    assert "dataset 'preprocessed_companies'" in first_run.output
    assert "(policy warn: the run goes on)" in first_run.output
    # Data Docs, built once at the end, with a page for this run's validations.
    docs = example.project / "gx/uncommitted/data_docs/local_site"
    assert f"file://{docs / 'index.html'}" in first_run.output
    for suite, _ in results.values():
        assert (docs / "validations" / suite / session_id).is_dir(), suite
    # Validation figures reach the MLflow run.
    assert run.data.metrics["validation.failed/preprocessed_companies"] == 1


def test_memory_figures_are_in_the_log_and_the_summary(
    example: Example, first_run: Outcome
) -> None:
    output = first_run.output
    assert "hookline_memory: Running node plot_predictions consumed" in output
    assert "Memory: the 5 operation(s) with the highest peak:" in output
    summary = output[output.index("Measurements") :]
    for figure in ("memory.node.peak", "memory.load.peak", "memory.save.peak"):
        assert figure in summary
    run = only_run(first_run)
    for node in example.node_names():
        assert run.data.metrics[f"memory.node.peak/{node}"] >= 0


def test_the_mlflow_ui_shows_the_run_its_metrics_and_model(
    example: Example, first_run: Outcome
) -> None:
    browser.require()
    run = only_run(first_run)
    page = f"{example.mlflow.uri}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
    text = browser.page_text(page)
    shot = browser.screenshot(page, browser.artifacts_dir() / "example-mlflow-run.png")
    assert run.info.run_name in text
    for metric in ("r2_score", "mae", "max_error", "node_duration_s/train_model"):
        assert metric in text, metric
    assert "Logged models (1)" in text
    assert "regressor" in text
    assert shot.stat().st_size > 10_000


def test_strict_env_fails_naming_dataset_suite_and_expectations(
    example: Example, first_run: Outcome
) -> None:
    outcome = example.hookline_run("strict", "--env", "strict")
    assert outcome.returncode == 1, outcome.output[-6000:]
    error = outcome.output[outcome.output.rindex("Error:") :]
    assert "dataset 'preprocessed_companies'" in error
    assert "suite 'preprocessed_companies'" in error
    assert (
        "expect_column_values_to_be_between on column 'company_rating' "
        "(min_value=0.0, max_value=1.0): 3 of " in error
    )
    run = only_run(outcome)
    assert run.info.status == "FAILED"
    assert "ValidationFailed" in run.data.tags["hookline.error"]


def test_running_again_gives_the_same_results(example: Example, first_run: Outcome) -> None:
    raw = tree_digest(example.project / "data/01_raw")
    outcome = example.hookline_run("again")
    assert outcome.returncode == 0, outcome.output[-6000:]
    first, again = only_run(first_run), only_run(outcome)
    assert again.info.status == "FINISHED"
    assert again.info.run_id != first.info.run_id
    assert again.data.params == first.data.params
    for name in ("r2_score", "mae", "max_error"):
        assert again.data.metrics[name] == first.data.metrics[name]
    # The raw data is not written again, and the committed context is left as it was.
    assert tree_digest(example.project / "data/01_raw") == raw
    assert tree_digest(example.project / "gx") == tree_digest(EXAMPLE / "gx")
    # Each run keeps its own model version.
    assert len(list((example.project / "data/06_models/regressor.pickle").iterdir())) == 2


def test_the_embedded_defaults_need_no_server(installed_bin: Path, tmp_path: Path) -> None:
    """What `nox -s example` does: no tracking server, no StatsD daemon, nothing set in the
    environment. MLflow tracks into mlflow.db in the project, StatsD warns once and the run
    goes on, the validation results land in the project's context."""
    from mlflow import MlflowClient

    project = copy_example(tmp_path / "spaceflights")
    env = clean_environ()
    python, hookline = str(installed_bin / "python"), str(installed_bin / "hookline")
    subprocess.run([python, "-m", "spaceflights.data_generator"], cwd=project, env=env, check=True)
    done = subprocess.run(
        [hookline, "run"], cwd=project, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, timeout=RUN_TIMEOUT, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:]
    client = MlflowClient(f"sqlite:///{project / 'mlflow.db'}")
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "FINISHED"
    assert "r2_score" in run.data.metrics
    assert done.stdout.count("hookline-statsd stopped sending metrics") == 1, done.stdout
    assert validation_results(project, run.data.tags["hookline.session_id"])
