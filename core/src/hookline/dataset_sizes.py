"""Rows, columns and bytes of every saved data frame or array, as core measurements.

Read from the object's own metadata (``shape``, ``nbytes``, ``memory_usage(deep=False)``) by
duck typing, so that pandas and numpy are never imported here and the figures exist with or
without the StatsD plugin. Any other object costs one attribute lookup on its type.
"""

from __future__ import annotations

from typing import Any

from hookline.measurements import CORE_SOURCE, Measurement, publish_measurement


def publish_saved_size(dataset: str, data: Any, node: str) -> None:
    """Publish ``dataset.rows``, ``dataset.columns`` and ``dataset.bytes`` of ``data`` just
    saved as ``dataset`` by ``node``, if it has a ``shape``; do nothing otherwise."""
    if getattr(type(data), "shape", None) is None:
        return
    try:
        figures = _figures(data)
    except Exception:  # an odd object with a shape: its size is not worth a failed node
        return
    for name, value, unit in figures:
        publish_measurement(
            Measurement(name, float(value), unit, node=node, dataset=dataset, source=CORE_SOURCE)
        )


def _figures(data: Any) -> list[tuple[str, int, str]]:
    shape = tuple(data.shape)
    figures = []
    if shape:
        figures.append(("dataset.rows", int(shape[0]), "rows"))
    if len(shape) > 1:
        figures.append(("dataset.columns", int(shape[1]), "columns"))
    size = _bytes(data)
    if size is not None:
        figures.append(("dataset.bytes", size, "B"))
    return figures


def _bytes(data: Any) -> int | None:
    nbytes = getattr(data, "nbytes", None)
    if isinstance(nbytes, int):  # numpy arrays, pandas Series
        return nbytes
    usage = getattr(data, "memory_usage", None)
    if callable(usage):  # pandas DataFrame: shallow, cheap, object columns count as pointers
        return int(usage(deep=False).sum())
    return None
