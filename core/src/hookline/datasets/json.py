"""JSON files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from hookline.datasets.base import FileDataset


class JSONDataset(FileDataset):
    """A JSON document: ``json.load(file, **load_args)`` / ``json.dump(data, file, **save_args)``.

    Files are UTF-8 text (change with ``fs_args: {open_args_load: {encoding: ...}}``);
    ``save_args`` default to ``{"indent": 2}``. Takes the arguments of
    :class:`~hookline.datasets.base.FileDataset`.
    """

    DEFAULT_SAVE_ARGS: ClassVar[dict[str, Any]] = {"indent": 2}
    DEFAULT_OPEN_ARGS_LOAD: ClassVar[dict[str, Any]] = {"encoding": "utf-8"}
    DEFAULT_OPEN_ARGS_SAVE: ClassVar[dict[str, Any]] = {"encoding": "utf-8"}

    def _read(self, path: Path) -> Any:
        with open(path, **self._open_args_load) as file:
            return json.load(file, **self._load_args)

    def _write(self, data: Any, path: Path) -> None:
        with open(path, "w", **self._open_args_save) as file:
            json.dump(data, file, **self._save_args)
