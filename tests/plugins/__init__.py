"""Tests of the plugin distributions under plugins/, one folder per plugin."""
