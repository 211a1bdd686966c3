"""MemoryDataset: data handed from one node to the next without leaving the process."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any

from hookline.datasets.base import AbstractDataset
from hookline.errors import DatasetError

#: The copy modes a MemoryDataset accepts; "deepcopy" is Kedro's name for "copy".
COPY_MODES = (None, "assign", "copy", "deepcopy")


class _Empty:
    """The marker of a MemoryDataset holding nothing (``None`` is valid data)."""

    def __repr__(self) -> str:
        return "<empty>"


_EMPTY: Any = _Empty()

_NO_DATA = "MemoryDataset has no data: nothing was saved to it (or released)"


class MemoryDataset(AbstractDataset):
    """Holds one object in memory.

    Args:
        data: the initial data (none: the dataset is empty until saved).
        copy_mode: ``None`` or ``"assign"`` hand out the very object that was saved;
            ``"copy"`` (alias ``"deepcopy"``) deep-copies on save and on load.
        metadata: free-form user data.

    The default is ``"assign"`` for every type, DataFrames included, unlike Kedro (which
    copies DataFrames): a load is on the runner's hot path and copying a large frame on every
    load costs more than the node that reads it. The price is a rule: a node must not mutate
    its inputs in place. Use ``copy_mode: copy`` for the rare dataset whose consumer does.
    """

    def __init__(
        self,
        data: Any = _EMPTY,
        *,
        copy_mode: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if copy_mode not in COPY_MODES:
            raise DatasetError(
                f"Unknown copy_mode {copy_mode!r} for MemoryDataset: "
                "use 'assign' (the default) or 'copy'"
            )
        self._copy_mode = copy_mode
        self._copy: Callable[[Any], Any] | None = (
            copy.deepcopy if copy_mode in ("copy", "deepcopy") else None
        )
        self._data: Any = _EMPTY
        if metadata:
            self.metadata = metadata
        if data is not _EMPTY:
            self.save(data)

    def load(self) -> Any:
        """Return the data (a copy under ``copy_mode="copy"``)."""
        data = self._data
        if data is _EMPTY:
            raise DatasetError(_NO_DATA)
        copier = self._copy
        return data if copier is None else copier(data)

    def save(self, data: Any) -> None:
        """Keep ``data`` (a copy under ``copy_mode="copy"``)."""
        copier = self._copy
        self._data = data if copier is None else copier(data)

    def held(self) -> Any:
        """Return the data as it is held, never a copy (whatever the copy mode): for moving
        it between processes, where :meth:`load` would copy it for no node.

        Raises:
            DatasetError: If the dataset holds nothing.
        """
        data = self._data
        if data is _EMPTY:
            raise DatasetError(_NO_DATA)
        return data

    def hold(self, data: Any) -> None:
        """Keep ``data`` as it is, never a copy (whatever the copy mode): the counterpart of
        :meth:`held` in the process the data is moved to."""
        self._data = data

    def clear(self) -> None:
        """Hold nothing, as after :meth:`release`, but without being a release (which a
        subclass may watch): the data was moved to another process, not given up by the run."""
        self._data = _EMPTY

    def exists(self) -> bool:
        """Whether data was saved and not released."""
        return self._data is not _EMPTY

    def release(self) -> None:
        """Drop the data so that its memory can be freed."""
        self._data = _EMPTY

    def describe(self) -> dict[str, Any]:
        """The type of the data held (never the data itself) and the copy mode."""
        data = self._data
        held = None if data is _EMPTY else type(data).__name__
        return {"data": held, "copy_mode": self._copy_mode}
