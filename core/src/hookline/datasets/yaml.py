"""YAML files (safe loading and dumping only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import yaml

from hookline.datasets.base import FileDataset

# The C implementation when PyYAML was built with libyaml: several times faster.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class YAMLDataset(FileDataset):
    """A YAML document, read with the safe loader and written with the safe dumper.

    ``save_args`` go to ``yaml.dump`` (default ``{"default_flow_style": False,
    "sort_keys": False}``); ``load_args`` are not used (safe loading takes none). Files are
    UTF-8 text. Takes the arguments of :class:`~hookline.datasets.base.FileDataset`.
    """

    DEFAULT_SAVE_ARGS: ClassVar[dict[str, Any]] = {"default_flow_style": False, "sort_keys": False}
    DEFAULT_OPEN_ARGS_LOAD: ClassVar[dict[str, Any]] = {"encoding": "utf-8"}
    DEFAULT_OPEN_ARGS_SAVE: ClassVar[dict[str, Any]] = {"encoding": "utf-8"}

    def _read(self, path: Path) -> Any:
        with open(path, **self._open_args_load) as file:
            loader = _Loader(file)
            try:
                return loader.get_single_data()
            finally:
                loader.dispose()

    def _write(self, data: Any, path: Path) -> None:
        with open(path, "w", **self._open_args_save) as file:
            yaml.dump(data, file, Dumper=_Dumper, **self._save_args)
