"""Tests of hookline-memory (plugins/hookline-memory)."""
