"""Node functions and data for hookline-statsd's tests and benchmark.

Module-level functions, so that ParallelRunner and DaskRunner can send them to their worker
processes.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from hookline import Measurement, publish_measurement


def make_frame(rows: int) -> pd.DataFrame:
    """A frame of ``rows`` rows and 2 numeric columns (whose bytes do not depend on how the
    frame travelled between processes, unlike Arrow-backed strings)."""
    return pd.DataFrame({"id": range(rows), "score": [i * 0.5 for i in range(rows)]})


def keep_even(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows whose id is even."""
    return frame[frame["id"] % 2 == 0].reset_index(drop=True)


def names_of(frame: pd.DataFrame) -> list[str]:
    """A name for each row, as a list."""
    return [f"item {i}" for i in frame["id"]]


def measured(data: Any) -> Any:
    """Publish a measurement, as another plugin would, then return ``data``."""
    publish_measurement(
        Measurement("quality.checked", 3.0, "count", node="measured", source="tests")
    )
    publish_measurement(Measurement("quality.delta", -2.5, "count", source="tests"))
    return data


def fail(data: Any) -> Any:
    """Fail."""
    raise ValueError("bad row 7")


def identity(data: Any) -> Any:
    """Return ``data``."""
    return data
