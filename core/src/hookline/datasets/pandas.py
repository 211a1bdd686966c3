"""CSV and Parquet files as pandas DataFrames (the ``pandas`` extra: pandas and pyarrow).

pandas is imported when a dataset loads or saves, never when this module is imported, so a
catalog that merely lists these datasets costs nothing until a run touches one (whether pandas
is installed at all is checked when the dataset is made: see ``REQUIRED_MODULES``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from hookline.datasets.base import FileDataset
from hookline.errors import DatasetError

_INSTALL_COMMAND = "pip install 'hookline[pandas]'"


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
    REQUIRED_MODULES: ClassVar[tuple[str, ...]] = ("pandas",)
    INSTALL_COMMAND: ClassVar[str] = _INSTALL_COMMAND

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

    REQUIRED_MODULES: ClassVar[tuple[str, ...]] = ("pandas", "pyarrow")
    INSTALL_COMMAND: ClassVar[str] = _INSTALL_COMMAND

    def _read(self, path: Path) -> Any:
        import pandas as pd

        return pd.read_parquet(path, **self._load_args)

    def _check(self, data: Any) -> None:
        _check_frame("pandas.ParquetDataset", data)

    def _write(self, data: Any, path: Path) -> None:
        data.to_parquet(path, **self._save_args)
