"""Nodes that split the model input, train a regressor and measure it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from sklearn.ensemble import RandomForestRegressor
from sklearn.metrics import max_error, mean_absolute_error, r2_score
from sklearn.model_selection import train_test_split


def split_data(
    data: pd.DataFrame, model_options: Mapping[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Split features and price into train and test sets, as model_options says."""
    # As floats: counts and flags alike, so the model's input schema (MLflow's signature)
    # accepts a missing value in any column.
    features = data[list(model_options["features"])].astype(float)
    target = data["price"]
    x_train, x_test, y_train, y_test = train_test_split(
        features,
        target,
        test_size=model_options["test_size"],
        random_state=model_options["random_state"],
    )
    return x_train, x_test, y_train, y_test


def train_model(
    x_train: pd.DataFrame, y_train: pd.Series, model_options: Mapping[str, Any]
) -> RandomForestRegressor:
    """Fit a random forest on the training set."""
    regressor = RandomForestRegressor(
        n_estimators=model_options["n_estimators"],
        max_depth=model_options["max_depth"],
        random_state=model_options["random_state"],
    )
    regressor.fit(x_train, y_train)
    return regressor


def evaluate_model(
    regressor: RandomForestRegressor, x_test: pd.DataFrame, y_test: pd.Series
) -> dict[str, float]:
    """Score the model on the test set: r2, mean absolute error and worst error."""
    predicted = regressor.predict(x_test)
    return {
        "r2_score": float(r2_score(y_test, predicted)),
        "mae": float(mean_absolute_error(y_test, predicted)),
        "max_error": float(max_error(y_test, predicted)),
    }
