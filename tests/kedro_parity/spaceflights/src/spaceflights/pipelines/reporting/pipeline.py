"""The reporting pipeline."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import compare_passenger_capacity, summarise_model_input


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                func=compare_passenger_capacity,
                inputs="shuttles_preprocessed",
                outputs="passenger_capacity",
                name="compare_passenger_capacity_node",
            ),
            node(
                func=summarise_model_input,
                inputs="model_input_table@text",
                outputs="model_input_summary",
                name="summarise_model_input_node",
            ),
        ]
    )
