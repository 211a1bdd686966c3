"""Any picklable object in a file."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hookline.datasets.base import FileDataset, Version, module_installed
from hookline.errors import DatasetError


def _importable(module: object) -> bool:
    # The backend comes from YAML: it may be anything.
    return isinstance(module, str) and module_installed(module)


class PickleDataset(FileDataset):
    """An object saved with ``<backend>.dump`` and loaded with ``<backend>.load``.

    Args:
        backend: the module that pickles: ``"pickle"`` (default), or any module with
            ``load(file, **load_args)`` and ``dump(data, file, **save_args)`` such as
            ``"joblib"`` or ``"cloudpickle"`` (imported at the first load or save).

    The other arguments are those of :class:`~hookline.datasets.base.FileDataset`.
    Only load pickles you trust: unpickling runs code.
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        *,
        backend: str = "pickle",
        load_args: Mapping[str, Any] | None = None,
        save_args: Mapping[str, Any] | None = None,
        versioned: bool = False,
        version: Version | None = None,
        credentials: Mapping[str, Any] | None = None,
        fs_args: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if not _importable(backend):
            raise DatasetError(f"Pickle backend {backend!r} is not an importable module")
        self._backend = backend
        super().__init__(
            filepath,
            load_args=load_args,
            save_args=save_args,
            versioned=versioned,
            version=version,
            credentials=credentials,
            fs_args=fs_args,
            metadata=metadata,
        )

    def _module(self) -> Any:
        module = importlib.import_module(self._backend)
        if not (
            callable(getattr(module, "load", None)) and callable(getattr(module, "dump", None))
        ):
            raise DatasetError(f"Pickle backend '{self._backend}' has no load() and dump()")
        return module

    def _read(self, path: Path) -> Any:
        with open(path, "rb", **self._open_args_load) as file:
            return self._module().load(file, **self._load_args)

    def _write(self, data: Any, path: Path) -> None:
        with open(path, "wb", **self._open_args_save) as file:
            self._module().dump(data, file, **self._save_args)

    def describe(self) -> dict[str, Any]:
        """Path, version, arguments and the pickling backend."""
        return {**super().describe(), "backend": self._backend}
