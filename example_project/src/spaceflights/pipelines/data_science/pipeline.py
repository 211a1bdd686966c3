"""The data_science pipeline."""

from __future__ import annotations

from hookline import Pipeline, node, pipeline
from spaceflights.pipelines.data_science.nodes import evaluate_model, split_data, train_model


def create_pipeline() -> Pipeline:
    """Split, train, evaluate."""
    return pipeline(
        [
            node(
                split_data,
                ["model_input_table", "params:model_options"],
                ["X_train", "X_test", "y_train", "y_test"],
                name="split_data",
            ),
            node(
                train_model,
                ["X_train", "y_train", "params:model_options"],
                "regressor",
                name="train_model",
            ),
            node(
                evaluate_model, ["regressor", "X_test", "y_test"], "metrics", name="evaluate_model"
            ),
        ],
        tags="data_science",
    )
