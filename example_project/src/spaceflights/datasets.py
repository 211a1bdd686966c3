"""A project's own dataset type: a matplotlib figure stored as a PNG file.

catalog.yml names it by its dotted path (``type: spaceflights.datasets.FigureDataset``), which
is how any project adds a storage format hookline does not ship.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hookline.datasets.base import FileDataset
from hookline.errors import DatasetError


class FigureDataset(FileDataset):
    """Saves a matplotlib figure as PNG (atomically, as every file dataset); loads the bytes."""

    def _check(self, data: Any) -> None:
        if not hasattr(data, "savefig"):
            raise DatasetError(f"FigureDataset saves matplotlib figures, got {type(data).__name__}")

    def _write(self, data: Any, path: Path) -> None:
        data.savefig(path, format="png", **self._save_args)

    def _read(self, path: Path) -> bytes:
        return path.read_bytes()
