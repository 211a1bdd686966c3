"""Tests of hookline-mlflow."""
