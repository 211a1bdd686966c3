"""Cleaning the raw tables and joining them into the table the models learn from."""

import pandas as pd


def _is_true(column: pd.Series) -> pd.Series:
    return column == "t"


def _parse_percentage(column: pd.Series) -> pd.Series:
    return column.str.replace("%", "").astype(float) / 100


def _parse_money(column: pd.Series) -> pd.Series:
    return column.str.replace("$", "").str.replace(",", "").astype(float)


def preprocess_companies(companies: pd.DataFrame) -> pd.DataFrame:
    """Flags as booleans, ratings as fractions."""
    companies["iata_approved"] = _is_true(companies["iata_approved"])
    companies["company_rating"] = _parse_percentage(companies["company_rating"])
    return companies


def preprocess_shuttles(shuttles: pd.DataFrame) -> pd.DataFrame:
    """Flags as booleans, prices as numbers."""
    shuttles["d_check_complete"] = _is_true(shuttles["d_check_complete"])
    shuttles["moon_clearance_complete"] = _is_true(shuttles["moon_clearance_complete"])
    shuttles["price"] = _parse_money(shuttles["price"])
    return shuttles


def create_model_input_table(
    shuttles: pd.DataFrame, companies: pd.DataFrame, reviews: pd.DataFrame
) -> pd.DataFrame:
    """One row per reviewed shuttle, with its company's columns."""
    rated_shuttles = shuttles.merge(reviews, left_on="id", right_on="shuttle_id")
    rated_shuttles = rated_shuttles.drop("id", axis=1)
    table = rated_shuttles.merge(companies, left_on="company_id", right_on="id")
    return table.dropna()
