"""The reporting pipeline."""

from __future__ import annotations

from hookline import Pipeline, node, pipeline
from spaceflights.pipelines.reporting.nodes import plot_predictions


def create_pipeline() -> Pipeline:
    """Draw the predicted-vs-actual chart."""
    return pipeline(
        [
            node(
                plot_predictions,
                ["regressor", "X_test", "y_test"],
                "price_chart",
                name="plot_predictions",
            )
        ],
        tags="reporting",
    )
