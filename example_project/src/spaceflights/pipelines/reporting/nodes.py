"""A chart of predicted against actual prices."""

from __future__ import annotations

from typing import Any

import pandas as pd


def plot_predictions(regressor: Any, x_test: pd.DataFrame, y_test: pd.Series) -> Any:
    """Scatter predicted against actual price, with the line a perfect model would draw."""
    import matplotlib

    matplotlib.use("Agg")  # no display: the figure is saved to a file
    import matplotlib.pyplot as plt

    predicted = regressor.predict(x_test)
    figure, axes = plt.subplots(figsize=(6, 6), dpi=100)
    axes.scatter(y_test, predicted, s=8, alpha=0.5, color="#3b6ea5")
    low, high = float(min(y_test.min(), predicted.min())), float(max(y_test.max(), predicted.max()))
    axes.plot([low, high], [low, high], color="#c0392b", linewidth=1, label="perfect prediction")
    axes.set_xlabel("actual price ($)")
    axes.set_ylabel("predicted price ($)")
    axes.set_title("Shuttle prices: predicted vs actual")
    axes.legend(loc="upper left")
    figure.tight_layout()
    return figure
