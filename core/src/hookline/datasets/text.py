"""Plain text files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from hookline.datasets.base import FileDataset
from hookline.errors import DatasetError


class TextDataset(FileDataset):
    """A text file loaded and saved as one ``str``.

    Files are UTF-8 (change with ``fs_args: {open_args_load: {encoding: ...}}``). Takes the
    arguments of :class:`~hookline.datasets.base.FileDataset`.
    """

    DEFAULT_OPEN_ARGS_LOAD: ClassVar[dict[str, Any]] = {"encoding": "utf-8"}
    DEFAULT_OPEN_ARGS_SAVE: ClassVar[dict[str, Any]] = {"encoding": "utf-8"}

    def _read(self, path: Path) -> str:
        with open(path, **self._open_args_load) as file:
            text: str = file.read()
        return text

    def _check(self, data: Any) -> None:
        if not isinstance(data, str):
            raise DatasetError(f"text.TextDataset can only save a str, got {type(data).__name__}")

    def _write(self, data: Any, path: Path) -> None:
        with open(path, "w", **self._open_args_save) as file:
            file.write(data)
