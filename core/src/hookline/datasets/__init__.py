"""Datasets: the objects a :class:`~hookline.catalog.DataCatalog` loads and saves.

A catalog entry names its dataset by a short type name (``pandas.CSVDataset``, as in
kedro-datasets) found in :data:`DATASET_TYPES`, by a kedro-datasets type without its package
(``pandas.ExcelDataset``), or by the dotted path of any :class:`AbstractDataset` subclass or
class with Kedro's dataset interface (``my_project.datasets.ExcelDataset``). The modules behind
the short names are imported only when a type is resolved, and none of them imports pandas,
pyarrow or fsspec before a dataset actually loads or saves.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from hookline.datasets.base import (
    VERSION_FORMAT,
    AbstractDataset,
    FileDataset,
    Version,
    atomic_write,
    generate_timestamp,
)
from hookline.datasets.kedro_style import KedroStyleDataset, has_kedro_interface
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
    "KedroStyleDataset",
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


#: Where a type name that is not one of hookline's short names is looked for first, as Kedro
#: does: ``pandas.ExcelDataset`` is ``kedro_datasets.pandas.ExcelDataset`` when kedro-datasets
#: is installed.
KEDRO_DATASETS_PACKAGE = "kedro_datasets"


def _unknown_type(type_name: str) -> DatasetError:
    return DatasetError(
        f"Unknown dataset type '{type_name}'.{did_you_mean(type_name, DATASET_TYPES)}"
        f" Known types: {', '.join(sorted(DATASET_TYPES))}, a kedro-datasets type"
        " (pandas.ExcelDataset, with kedro-datasets installed), or the dotted path of a class"
        " deriving from hookline.datasets.AbstractDataset or with Kedro's dataset interface."
    )


def resolve_dataset_type(type_name: str) -> type[Any]:
    """Return the class of a type name: one of hookline's short names (which always win), a
    kedro-datasets type without its package (``pandas.ExcelDataset``, when kedro-datasets is
    installed) or a dotted path ``"package.module.Class"``.

    The class derives from :class:`AbstractDataset` or has Kedro's dataset interface (see
    :mod:`hookline.datasets.kedro_style`).

    Raises:
        DatasetError: the type is unknown (with the closest known names), its module fails
            to import, or it is not a dataset class.
    """
    target = DATASET_TYPES.get(type_name)
    if target is not None:
        module_name, _, attr = target.partition(":")
        return _checked(type_name, _import_class(type_name, module_name, attr))
    module_name, _, attr = type_name.rpartition(".")
    if not module_name or not attr:
        raise _unknown_type(type_name)
    if importlib.util.find_spec(KEDRO_DATASETS_PACKAGE) is not None:
        found = _import_class(type_name, f"{KEDRO_DATASETS_PACKAGE}.{module_name}", attr)
        if found is not None:
            return _checked(type_name, found)
    # "pandas.CSVDataSet" is a typo of a short name, not a class of the pandas package:
    # answer with the suggestion instead of importing pandas to look for it.
    namespaces = {name.partition(".")[0] for name in DATASET_TYPES if "." in name}
    if module_name in namespaces:
        raise _unknown_type(type_name)
    cls = _import_class(type_name, module_name, attr)
    if cls is None:
        raise _unknown_type(type_name)
    return _checked(type_name, cls)


def _import_class(type_name: str, module_name: str, attr: str) -> Any:
    """``module_name.attr``, or ``None`` if that module or attribute does not exist."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        missing = getattr(exc, "name", None)
        if missing is not None and (module_name + ".").startswith(missing + "."):
            return None
        raise DatasetError(f"Dataset type '{type_name}' cannot be imported: {exc}") from exc
    try:
        # kedro-datasets imports a class's module on first access, which fails when the
        # library behind it is missing.
        return getattr(module, attr, None)
    except ImportError as exc:
        raise DatasetError(f"Dataset type '{type_name}' cannot be imported: {exc}") from exc


def _checked(type_name: str, cls: Any) -> type[Any]:
    if isinstance(cls, type) and (issubclass(cls, AbstractDataset) or has_kedro_interface(cls)):
        return cls
    raise DatasetError(
        f"Dataset type '{type_name}' is not a dataset class: it must derive from "
        "hookline.datasets.AbstractDataset, or have Kedro's dataset interface (load and save, "
        "or _load and _save, and _describe)"
    )


def dataset_type_name(dataset: AbstractDataset | type[Any]) -> str:
    """The short type name of a dataset (``"pandas.CSVDataset"``), else its dotted path (for
    a Kedro-style dataset, its own class's)."""
    if isinstance(dataset, KedroStyleDataset):
        dataset = type(dataset.wrapped)
    cls = dataset if isinstance(dataset, type) else type(dataset)
    target = f"{cls.__module__}:{cls.__qualname__}"
    for short, registered in DATASET_TYPES.items():
        if registered == target:
            return short
    return f"{cls.__module__}.{cls.__qualname__}"
