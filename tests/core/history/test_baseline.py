"""The baseline's medians, per node and per measurement, over runs that may lack a figure."""

from __future__ import annotations

from hookline.history.baseline import is_watched, largest_watched, medians
from hookline.history.records import MeasurementColumns


def test_the_median_of_each_key_over_an_odd_and_an_even_number_of_runs() -> None:
    runs = [{"a": 3.0, "b": 10.0}, {"a": 1.0, "b": 30.0}, {"a": 2.0, "b": 20.0}]

    assert medians(runs) == {"a": 2.0, "b": 20.0}
    assert medians(runs[:2]) == {"a": 2.0, "b": 20.0}


def test_a_key_some_runs_lack_is_the_median_of_the_runs_that_have_it() -> None:
    runs = [{"a": 1.0, "b": 5.0}, {"a": 3.0}, {"a": 2.0, "c": 7.0}, {"b": 9.0}]

    assert medians(runs) == {"a": 2.0, "b": 7.0, "c": 7.0}


def test_no_runs_make_no_medians() -> None:
    assert medians([]) == {}


def test_the_largest_of_each_watched_measurement_by_subject() -> None:
    measurements = MeasurementColumns(
        names=["memory.node.peak", "memory.node.peak", "dataset.rows", "dataset.bytes"],
        values=[10.0, 30.0, 5.0, 400.0],
        units=["MiB", "MiB", "rows", "B"],
        nodes=["make", "make", "make", "make"],
        datasets=[None, None, "table", "table"],
        sources=["hookline-memory", "hookline-memory", "hookline", "hookline"],
    )

    assert largest_watched(measurements) == {
        ("memory.node.peak", "make", None): 30.0,
        ("dataset.rows", "make", "table"): 5.0,
    }
    assert is_watched("validation.failed")
    assert not is_watched("memory.node.start")
