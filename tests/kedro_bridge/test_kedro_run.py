"""`kedro run` of a project made with ``kedro new``, with hookline-kedro and the four plugins
installed, under Kedro's SequentialRunner, ThreadRunner and ParallelRunner: what a user reads
back is what the same pipeline under ``hookline run`` records (tests/example).

Nothing is mocked: a real ``mlflow server``, the StatsD daemon flushing to Carbon and
graphite-web (what the shipped Grafana dashboard queries), the example's GX context.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kedro_bridge.conftest import KedroProject, Outcome

pytestmark = [pytest.mark.kedro, pytest.mark.integration, pytest.mark.slow]

RUNNERS = ("SequentialRunner", "ThreadRunner", "ParallelRunner")

#: The nodes of the project's default pipeline.
NODES = (
    "preprocess_companies",
    "preprocess_shuttles",
    "create_model_input_table",
    "split_data",
    "train_model",
    "evaluate_model",
    "plot_predictions",
)

#: Dashboard panels a run under Kedro cannot feed: regressions come from hookline's run
#: history, which only ``hookline run`` keeps.
NOT_UNDER_KEDRO = {"Regressions"}


@pytest.fixture(scope="module", params=RUNNERS)
def finished(request: pytest.FixtureRequest, kedro_project: KedroProject) -> Outcome:
    """The default pipeline under each runner, once."""
    runner = request.param
    outcome = kedro_project.kedro_run(runner, "--runner", runner)
    assert outcome.returncode == 0, outcome.output[-6000:]
    return outcome


def only_run(outcome: Outcome) -> Any:
    """The one MLflow run a pipeline run made (never a second one)."""
    assert len(outcome.runs) == 1, [run.info.run_name for run in outcome.runs]
    return outcome.runs[0]


def test_one_finished_mlflow_run_records_what_hookline_run_records(
    kedro_project: KedroProject, finished: Outcome, tmp_path: Path
) -> None:
    run = only_run(finished)
    assert run.info.status == "FINISHED"
    tags = run.data.tags
    assert run.info.run_name == f"kedro_spaceflights-{tags['hookline.session_id']}"
    assert tags["hookline.kedro_version"] == "1.7.0"
    assert tags["hookline.runner"] in RUNNERS
    # Every parameter the nodes use, flattened.
    parameters = yaml.safe_load((kedro_project.path / "conf/base/parameters.yml").read_text())
    options = parameters["model_options"]
    assert run.data.params["model_options.n_estimators"] == str(options["n_estimators"])
    assert run.data.params["model_options.test_size"] == str(options["test_size"])
    # The metrics dataset, as evaluate_model wrote it.
    metrics = json.loads((kedro_project.path / "data/08_reporting/metrics.json").read_text())
    assert set(metrics) >= {"r2_score", "mae", "max_error"}
    for name, value in metrics.items():
        assert run.data.metrics[name] == pytest.approx(value)
    # Node durations and memory figures of every node, wherever it ran.
    for node in NODES:
        assert run.data.metrics[f"node_duration_s/{node}"] >= 0, node
        assert run.data.metrics[f"memory.node.peak/{node}"] >= 0, node
    # The sizes of the saved tables, as hookline's runners publish them.
    assert run.data.metrics["dataset.rows/model_input_table"] > 0
    assert run.data.metrics["pipeline_duration_s"] > 0
    # The chart, byte for byte the file the run saved, and the pipeline's structure.
    client = kedro_project.client()
    assert [a.path for a in client.list_artifacts(run.info.run_id, "price_chart")] == [
        "price_chart/price_chart.png"
    ]
    local = client.download_artifacts(run.info.run_id, "hookline/pipeline.json", str(tmp_path))
    structure = json.loads(Path(local).read_text())
    assert [node["name"] for node in structure["nodes"]] == list(NODES)
    # The model.
    models = [
        model
        for model in client.search_logged_models([run.info.experiment_id])
        if model.source_run_id == run.info.run_id
    ]
    assert [model.name for model in models] == ["regressor"]


def test_the_memory_summary_is_logged_at_the_end(finished: Outcome) -> None:
    assert "Memory: the 5 operation(s) with the highest peak:" in finished.output


def test_every_dashboard_panel_has_its_series_in_graphite(
    kedro_project: KedroProject, finished: Outcome
) -> None:
    from hookline_statsd.dashboard import dashboard

    runner = only_run(finished).data.tags["hookline.runner"]
    prefix = runner  # kedro_run's default prefix is the label
    graphite = kedro_project.stack.graphite
    counts = [f"stats.timers.{prefix}.node.{node}.duration.count" for node in NODES]
    points = graphite.wait_for_metrics(counts, since=finished.started, timeout=60)
    assert {metric: bool(points[metric]) for metric in counts} == dict.fromkeys(counts, True)
    for panel in dashboard(prefix)["panels"]:
        if panel["title"] in NOT_UNDER_KEDRO:
            continue
        for target in panel["targets"]:
            query = target["target"].replace("${prefix}", prefix).replace("$prefix", prefix)
            shown = with_points(graphite.render(query, finished.started))
            assert shown, (panel["title"], query)
            if panel["title"].startswith("Node duration"):
                assert shown == set(NODES), (panel["title"], shown)


def with_points(series: list[dict[str, Any]]) -> set[str]:
    """The names of the series that hold at least one value."""
    return {s["target"] for s in series if any(v is not None for v, _ in s["datapoints"])}


def test_both_gx_styles_store_their_validation_results(
    kedro_project: KedroProject, finished: Outcome
) -> None:
    run_name = only_run(finished).data.tags["hookline.session_id"]
    found: dict[str, tuple[str, bool]] = {}
    for path in (kedro_project.path / "gx/uncommitted/validations").rglob("*.json"):
        result = json.loads(path.read_text())
        if result["meta"]["run_id"]["run_name"] == run_name:
            dataset = result["meta"]["active_batch_definition"]["data_asset_name"]
            found[dataset] = (result["suite_name"], bool(result["success"]))
    # Suite style (companies, preprocessed_companies) and checkpoint style (the other two);
    # the generator's bad rows break the cleaned tables' suites, as under hookline run.
    assert found == {
        "companies": ("raw_companies", True),
        "preprocessed_companies": ("preprocessed_companies", False),
        "preprocessed_shuttles": ("preprocessed_shuttles", False),
        "model_input_table": ("model_input_table", True),
    }
    assert only_run(finished).data.metrics["validation.failed/preprocessed_companies"] == 1


@pytest.mark.parametrize("runner", RUNNERS)
def test_a_failing_node_fails_the_run_with_kedros_exit_code(
    kedro_project: KedroProject, runner: str
) -> None:
    outcome = kedro_project.kedro_run(
        f"failing-{runner}", "--pipeline", "failing", "--runner", runner
    )
    assert outcome.returncode == 1, outcome.output[-6000:]
    assert "ValueError: fail_on_purpose: this node always fails" in outcome.output
    run = only_run(outcome)
    assert run.info.status == "FAILED"
    assert "fail_on_purpose: this node always fails" in run.data.tags["hookline.error"]
    assert run.data.tags["hookline.failed_node"] == "fail_on_purpose"


@pytest.mark.parametrize("runner", RUNNERS)
def test_ctrl_c_ends_the_run_killed(kedro_project: KedroProject, runner: str) -> None:
    outcome = kedro_project.interrupted_run(
        f"interrupted-{runner}", "--pipeline", "waiting", "--runner", runner
    )
    assert outcome.returncode != 0, outcome.output[-6000:]
    run = only_run(outcome)
    assert run.info.status == "KILLED", outcome.output[-6000:]
    assert run.data.metrics["node_duration_s/preprocess_companies"] >= 0


def test_disabling_the_bridge_in_settings_leaves_kedro_alone(kedro_project: KedroProject) -> None:
    settings = kedro_project.path / "src" / "kedro_spaceflights" / "settings.py"
    original = settings.read_text()
    settings.write_text(original + '\nDISABLE_HOOKS_FOR_PLUGINS = ("hookline-kedro",)\n')
    try:
        outcome = kedro_project.kedro_run("disabled", "--pipeline", "failing")
    finally:
        settings.write_text(original)
    # Kedro's own failure, exit code and message, as with the bridge on; no plugin ran.
    assert outcome.returncode == 1, outcome.output[-6000:]
    assert "ValueError: fail_on_purpose: this node always fails" in outcome.output
    assert outcome.runs == []
    assert "Great Expectations" not in outcome.output


def test_one_plugin_switched_off_by_the_environment(kedro_project: KedroProject) -> None:
    outcome = kedro_project.kedro_run(
        "without-mlflow",
        "--pipeline",
        "data_processing",
        HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS="hookline-mlflow",
    )
    assert outcome.returncode == 0, outcome.output[-6000:]
    assert outcome.runs == []
    assert "Great Expectations: dataset 'preprocessed_companies'" in outcome.output


def test_a_dead_mlflow_server_stops_the_run_before_its_first_node(
    kedro_project: KedroProject,
) -> None:
    from tests.integration.servers.mlflow_server import free_port

    outcome = kedro_project.kedro_run(
        "dead-mlflow",
        "--pipeline",
        "data_processing",
        MLFLOW_TRACKING_URI=f"http://127.0.0.1:{free_port()}",
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
    )
    assert outcome.returncode == 1, outcome.output[-6000:]
    assert "TrackingUnavailable" in outcome.output
    assert "Running node" not in outcome.output


def test_a_dead_statsd_daemon_never_fails_the_run(kedro_project: KedroProject) -> None:
    from tests.integration.servers.statsd_graphite import free_port

    outcome = kedro_project.kedro_run(
        "dead-statsd", "--pipeline", "data_processing", STATSD_PORT=str(free_port())
    )
    assert outcome.returncode == 0, outcome.output[-6000:]
    assert only_run(outcome).info.status == "FINISHED"
