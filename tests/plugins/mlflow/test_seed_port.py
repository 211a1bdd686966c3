"""The seed's ModelTrackingHooks (Kedro's MLflow example) runs on hookline with only its import
lines changed, side by side with hookline-mlflow: each records its own run, on one server."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import TrackedProjectFactory, tags_of

pytestmark = pytest.mark.integration

SEED_NODES = """
def split_data(X, ratio):
    cut = int(len(X) * (1 - ratio))
    return X.iloc[:cut], X.iloc[cut:]


def train_model(X_train, y, parameters):
    return train(X_train, y.iloc[: len(X_train)], parameters["model_options"])


def evaluate_model(model, X_test, y):
    return evaluate(model, X_test, y.iloc[-len(X_test) :])
"""


def test_the_seeds_hooks_run_side_by_side_with_the_plugin(
    tracked_project: TrackedProjectFactory, mlflow_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tracked_project(
        registry="""return {"__default__": pipeline([
            node(make_data, ["params:n", "params:seed"], ["X", "y"], name="make_data"),
        ]) + pipeline([
            node(split_data, ["X", "params:example_test_data_ratio"], ["X_train", "X_test"],
                 name="split"),
            node(train_model, ["X_train", "y", "parameters"], "example_model", name="train"),
            node(evaluate_model, ["example_model", "X_test", "y"], "scores", name="evaluate"),
        ])}""",
        parameters="n: 100\nseed: 3\nexample_test_data_ratio: 0.2\nmodel_options: {fit_intercept: true}\n",
        catalog="scores:\n  type: MemoryDataset\n  metadata: {mlflow: {log_as: metric}}\n",
        settings="from tests.plugins.mlflow.seed_hooks import ModelTrackingHooks\n\n"
        "HOOKS = (ModelTrackingHooks(),)\n",
        nodes=SEED_NODES,
    )
    # The seed logs through MLflow's fluent API, which reads the store and experiment from the
    # environment; hookline-mlflow honours the same variables.
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", project.experiment)

    try:
        result = project.run()
    finally:
        # The seed ends its run only after a successful pipeline; a failed test must not leave
        # it active for MLflow's exit handler (which would end it in the default store).
        import mlflow

        mlflow.end_run()

    runs = {
        ("plugin" if "hookline.session_id" in tags_of(r) else "seed"): r for r in project.runs()
    }
    assert set(runs) == {"plugin", "seed"}
    seed, plugin = runs["seed"], runs["plugin"]
    # The seed's run: named after the session, run_params and the split ratio as params, the model.
    assert seed.info.run_name == result.session_id
    assert seed.info.status == "FINISHED"
    assert seed.data.params["session_id"] == result.session_id
    assert seed.data.params["split_data_ratio"] == "0.2"
    assert seed.data.params["n"] == "100"
    assert len(project.models(seed.info.run_id)) == 1
    # The plugin's run, with no node name in its code.
    assert plugin.info.status == "FINISHED"
    assert plugin.data.params["example_test_data_ratio"] == "0.2"
    assert plugin.data.metrics["r2"] > 0.8
    assert {k for k in plugin.data.metrics if k.startswith("node_duration_s/")} == {
        "node_duration_s/make_data",
        "node_duration_s/split",
        "node_duration_s/train",
        "node_duration_s/evaluate",
    }
