"""CSV and Parquet files as pandas DataFrames (the ``pandas`` extra: pandas and pyarrow).

pandas is imported when a dataset loads or saves, never when this module is imported, so a
catalog that merely lists these datasets costs nothing until a run touches one.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from hookline.datasets.base import FileDataset, Version
from hookline.errors import DatasetError

_INSTALL_HINT = "install it with: pip install 'hookline[pandas]'"


def _require(dataset: str, *modules: str) -> None:
    # find_spec looks for the module without importing it: a clear error when the catalog is
    # built beats a bare ImportError in the middle of a run.
    for module in modules:
        if importlib.util.find_spec(module) is None:
            raise DatasetError(f"{dataset} needs the '{module}' package; {_INSTALL_HINT}")


def _check_frame(dataset: str, data: Any) -> None:
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise DatasetError(f"{dataset} can only save a pandas DataFrame, got {type(data).__name__}")


class CSVDataset(FileDataset):
    """A CSV file loaded with ``pandas.read_csv`` and saved with ``DataFrame.to_csv``.

    ``save_args`` default to ``{"index": False}``, so a saved frame loads back unchanged.
    Takes the arguments of :class:`~hookline.datasets.base.FileDataset`.
    """

    DEFAULT_SAVE_ARGS: ClassVar[dict[str, Any]] = {"index": False}

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        *,
        load_args: Mapping[str, Any] | None = None,
        save_args: Mapping[str, Any] | None = None,
        versioned: bool = False,
        version: Version | None = None,
        credentials: Mapping[str, Any] | None = None,
        fs_args: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        _require("pandas.CSVDataset", "pandas")
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

    def _read(self, path: Path) -> Any:
        import pandas as pd

        return pd.read_csv(path, **self._load_args)

    def _check(self, data: Any) -> None:
        _check_frame("pandas.CSVDataset", data)

    def _write(self, data: Any, path: Path) -> None:
        data.to_csv(path, **self._save_args)


class ParquetDataset(FileDataset):
    """A Parquet file loaded with ``pandas.read_parquet`` and saved with ``DataFrame.to_parquet``.

    Takes the arguments of :class:`~hookline.datasets.base.FileDataset`.
    """

    def __init__(
        self,
        filepath: str | os.PathLike[str],
        *,
        load_args: Mapping[str, Any] | None = None,
        save_args: Mapping[str, Any] | None = None,
        versioned: bool = False,
        version: Version | None = None,
        credentials: Mapping[str, Any] | None = None,
        fs_args: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        _require("pandas.ParquetDataset", "pandas", "pyarrow")
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

    def _read(self, path: Path) -> Any:
        import pandas as pd

        return pd.read_parquet(path, **self._load_args)

    def _check(self, data: Any) -> None:
        _check_frame("pandas.ParquetDataset", data)

    def _write(self, data: Any, path: Path) -> None:
        data.to_parquet(path, **self._save_args)
