"""Splitting the table, fitting a linear model, and scoring it."""

import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.metrics import max_error, mean_absolute_error, r2_score
from sklearn.model_selection import train_test_split


def split_data(data: pd.DataFrame, parameters: dict) -> tuple:
    """Features and target, split into training and test rows."""
    features = data[parameters["features"]]
    target = data["price"]
    return train_test_split(
        features,
        target,
        test_size=parameters["test_size"],
        random_state=parameters["random_state"],
    )


def train_model(X_train: pd.DataFrame, y_train: pd.Series) -> LinearRegression:
    """A linear regression of the price on the features."""
    regressor = LinearRegression()
    regressor.fit(X_train, y_train)
    return regressor


def predict(regressor: LinearRegression, X_test: pd.DataFrame) -> pd.DataFrame:
    """The model's price for every test row."""
    return pd.DataFrame({"row": X_test.index, "price": regressor.predict(X_test)})


def evaluate_model(
    regressor: LinearRegression, X_test: pd.DataFrame, y_test: pd.Series
) -> dict[str, float]:
    """How well the model predicts the test rows."""
    y_pred = regressor.predict(X_test)
    return {
        "r2_score": float(r2_score(y_test, y_pred)),
        "mae": float(mean_absolute_error(y_test, y_pred)),
        "max_error": float(max_error(y_test, y_pred)),
    }
