"""Nodes that turn the raw exports' strings into numbers and join the tables."""

from __future__ import annotations

import pandas as pd


def _is_true(flags: pd.Series) -> pd.Series:
    return flags == "t"


def _percentage(values: pd.Series) -> pd.Series:
    return values.str.rstrip("%").astype(float) / 100


def _money(values: pd.Series) -> pd.Series:
    return values.str.replace(r"[$,]", "", regex=True).astype(float)


def preprocess_companies(companies: pd.DataFrame) -> pd.DataFrame:
    """Ratings "90%" -> 0.9 and IATA flags "t"/"f" -> booleans."""
    companies = companies.copy()
    companies["iata_approved"] = _is_true(companies["iata_approved"])
    companies["company_rating"] = _percentage(companies["company_rating"])
    return companies


def preprocess_shuttles(shuttles: pd.DataFrame) -> pd.DataFrame:
    """Prices "$1,325.0" -> 1325.0 and check flags "t"/"f" -> booleans."""
    shuttles = shuttles.copy()
    shuttles["d_check_complete"] = _is_true(shuttles["d_check_complete"])
    shuttles["moon_clearance_complete"] = _is_true(shuttles["moon_clearance_complete"])
    shuttles["price"] = _money(shuttles["price"])
    return shuttles


def create_model_input_table(
    shuttles: pd.DataFrame, companies: pd.DataFrame, reviews: pd.DataFrame
) -> pd.DataFrame:
    """One row per shuttle with its company and reviews; rows with missing values dropped."""
    table = shuttles.merge(reviews, left_on="id", right_on="shuttle_id")
    table = table.merge(companies, left_on="company_id", right_on="id", suffixes=("", "_company"))
    complete: pd.DataFrame = table.dropna().reset_index(drop=True)
    return complete
