"""The data_science pipeline: one modelling pipeline, reused under two namespaces."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import evaluate_model, predict, split_data, train_model


def create_pipeline(**kwargs) -> Pipeline:
    modelling = pipeline(
        [
            node(
                func=split_data,
                inputs=["model_input_table@pandas", "params:model_options"],
                outputs=["X_train", "X_test", "y_train", "y_test"],
                name="split_data_node",
            ),
            node(
                func=train_model,
                inputs=["X_train", "y_train"],
                outputs="regressor",
                name="train_model_node",
            ),
            node(
                func=predict,
                inputs=["regressor", "X_test"],
                outputs="predictions",
                name="predict_node",
            ),
            node(
                func=evaluate_model,
                inputs=["regressor", "X_test", "y_test"],
                outputs="metrics",
                name="evaluate_model_node",
            ),
        ]
    )
    active = pipeline(
        modelling,
        inputs="model_input_table@pandas",
        namespace="active_modelling_pipeline",
    )
    candidate = pipeline(
        modelling,
        inputs="model_input_table@pandas",
        namespace="candidate_modelling_pipeline",
    )
    return active + candidate
