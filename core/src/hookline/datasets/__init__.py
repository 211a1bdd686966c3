"""Datasets: the objects a :class:`~hookline.catalog.DataCatalog` loads and saves.

A catalog entry names its dataset by a short type name (``pandas.CSVDataset``, as in
kedro-datasets) found in :data:`DATASET_TYPES`, or by the dotted path of any
:class:`AbstractDataset` subclass (``my_project.datasets.ExcelDataset``). The modules behind
the short names are imported only when a type is resolved, and none of them imports pandas,
pyarrow or fsspec before a dataset actually loads or saves.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hookline.datasets.base import (
    VERSION_FORMAT,
    AbstractDataset,
    FileDataset,
    Version,
    atomic_write,
    generate_timestamp,
)
from hookline.datasets.memory import MemoryDataset
from hookline.errors import DatasetError, did_you_mean

if TYPE_CHECKING:
    from hookline.datasets.json import JSONDataset
    from hookline.datasets.pandas import CSVDataset, ParquetDataset
    from hookline.datasets.pickle import PickleDataset
    from hookline.datasets.text import TextDataset
    from hookline.datasets.yaml import YAMLDataset

__all__ = [
    "DATASET_TYPES",
    "VERSION_FORMAT",
    "AbstractDataset",
    "CSVDataset",
    "FileDataset",
    "JSONDataset",
    "MemoryDataset",
    "ParquetDataset",
    "PickleDataset",
    "TextDataset",
    "Version",
    "YAMLDataset",
    "atomic_write",
    "dataset_type_name",
    "generate_timestamp",
    "resolve_dataset_type",
]

#: Short type name -> ``"module:Class"``. A plugin may add its own entries.
DATASET_TYPES: dict[str, str] = {
    "MemoryDataset": "hookline.datasets.memory:MemoryDataset",
    "pandas.CSVDataset": "hookline.datasets.pandas:CSVDataset",
    "pandas.ParquetDataset": "hookline.datasets.pandas:ParquetDataset",
    "pickle.PickleDataset": "hookline.datasets.pickle:PickleDataset",
    "json.JSONDataset": "hookline.datasets.json:JSONDataset",
    "yaml.YAMLDataset": "hookline.datasets.yaml:YAMLDataset",
    "text.TextDataset": "hookline.datasets.text:TextDataset",
}

# `from hookline.datasets import CSVDataset` works, importing the module only then.
_LAZY_CLASSES = {
    "CSVDataset": "hookline.datasets.pandas",
    "ParquetDataset": "hookline.datasets.pandas",
    "PickleDataset": "hookline.datasets.pickle",
    "JSONDataset": "hookline.datasets.json",
    "YAMLDataset": "hookline.datasets.yaml",
    "TextDataset": "hookline.datasets.text",
}


def __getattr__(name: str) -> Any:
    module = _LAZY_CLASSES.get(name)
    if module is None:
        raise AttributeError(f"module 'hookline.datasets' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)


def _unknown_type(type_name: str) -> DatasetError:
    return DatasetError(
        f"Unknown dataset type '{type_name}'.{did_you_mean(type_name, DATASET_TYPES)}"
        f" Known types: {', '.join(sorted(DATASET_TYPES))}, or the dotted path of a class"
        " deriving from hookline.datasets.AbstractDataset."
    )


def resolve_dataset_type(type_name: str) -> type[AbstractDataset]:
    """Return the class of a short type name or a dotted path ``"package.module.Class"``.

    Raises:
        DatasetError: the type is unknown (with the closest known names), its module fails
            to import, or it is not an :class:`AbstractDataset` subclass.
    """
    target = DATASET_TYPES.get(type_name)
    if target is not None:
        module_name, _, attr = target.partition(":")
    else:
        module_name, _, attr = type_name.rpartition(".")
        # "pandas.CSVDataSet" is a typo of a short name, not a class of the pandas package:
        # answer with the suggestion instead of importing pandas to look for it.
        namespaces = {name.partition(".")[0] for name in DATASET_TYPES if "." in name}
        if not module_name or not attr or module_name in namespaces:
            raise _unknown_type(type_name)
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = getattr(exc, "name", None)
        if missing is not None and (module_name + ".").startswith(missing + "."):
            raise _unknown_type(type_name) from None
        raise DatasetError(f"Dataset type '{type_name}' cannot be imported: {exc}") from exc
    cls = getattr(module, attr, None)
    if cls is None:
        raise _unknown_type(type_name)
    if not (isinstance(cls, type) and issubclass(cls, AbstractDataset)):
        raise DatasetError(
            f"Dataset type '{type_name}' is not a dataset class: "
            "it must derive from hookline.datasets.AbstractDataset"
        )
    return cls


def dataset_type_name(dataset: AbstractDataset | type[AbstractDataset]) -> str:
    """The short type name of a dataset (``"pandas.CSVDataset"``), else its dotted path."""
    cls = dataset if isinstance(dataset, type) else type(dataset)
    target = f"{cls.__module__}:{cls.__qualname__}"
    for short, registered in DATASET_TYPES.items():
        if registered == target:
            return short
    return f"{cls.__module__}.{cls.__qualname__}"
