"""How big a dataset's data is: rows, columns, length and deep bytes, measured by type.

The seed sends ``sys.getsizeof(value)``, which is shallow: a list of a million strings
weighs its array of pointers, a model weighs its object header. Here each kind of data is
measured with what is exact for it, and a figure that cannot be measured is left out rather
than guessed:

============================  ========  =========  =======  =====================================
data                          rows      columns    length   bytes
============================  ========  =========  =======  =====================================
pandas DataFrame              rows      columns    --       ``memory_usage(index=True, deep=True)``
pandas Series / Index         rows      --         --       ``memory_usage(deep=True)``
pyarrow Table / RecordBatch   rows      columns    --       ``nbytes``
numpy array (and similar)     shape[0]  shape[1]   --       ``nbytes`` (object arrays: walked)
str, bytes, bytearray         --        --         len      ``sys.getsizeof``
list, tuple, dict, set        --        --         len      every object reached, once each
None, bool, int, float        --        --         --       ``sys.getsizeof``
anything else                 --        --         len [1]  every object reached, once each
============================  ========  =========  =======  =====================================

[1] when it has a length. "Every object reached" walks the references of the data
(``gc.get_referents``), counting each object once and skipping classes, modules and functions
(shared, not part of the data); data frames and arrays met on the way count with their exact
figure. A walk that would follow more than :data:`MAX_REFERENCES` references stops and sends no
bytes gauge: a lower bound would read as the size. The limit bounds the walk's cost, so it is
checked before a container's items are listed: a list of ten million items costs one ``len``,
not a copy of ten million pointers.
"""

from __future__ import annotations

import collections
import contextlib
import gc
import sys
import types
from collections.abc import Callable
from operator import countOf
from typing import Any

#: The most references a walk follows (each object it reaches, each time it reaches it) to
#: measure one value's bytes; beyond it no bytes gauge is sent.
MAX_REFERENCES = 10_000

#: One figure: (``rows`` | ``columns`` | ``length`` | ``bytes``, value).
Figure = tuple[str, float]
Sizer = Callable[[Any, bool], list[Figure]]

_SHARED = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType, types.MethodType)
_SCALARS = (type(None), bool, int, float, complex)
#: Containers whose length tells how many references they hold (a dict: twice as many).
_SIZED = (list, tuple, set, frozenset, dict, collections.deque)


def measure(data: Any, deep_bytes: bool) -> list[Figure]:
    """The figures of ``data`` that can be measured exactly.

    Args:
        data: A loaded or saved value.
        deep_bytes: Whether to measure bytes (the costly figure for object columns and
            containers).

    Returns:
        ``[(name, value), ...]`` in the order rows, columns, length, bytes, each at most once.
    """
    cls = type(data)
    sizer = _SIZERS.get(cls)
    if sizer is None:
        sizer = _SIZERS[cls] = _sizer_for(cls)
    return sizer(data, deep_bytes)


def _sizer_for(cls: type) -> Sizer:
    """Choose how to measure instances of ``cls`` (once per type: the choice is cached)."""
    module = cls.__module__.partition(".")[0]
    if module == "pandas" and hasattr(cls, "memory_usage"):
        return _frame if hasattr(cls, "columns") else _series
    if module == "pyarrow" and hasattr(cls, "num_rows"):
        return _arrow
    if hasattr(cls, "nbytes") and hasattr(cls, "shape") and hasattr(cls, "dtype"):
        return _array
    if issubclass(cls, str | bytes | bytearray):
        return _text
    if issubclass(cls, _SCALARS):
        return _scalar
    if issubclass(cls, list | tuple | dict | set | frozenset):
        return _container
    return _other


_SIZERS: dict[type, Sizer] = {}


def _frame(data: Any, deep_bytes: bool) -> list[Figure]:
    figures: list[Figure] = [("rows", len(data.index)), ("columns", len(data.columns))]
    if deep_bytes:
        figures.append(("bytes", _frame_bytes(data)))
    return figures


def _frame_bytes(frame: Any) -> int:
    """``frame.memory_usage(index=True, deep=True).sum()``, at a fraction of its cost.

    pandas builds a Series of one figure per column for that; summing the column arrays
    directly gives the same number about 50 times faster. Falls back to pandas' own method if
    its internals differ.
    """
    try:
        arrays = frame._mgr.arrays
    except AttributeError:
        return int(frame.memory_usage(index=True, deep=True).sum())
    total = int(frame.index.memory_usage(deep=True))
    for array in arrays:
        total += _array_bytes(array)
    return total


def _array_bytes(array: Any) -> int:
    """What pandas counts for one column's (or block's) values, deep."""
    usage = getattr(array, "memory_usage", None)
    if usage is not None:  # a pandas extension array
        return int(usage(deep=True))
    total = int(array.nbytes)
    if array.dtype == object:
        total += _objects_bytes(array.ravel(order="K"))
    return total


def _objects_bytes(values: Any) -> int:
    """What pandas counts for the items of an object column: each one's ``__sizeof__``, once
    per row.

    A column of strings, the common case, is summed at C speed (``str.__sizeof__`` mapped
    over it) once every item is checked to be exactly a ``str`` (a subclass may size itself
    otherwise): the same figure, three times faster than pandas' loop, which calls
    ``__sizeof__`` through each item. Any other column goes through pandas' loop.
    """
    if len(values) and type(values[0]) is str and countOf(map(type, values), str) == len(values):
        return sum(map(str.__sizeof__, values))
    from pandas._libs import lib

    return int(lib.memory_usage_of_objects(values))  # type: ignore[attr-defined]


def _series(data: Any, deep_bytes: bool) -> list[Figure]:
    figures: list[Figure] = [("rows", len(data))]
    if deep_bytes:
        figures.append(("bytes", int(data.memory_usage(deep=True))))
    return figures


def _arrow(data: Any, deep_bytes: bool) -> list[Figure]:
    figures: list[Figure] = [("rows", data.num_rows)]
    if hasattr(data, "num_columns"):
        figures.append(("columns", data.num_columns))
    if deep_bytes:
        figures.append(("bytes", int(data.nbytes)))
    return figures


def _array(data: Any, deep_bytes: bool) -> list[Figure]:
    shape = data.shape
    figures: list[Figure] = []
    if len(shape) >= 1:
        figures.append(("rows", shape[0]))
    if len(shape) >= 2:
        figures.append(("columns", shape[1]))
    if deep_bytes:
        if _is_object_array(data):
            size = _walk(data)
            if size is not None:
                figures.append(("bytes", size))
        else:
            figures.append(("bytes", int(data.nbytes)))
    return figures


def _text(data: Any, deep_bytes: bool) -> list[Figure]:
    figures: list[Figure] = [("length", len(data))]
    if deep_bytes:
        figures.append(("bytes", sys.getsizeof(data)))
    return figures


def _scalar(data: Any, deep_bytes: bool) -> list[Figure]:
    return [("bytes", sys.getsizeof(data))] if deep_bytes else []


def _container(data: Any, deep_bytes: bool) -> list[Figure]:
    figures: list[Figure] = [("length", len(data))]
    if deep_bytes:
        size = _walk(data)
        if size is not None:
            figures.append(("bytes", size))
    return figures


def _other(data: Any, deep_bytes: bool) -> list[Figure]:
    figures: list[Figure] = []
    with contextlib.suppress(Exception):  # no length, or one that fails: nothing to send
        figures.append(("length", len(data)))
    if deep_bytes:
        size = _walk(data)
        if size is not None:
            figures.append(("bytes", size))
    return figures


def _walk(data: Any) -> int | None:
    """Bytes of ``data`` and every object it reaches, each once; ``None`` past MAX_REFERENCES."""
    seen = {id(data)}
    total = sys.getsizeof(data)
    pending = _references(data, MAX_REFERENCES)
    if pending is None:
        return None
    followed = len(pending)
    while pending:
        item = pending.pop()
        if id(item) in seen or isinstance(item, _SHARED):
            continue
        seen.add(id(item))
        cls = type(item)
        sizer = _SIZERS.get(cls)
        if sizer is None:
            sizer = _SIZERS[cls] = _sizer_for(cls)
        if sizer in _EXACT:
            # A data frame inside a container: its exact figure (its buffers are no Python
            # objects a walk could reach, and its __sizeof__ would count its parts twice).
            total += int(dict(sizer(item, True))["bytes"])
            continue
        total += sys.getsizeof(item)
        found = _references(item, MAX_REFERENCES - followed)
        if found is None:
            return None
        followed += len(found)
        pending.extend(found)
    return total


def _references(item: Any, budget: int) -> list[Any] | None:
    """What ``item`` refers to, or ``None`` if that is more than ``budget`` references.

    A container's length is compared with the budget before its items are listed: listing
    them copies every pointer, which for ten million items costs more than the whole run.
    """
    found: list[Any]
    if isinstance(item, _SIZED):
        held = len(item) * 2 if isinstance(item, dict) else len(item)
        if held > budget:
            return None
        found = gc.get_referents(item)
    elif _SIZERS.get(type(item)) is _array and _is_object_array(item):
        if item.size > budget:
            return None
        # numpy does not list an object array's items to the garbage collector.
        found = item.ravel(order="K").tolist()
    else:
        found = gc.get_referents(item)
    return found if len(found) <= budget else None


def _is_object_array(item: Any) -> bool:
    """Whether ``item`` is a numpy (or similar) array of Python objects."""
    return getattr(getattr(item, "dtype", None), "kind", "") == "O" and hasattr(item, "ravel")


_EXACT: tuple[Sizer, ...] = (_frame, _series, _arrow)
