"""Node and dataset names mapped to one readable Graphite level that StatsD keeps as it is."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookline_statsd.names import MAX_LENGTH, metric_part, metric_path, tag_value

#: What the StatsD daemon keeps unchanged in a name and what is one Graphite level ('.' is not).
ONE_LEVEL = re.compile(r"[A-Za-z0-9_-]+")


@pytest.mark.parametrize(
    ("name", "part"),
    [
        ("companies", "companies"),
        ("params:model_options", "params-model_options"),
        ("params:model_options.test_size", "params-model_options-test_size"),
        ("data_science.companies", "data_science-companies"),
        ("split_data([companies,params:x]) -> [y]", "split_data_companies_params-x_y"),
        ("preprocess companies", "preprocess_companies"),
        ("a|b@c/d", "a_b_c_d"),
        ("__default__", "__default__"),
        ("é", "_"),
    ],
)
def test_names_become_one_readable_level(name: str, part: str) -> None:
    assert metric_part(name) == part


@given(st.text(max_size=300))
def test_any_name_becomes_one_level_the_daemon_keeps(name: str) -> None:
    part = metric_part(name)

    assert ONE_LEVEL.fullmatch(part), part
    assert len(part) <= MAX_LENGTH
    assert metric_part(name) == part


def test_long_names_stay_apart() -> None:
    first, second = "n" * 200 + "first", "n" * 200 + "second"

    assert metric_part(first) != metric_part(second)
    assert len(metric_part(first)) == MAX_LENGTH


def test_a_dotted_measurement_name_keeps_its_levels() -> None:
    assert metric_path("memory.load.peak") == "memory.load.peak"
    assert metric_path("..quality..rows:bad.") == "quality.rows-bad"


@given(st.text(max_size=100))
def test_tag_values_hold_no_separator(value: str) -> None:
    assert re.fullmatch(r"[A-Za-z0-9_.-]+", tag_value(value))


def test_tag_values_stay_readable() -> None:
    assert tag_value("params:x") == "params-x"
    assert tag_value("2026-11-22T10.20.30.123Z") == "2026-11-22T10.20.30.123Z"
