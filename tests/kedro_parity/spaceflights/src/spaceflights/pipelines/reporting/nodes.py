"""Tables for people."""

import pandas as pd


def compare_passenger_capacity(shuttles: pd.DataFrame) -> pd.DataFrame:
    """The mean passenger capacity of each shuttle type."""
    return (
        shuttles.groupby("shuttle_type")["passenger_capacity"]
        .mean()
        .reset_index()
        .sort_values("shuttle_type")
    )


def summarise_model_input(text: str) -> dict:
    """The columns and the number of rows of the model input table, read as text."""
    lines = text.strip().splitlines()
    return {"columns": lines[0].split(","), "rows": len(lines) - 1}
