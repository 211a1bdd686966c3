"""Datasets written for Kedro (kedro-datasets' classes, a project's own), used as they are.

A class has Kedro's dataset interface when it has ``_describe`` and either public ``load`` and
``save`` (Kedro 0.19 and later) or ``_load`` and ``_save`` (older releases); ``exists`` /
``_exists`` and ``release`` / ``_release`` are optional. The catalog makes such a class with
the entry's arguments (``credentials``, ``load_args``, ``save_args``, ``metadata``, and
``version`` for a versioned entry: a :class:`hookline.datasets.Version`, which has the fields
of Kedro's ``Version`` and is read the same way) and wraps the object in
:class:`KedroStyleDataset`, so that the runners, the hooks and the plugins see a hookline
dataset. Nothing here imports Kedro.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hookline.datasets.base import AbstractDataset
from hookline.secrets import redact_mapping

__all__ = ["KedroStyleDataset", "has_kedro_interface"]


def _has(cls: type, name: str) -> bool:
    return callable(getattr(cls, name, None))


def has_kedro_interface(cls: type) -> bool:
    """Whether instances of ``cls`` can be loaded and saved as Kedro loads and saves them."""
    public = _has(cls, "load") and _has(cls, "save")
    older = _has(cls, "_load") and _has(cls, "_save")
    return _has(cls, "_describe") and (public or older)


class KedroStyleDataset(AbstractDataset):
    """A hookline dataset that delegates to an object with Kedro's dataset interface.

    Args:
        dataset: The Kedro-style dataset object.
    """

    def __init__(self, dataset: Any) -> None:
        self.wrapped = dataset
        # Kedro's datasets keep their path as _filepath, which the base class shows as
        # ``filepath`` (the protocol of a remote one is kept apart, in _protocol).
        self._filepath = getattr(dataset, "_filepath", None)

    def load(self) -> Any:
        """The wrapped dataset's ``load()`` (``_load()`` for an older class)."""
        return self._call("load")

    def save(self, data: Any) -> None:
        """The wrapped dataset's ``save(data)`` (``_save(data)`` for an older class)."""
        self._call("save", data)

    def exists(self) -> bool:
        """The wrapped dataset's ``exists()`` or ``_exists()``; ``False`` without either."""
        if _has(type(self.wrapped), "exists") or _has(type(self.wrapped), "_exists"):
            return bool(self._call("exists"))
        return False

    def release(self) -> None:
        """The wrapped dataset's ``release()`` or ``_release()``, if it has one."""
        if _has(type(self.wrapped), "release") or _has(type(self.wrapped), "_release"):
            self._call("release")

    def describe(self) -> dict[str, Any]:
        """The wrapped dataset's ``_describe()``, secret-looking values hidden."""
        described = self.wrapped._describe()
        return redact_mapping(described) if isinstance(described, dict) else {}

    @property
    def metadata(self) -> dict[str, Any]:
        """The wrapped dataset's ``metadata`` (kedro-datasets keep the entry's there)."""
        found = getattr(self.wrapped, "metadata", None)
        return found if isinstance(found, dict) else {}

    @metadata.setter
    def metadata(self, value: Mapping[str, Any] | None) -> None:
        self.wrapped.metadata = dict(value) if value else {}

    def resolve_load_path(self) -> str | None:
        """The file a versioned Kedro dataset loads now (its ``_get_load_path()``), else
        :attr:`filepath` (mlflow's plugin uploads it as an artifact)."""
        get_path = getattr(self.wrapped, "_get_load_path", None)
        if getattr(self.wrapped, "_version", None) and callable(get_path):
            return str(get_path())
        filepath = self.filepath
        return None if filepath is None else str(filepath)

    def _call(self, action: str, *args: Any) -> Any:
        # Kedro 0.19+ classes implement the public method; older ones the underscored one
        # (which Kedro's base class wraps): the public one is preferred when both exist.
        method = getattr(self.wrapped, action, None)
        if not callable(method):
            method = getattr(self.wrapped, f"_{action}")
        return method(*args)

    def __repr__(self) -> str:
        return f"{type(self.wrapped).__name__}({self.describe()!r})"
