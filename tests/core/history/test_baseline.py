"""The baseline: the medians per node and per measurement over the last completed runs of a
pipeline structure, whether their nodes ended in one order or not, and runs that lack a figure."""

from __future__ import annotations

from pathlib import Path

from hookline.history.baseline import (
    Baseline,
    is_watched,
    largest_watched,
    medians,
    read_baseline,
)
from hookline.history.records import MeasurementColumns, NodeColumns, RunRecord
from hookline.history.store import HistoryStore


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


def saved_run(
    store: HistoryStore, started: float, seconds: dict[str, float], **fields: str
) -> None:
    """Save a run of ``fields`` (status, structure) whose nodes ended in ``seconds``' order."""
    names = list(seconds)
    store.save(
        RunRecord(
            f"run-{started}", "__default__", fields.get("structure", "s"), "p", None,
            "SequentialRunner", None, started, 1.0, fields.get("status", "completed"),
            nodes=NodeColumns(
                names, ["completed"] * len(names), ["main"] * len(names),
                list(seconds.values()), [started + 1] * len(names),
            ),
        )
    )  # fmt: skip


def test_the_baseline_is_the_median_of_the_last_completed_runs_of_the_structure(
    tmp_path: Path,
) -> None:
    store = HistoryStore(tmp_path / "runs.db")
    saved_run(store, 1, {"a": 100.0, "b": 100.0})  # older than the last 3
    saved_run(store, 2, {"a": 1.0, "b": 10.0})
    saved_run(store, 3, {"b": 30.0, "a": 3.0})  # ended in another order (a parallel runner)
    saved_run(store, 4, {"a": 500.0, "b": 500.0}, status="failed")
    saved_run(store, 5, {"a": 500.0, "b": 500.0}, structure="other")
    saved_run(store, 6, {"a": 2.0, "b": 20.0})

    baseline = read_baseline(store, "__default__", "s", runs=3)

    assert baseline.runs == 3
    assert baseline.durations == {"a": 2.0, "b": 20.0}
    assert read_baseline(store, "__default__", "s", runs=3, before=6).durations == {
        "a": 3.0,
        "b": 30.0,
    }
    assert read_baseline(store, "__default__", "none", runs=3) == Baseline()


def test_runs_whose_nodes_ended_in_one_order_line_up_as_they_are(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "runs.db")
    for started, seconds in enumerate((4.0, 1.0, 2.0, 3.0)):
        saved_run(store, started, {"a": seconds, "b": 10 * seconds})

    baseline = read_baseline(store, "__default__", "s", runs=4)

    assert baseline.durations == {"a": 2.5, "b": 25.0}
