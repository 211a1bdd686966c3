"""Cleaning the raw exports into one model input table."""
