"""The data_processing pipeline."""

from kedro.pipeline import Pipeline, node, pipeline

from .nodes import create_model_input_table, preprocess_companies, preprocess_shuttles


def create_pipeline(**kwargs) -> Pipeline:
    return pipeline(
        [
            node(
                func=preprocess_companies,
                inputs="companies",
                outputs="companies_preprocessed",
                name="preprocess_companies_node",
            ),
            node(
                func=preprocess_shuttles,
                inputs="shuttles",
                outputs="shuttles_preprocessed",
                name="preprocess_shuttles_node",
            ),
            node(
                func=create_model_input_table,
                inputs=["shuttles_preprocessed", "companies_preprocessed", "reviews"],
                outputs="model_input_table@pandas",
                name="create_model_input_table_node",
            ),
        ]
    )
