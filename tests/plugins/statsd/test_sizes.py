"""Sizes by type: exact where they can be measured, left out where they cannot (never the
shallow ``sys.getsizeof`` of a container)."""

from __future__ import annotations

import enum
import sys
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from hookline_statsd.sizes import MAX_REFERENCES, measure


def figures(data: Any, deep_bytes: bool = True) -> dict[str, float]:
    return dict(measure(data, deep_bytes))


def test_a_frame_gives_rows_columns_and_what_pandas_says_deep() -> None:
    frame = pd.DataFrame(
        {"id": range(50), "name": [f"company {i}" for i in range(50)], "x": [0.5] * 50}
    )

    assert figures(frame) == {
        "rows": 50,
        "columns": 3,
        "bytes": int(frame.memory_usage(index=True, deep=True).sum()),
    }
    assert figures(frame, deep_bytes=False) == {"rows": 50, "columns": 3}


def test_a_frame_with_categorical_and_nullable_columns() -> None:
    frame = pd.DataFrame(
        {
            "kind": pd.Categorical(["a", "b", "a"]),
            "n": pd.array([1, None, 3], dtype="Int64"),
        },
        index=pd.Index(["x", "y", "z"]),
    )

    assert figures(frame)["bytes"] == int(frame.memory_usage(index=True, deep=True).sum())


class Colour(str, enum.Enum):
    RED = "red"
    GREEN = "green"


class Shouting(str):
    """A str subclass that sizes itself otherwise: pandas asks each item its size."""

    def __sizeof__(self) -> int:
        return 10 * super().__sizeof__()


@pytest.mark.parametrize(
    "values",
    [
        [f"company {i}" for i in range(500)],
        ["état", "naïve", "日本", "plain"] * 50,
        ["a", 1, None, 2.5, ("t",)] * 20,
        [Colour.RED, Colour.GREEN, "plain"] * 20,
        ["plain", Shouting("loud")] * 20,
        [],
    ],
    ids=["ascii", "non-ascii", "mixed", "str-enum", "own-sizeof", "empty"],
)
def test_an_object_column_counts_what_pandas_counts(values: list[Any]) -> None:
    frame = pd.DataFrame({"id": range(len(values)), "s": pd.Series(values, dtype=object)})

    assert frame["s"].dtype == object
    assert figures(frame)["bytes"] == int(frame.memory_usage(index=True, deep=True).sum())


def test_a_series_and_an_array() -> None:
    series = pd.Series([f"s{i}" for i in range(10)])
    array = np.zeros((4, 3))

    assert figures(series) == {"rows": 10, "bytes": int(series.memory_usage(deep=True))}
    assert figures(array) == {"rows": 4, "columns": 3, "bytes": array.nbytes}
    assert figures(np.arange(5)) == {"rows": 5, "bytes": 40}


def test_containers_are_measured_deep() -> None:
    names = [f"item number {i}" for i in range(100)]

    measured = figures(names)

    assert measured["length"] == 100
    assert measured["bytes"] == sys.getsizeof(names) + sum(sys.getsizeof(n) for n in names)
    assert measured["bytes"] > 10 * sys.getsizeof(names) / 2


def test_an_object_shared_twice_is_counted_once() -> None:
    shared = "x" * 1000
    pair = [shared, shared]

    assert figures(pair)["bytes"] == sys.getsizeof(pair) + sys.getsizeof(shared)


def test_a_frame_inside_a_dict_counts_with_its_exact_figure() -> None:
    frame = pd.DataFrame({"a": range(100)})
    holder = {"frame": frame}

    assert figures(holder)["bytes"] >= int(frame.memory_usage(index=True, deep=True).sum())
    assert figures(holder)["length"] == 1


def test_an_object_array_is_walked() -> None:
    array = np.array([f"value {i}" for i in range(20)], dtype=object)

    # The array itself (header and its buffer of pointers), then each string it points to.
    assert sys.getsizeof(array) > array.nbytes
    assert figures(array)["bytes"] == sys.getsizeof(array) + sum(sys.getsizeof(v) for v in array)


def test_too_many_objects_send_no_bytes_rather_than_a_lower_bound() -> None:
    big = [str(i) for i in range(MAX_REFERENCES + 10)]

    assert figures(big) == {"length": MAX_REFERENCES + 10}


def test_an_object_array_inside_a_container_is_walked() -> None:
    array = np.array([f"value {i}" for i in range(20)], dtype=object)
    holder = [array]

    assert figures(holder)["bytes"] == (
        sys.getsizeof(holder) + sys.getsizeof(array) + sum(sys.getsizeof(v) for v in array)
    )


HUGE = 2_000_000


@pytest.mark.parametrize(
    "make",
    [
        lambda: [0] * HUGE,
        lambda: tuple([0] * HUGE),
        lambda: dict.fromkeys(range(HUGE)),
        lambda: np.empty(HUGE, dtype=object),
        lambda: {"inside": [0] * HUGE},
        lambda: {"inside": np.empty((HUGE // 2, 2), dtype=object)},
    ],
    ids=["list", "tuple", "dict", "object-array", "list-in-dict", "object-array-in-dict"],
)
def test_data_past_the_limit_is_refused_before_its_items_are_copied(
    make: Callable[[], Any],
) -> None:
    data = make()
    tracemalloc.start()
    try:
        measured = figures(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert "bytes" not in measured
    # Listing two million pointers would take 16 MB; refusing takes the walk's few objects.
    assert peak < 256 * 1024


def test_strings_scalars_and_other_objects() -> None:
    class Model:
        def __init__(self) -> None:
            self.weights = [1.0, 2.0, 3.0]

    assert figures("hello") == {"length": 5, "bytes": sys.getsizeof("hello")}
    assert figures(b"abc")["length"] == 3
    assert figures(7) == {"bytes": sys.getsizeof(7)}
    assert figures(None, deep_bytes=False) == {}
    model = figures(Model())
    assert "length" not in model
    assert model["bytes"] > sys.getsizeof(Model())
