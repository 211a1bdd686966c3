"""The data_processing pipeline."""

from __future__ import annotations

from hookline import Pipeline, node, pipeline
from spaceflights.pipelines.data_processing.nodes import (
    create_model_input_table,
    preprocess_companies,
    preprocess_shuttles,
)


def create_pipeline() -> Pipeline:
    """Preprocess companies and shuttles, then join them with reviews."""
    return pipeline(
        [
            node(
                preprocess_companies,
                "companies",
                "preprocessed_companies",
                name="preprocess_companies",
            ),
            node(
                preprocess_shuttles, "shuttles", "preprocessed_shuttles", name="preprocess_shuttles"
            ),
            node(
                create_model_input_table,
                ["preprocessed_shuttles", "preprocessed_companies", "reviews"],
                "model_input_table",
                name="create_model_input_table",
            ),
        ],
        tags="data_processing",
    )
