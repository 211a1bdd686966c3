"""What one run records, read back from a real MLflow server through ``MlflowClient`` and
compared with what the pipeline produced."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from hookline import __version__ as hookline_version

from .conftest import (
    MODEL_CATALOG,
    SMALL_CATALOG,
    SMALL_PIPELINE,
    TrackedProjectFactory,
    tags_of,
)

pytestmark = pytest.mark.integration


def test_a_run_records_params_metrics_model_artifacts_and_tags(
    tracked_project: TrackedProjectFactory, tmp_path: Path
) -> None:
    project = tracked_project(mlflow="tags:\n  team: pricing\n")

    result = project.run()

    run = project.only_run()
    assert run.info.status == "FINISHED"
    assert run.info.run_name == result.session_id
    # Every parameter a node uses, flattened, and no other.
    assert run.data.params == {
        "n": "120",
        "seed": "7",
        "model_options.fit_intercept": "true",
        "model_options.solver.name": "lsq",
        "model_options.solver.tolerance": "0.001",
    }
    # The metric dataset, as the pipeline computed it.
    summary = (project.path / "data" / "summary.json").read_text()
    scores = __import__("json").loads(summary)["scores"]
    assert run.data.metrics["r2"] == pytest.approx(scores["r2"])
    assert run.data.metrics["coef_area"] == pytest.approx(scores["coef_area"])
    # Node durations, the measurement a node published, and the pipeline's duration.
    for name in ("make_data", "train", "evaluate", "summarise"):
        assert run.data.metrics[f"node_duration_s/{name}"] >= 0
    assert run.data.metrics["rows.trained/train"] == 120
    assert run.data.metrics["pipeline_duration_s"] > 0
    # Tags: the run's parameters, hookline's version, the mlflow.yml tags.
    tags = tags_of(run)
    assert tags["hookline.session_id"] == result.session_id
    assert tags["hookline.pipeline_name"] == "__default__"
    assert tags["hookline.runner"] == "SequentialRunner"
    assert tags["hookline.project_path"] == str(project.path)
    assert tags["hookline.kedro_version"] == "1.7.0"
    # Filters not used say nothing, and the runtime parameters are tagged once (extra_params).
    assert not {"hookline.tags", "hookline.node_names", "hookline.pipeline_names"} & set(tags)
    assert not [key for key in tags if key.startswith("hookline.runtime_params")]
    assert tags["hookline.version"] == hookline_version
    assert tags["team"] == "pricing"
    # The artifact, after it was saved, and the pipeline's structure.
    run_id = run.info.run_id
    assert project.artifact_paths(run_id) == ["hookline/pipeline.json", "reports/summary.json"]
    assert project.artifact_text(run_id, "reports/summary.json", tmp_path) == summary
    structure = project.artifact_json(run_id, "hookline/pipeline.json", tmp_path / "p")
    assert [n["name"] for n in structure["nodes"]] == [
        "make_data",
        "train",
        "evaluate",
        "summarise",
    ]


def test_the_model_is_logged_with_its_flavor_signature_and_input_example(
    tracked_project: TrackedProjectFactory,
    mlflow_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    import mlflow
    import pandas as pd

    project = tracked_project()
    project.run()
    # MLflow's loading functions read the store from the environment.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)

    run = project.only_run()
    (model,) = project.models(run.info.run_id)
    assert model.name == "regressor"
    assert str(model.status) in {"READY", "LoggedModelStatus.READY"}
    assert model.tags["hookline.node"] == "train"
    assert model.tags["hookline.input_example"] == "X"
    assert [output.model_id for output in run.outputs.model_outputs] == [model.model_id]
    info = mlflow.models.get_model_info(f"models:/{model.model_id}")
    assert "sklearn" in info.flavors
    assert [spec.name for spec in info.signature.inputs] == ["area", "rooms"]
    assert info.signature.outputs is not None
    # The model predicts what the pipeline's model predicted.
    loaded = mlflow.sklearn.load_model(f"models:/{model.model_id}")
    frame = pd.DataFrame({"area": [1.0, 0.0], "rooms": [0.0, 1.0]})
    assert loaded.predict(frame) == pytest.approx([3.0, -2.0], abs=0.1)
    local = mlflow.artifacts.download_artifacts(f"models:/{model.model_id}", dst_path=str(tmp_path))
    example = mlflow.models.Model.load(local).load_input_example(local)
    assert list(example.columns) == ["area", "rooms"]
    assert len(example) == 5


def test_registered_model_name_registers_a_version_per_run(
    tracked_project: TrackedProjectFactory,
    mlflow_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mlflow
    import pandas as pd

    name = f"regressor-{uuid.uuid4().hex[:8]}"
    catalog = MODEL_CATALOG.replace(
        "metadata: {mlflow: {log_as: model}}",
        f"metadata: {{mlflow: {{log_as: model, registered_model_name: {name}}}}}",
    )
    assert name in catalog
    project = tracked_project(catalog=catalog)
    project.run()
    project.run()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)

    first, second = sorted(project.runs(), key=lambda r: r.info.start_time)
    versions = sorted(
        project.client.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version)
    )
    expected = [
        (str(number), run.info.run_id, f"models:/{project.models(run.info.run_id)[0].model_id}")
        for number, run in ((1, first), (2, second))
    ]
    assert [(v.version, v.run_id, v.source) for v in versions] == expected
    assert project.client.get_registered_model(name).name == name
    # The registered version is the pipeline's model: it loads and predicts as trained.
    loaded = mlflow.sklearn.load_model(f"models:/{name}/2")
    frame = pd.DataFrame({"area": [1.0, 0.0], "rooms": [0.0, 1.0]})
    assert loaded.predict(frame) == pytest.approx([3.0, -2.0], abs=0.1)


def test_registered_model_name_works_with_a_local_store(
    tracked_project: TrackedProjectFactory, tmp_path: Path
) -> None:
    from mlflow import MlflowClient

    # No MLFLOW_TRACKING_URI: the local registry must not look the model up anywhere else.
    uri = f"sqlite:///{(tmp_path / 'local.db').as_posix()}"
    catalog = MODEL_CATALOG.replace(
        "metadata: {mlflow: {log_as: model}}",
        "metadata: {mlflow: {log_as: model, registered_model_name: local_regressor}}",
    )
    project = tracked_project(catalog=catalog, tracking_uri=uri)
    project.run()

    client = MlflowClient(uri)
    (run,) = client.search_runs([client.get_experiment_by_name(project.experiment).experiment_id])
    (version,) = client.search_model_versions("name='local_regressor'")
    assert (str(version.version), version.run_id) == ("1", run.info.run_id)
    (model,) = client.search_logged_models([run.info.experiment_id])
    assert version.source == model.artifact_location


def test_metric_datasets_take_a_key_a_step_and_mlflow_yml_declarations(
    tracked_project: TrackedProjectFactory,
) -> None:
    project = tracked_project(
        registry=SMALL_PIPELINE,
        parameters="x: 5\n",
        catalog=SMALL_CATALOG,
        mlflow="datasets:\n  y: {log_as: metric, key: doubled, step: 3}\n",
    )
    project.run()

    run = project.only_run()
    assert run.data.metrics["quality_score"] == pytest.approx(3.0)
    history = project.client.get_metric_history(run.info.run_id, "doubled")
    assert [(m.value, m.step) for m in history] == [(10.0, 3)]
    assert project.artifact_paths(run.info.run_id) == ["hookline/pipeline.json", "total/total.json"]


def test_metric_and_node_names_are_made_valid_for_mlflow(
    tracked_project: TrackedProjectFactory,
) -> None:
    project = tracked_project(
        registry="""return {"__default__": pipeline([
            node(double, "params:x", "y", name="double: x [v2]"),
            node(score, "y", "quality", name="../score//it/"),
        ])}""",
        parameters="x: 5\n",
        catalog="quality:\n  type: MemoryDataset\n  metadata: {mlflow: {log_as: metric, key: 'q@1:ok'}}\n",
    )
    project.run()

    metrics = project.only_run().data.metrics
    valid = re.compile(r"^[/\w.\- ]*$")
    assert all(valid.match(name) for name in metrics), sorted(metrics)
    assert "node_duration_s/double_ x _v2_" in metrics
    assert "node_duration_s/_/score/it" in metrics
    assert metrics["q_1_ok"] == pytest.approx(1.0)


def test_hundreds_of_params_go_in_batches_of_at_most_a_hundred(
    tracked_project: TrackedProjectFactory, mlflow_server: Any
) -> None:
    parameters = "grid:\n" + "".join(f"  p{i:03d}: {i}\n" for i in range(250))
    project = tracked_project(
        registry='return {"__default__": pipeline([node(double, "params:grid.p001", "y", name="d"),'
        ' node(len, "params:grid", "count", name="count")])}',
        parameters=parameters,
        catalog="",
    )
    before = _log_batch_calls(mlflow_server)

    project.run()

    params = project.only_run().data.params
    assert params == {f"grid.p{i:03d}": str(i) for i in range(250)}
    calls = _log_batch_calls(mlflow_server) - before
    # The server refuses a call with more than 100 params, so 250 took at least 3 calls; and
    # they were batched, not sent one by one.
    assert 3 <= calls < 20


def _log_batch_calls(server: Any) -> int:
    return server.log_path.read_text(errors="replace").count("POST /api/2.0/mlflow/runs/log-batch")


def test_the_git_commit_and_dirty_flag_are_tags(
    tracked_project: TrackedProjectFactory,
) -> None:
    import subprocess

    project = tracked_project(registry=SMALL_PIPELINE, parameters="x: 5\n", catalog=SMALL_CATALOG)

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=project.path,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    git("init", "-q")
    git("add", "-A")
    git("commit", "-q", "-m", "first")
    commit = git("rev-parse", "HEAD")
    project.run()
    (project.path / "conf" / "base" / "parameters.yml").write_text("x: 6\n")
    project.run()

    first, second = sorted(project.runs(), key=lambda r: r.info.start_time)
    for run, dirty in ((first, "false"), (second, "true")):
        tags = tags_of(run)
        assert tags["mlflow.source.git.commit"] == commit
        assert tags["hookline.git.commit"] == commit
        assert tags["hookline.git.dirty"] == dirty
