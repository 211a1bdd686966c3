"""DataCatalog: the named datasets a pipeline loads and saves.

:meth:`DataCatalog.load` and :meth:`DataCatalog.save` sit on the runner's hot path: a dict
lookup and one method call, with no logging and no lock (the datasets of one catalog are
shared by the threads of a run; each dataset is written by one node only). Failures pay for
the nice messages, successes do not.
"""

from __future__ import annotations

import builtins
import functools
import inspect
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from hookline.catalog_factories import DatasetFactories, is_pattern
from hookline.datasets import (
    DATASET_TYPES,
    AbstractDataset,
    KedroStyleDataset,
    MemoryDataset,
    Version,
    dataset_type_name,
    resolve_dataset_type,
)
from hookline.datasets.base import split_protocol
from hookline.errors import DatasetError, RedactedError, did_you_mean
from hookline.secrets import (
    contains_secret,
    redact_error,
    redact_text,
    redact_userinfo,
    secret_strings,
    sort_secrets,
)
from hookline.transcoding import check_transcoded_entries

__all__ = ["DataCatalog", "FrozenDatasets"]

_E = TypeVar("_E", bound=BaseException)

#: The prefix of the names under which :meth:`DataCatalog.add_parameters` registers parameters.
PARAMS_PREFIX = "params:"


class DataCatalog:
    """Named datasets, loaded and saved by name.

    Args:
        datasets: name -> dataset.
    """

    def __init__(self, datasets: Mapping[str, AbstractDataset] | None = None) -> None:
        self._datasets: dict[str, AbstractDataset] = {}
        # The secrets of credentials.yml and of inline credentials (from_config), longest
        # first, hidden from the errors of a run.
        self._secrets: builtins.list[str] = []
        # The pattern entries of catalog.yml (from_config), and what builds their datasets.
        self._factories: DatasetFactories | None = None
        self._builder: _EntryBuilder | None = None
        for name, dataset in (datasets or {}).items():
            self.add(name, dataset)

    # -- building ----------------------------------------------------------------------------

    @classmethod
    def from_config(
        cls,
        catalog: Mapping[str, Any] | None,
        credentials: Mapping[str, Any] | None = None,
        *,
        load_versions: Mapping[str, str] | None = None,
        save_version: str | None = None,
        project_path: str | os.PathLike[str] | None = None,
        source: str = "catalog.yml",
        credentials_source: str = "credentials.yml",
    ) -> DataCatalog:
        """Build a catalog from the ``catalog`` configuration (``catalog.yml``).

        Args:
            catalog: entry name -> ``{"type": ..., **arguments of the dataset}``. ``type`` is a
                short name from :data:`hookline.datasets.DATASET_TYPES` or a dotted class path.
                Entries whose name starts with ``_`` only hold YAML anchors and are skipped.
                An entry whose name holds ``{`` is a dataset factory pattern (see
                :mod:`hookline.catalog_factories`): :meth:`add_from_factories` makes the
                datasets whose names it matches.
            credentials: name -> mapping; an entry's ``credentials: NAME`` is looked up here.
            load_versions: entry name -> version to load, for versioned entries.
            save_version: the version every versioned entry saves (the run's).
            project_path: relative local ``filepath`` values are made relative to it.
            source: the catalog file name used in error messages.
            credentials_source: the credentials file name used in error messages.

        Raises:
            DatasetError: one message naming ``source``, the entry and what is wrong.
        """
        if catalog is None:
            catalog = {}
        if not isinstance(catalog, Mapping):
            raise DatasetError(
                f"{source}: the catalog must map dataset names to entries, "
                f"not be a {type(catalog).__name__}"
            )
        if credentials is None:
            credentials = {}
        if not isinstance(credentials, Mapping):
            raise DatasetError(
                f"{credentials_source}: credentials must map names to mappings, "
                f"not be a {type(credentials).__name__}"
            )
        entries: dict[str, Any] = {}
        patterns: dict[str, Any] = {}
        for key, entry in catalog.items():
            name = str(key)
            if not name.startswith("_"):
                (patterns if is_pattern(name) else entries)[name] = entry
        check_transcoded_entries(entries, source)
        factories = DatasetFactories(patterns, source) if patterns else None
        versions = dict(load_versions or {})
        for name in versions:
            entry = _entry_to_version(name, entries, factories, source)
            if not (isinstance(entry, Mapping) and _versioned(name, entry, source)):
                raise DatasetError(
                    f"Load version given for '{name}', which is not versioned in {source} "
                    "(add 'versioned: true' to its entry)"
                )
        builder = _EntryBuilder(
            credentials=credentials,
            load_versions=versions,
            save_version=save_version,
            project_path=Path(project_path) if project_path is not None else None,
            source=source,
            credentials_source=credentials_source,
        )
        built = cls({name: builder.build(name, entry) for name, entry in entries.items()})
        built._factories, built._builder = factories, builder
        # Inline `credentials: {password: ...}` mappings are secrets as much as the file's.
        built.hide_secrets([*secret_strings(credentials), *builder.secrets])
        return built

    @property
    def factories(self) -> DatasetFactories | None:
        """The dataset factories (pattern entries) of ``catalog.yml``; ``None`` without any."""
        return self._factories

    def add_from_factories(self, names: Iterable[str]) -> None:
        """Create the dataset of each of ``names`` that is not in the catalog yet and that a
        factory pattern matches (a run calls it once, with every dataset its pipeline uses,
        before any node runs). Parameters are never made by a pattern.

        Raises:
            DatasetError: a pattern's entry gives a bad dataset, or two patterns match a
                name equally (naming the file and the entries).
        """
        if self._factories is None:
            return
        for name in sorted(names):
            if name not in self._datasets and not _is_parameter(name):
                self._from_factory(name)

    def _from_factory(self, name: str) -> AbstractDataset | None:
        """Create, register and return dataset ``name`` from the pattern matching it."""
        found = None if self._factories is None else self._factories.match(name)
        if self._factories is None or self._builder is None or found is None:
            return None
        entry = self._factories.resolve(name, found)
        known = len(self._builder.secrets)
        dataset = self._builder.build(name, entry, pattern=found.pattern.text)
        if len(self._builder.secrets) > known:
            self.hide_secrets(self._builder.secrets[known:])
        self._datasets[name] = dataset
        return dataset

    def add(self, name: str, dataset: AbstractDataset, replace: bool = False) -> None:
        """Register ``dataset`` as ``name``; an existing name needs ``replace=True``."""
        if not isinstance(dataset, AbstractDataset):
            raise DatasetError(
                f"Cannot add '{name}' to the catalog: a {type(dataset).__name__} is not a "
                "dataset (wrap plain data with add_feed_dict() or MemoryDataset)"
            )
        if not replace and name in self._datasets:
            raise DatasetError(
                f"Dataset '{name}' is already in the catalog (pass replace=True to replace it)"
            )
        self._datasets[name] = dataset

    def add_all(self, datasets: Mapping[str, AbstractDataset], replace: bool = False) -> None:
        """Register every dataset of ``datasets`` (name -> dataset) with :meth:`add`."""
        for name, dataset in datasets.items():
            self.add(name, dataset, replace=replace)

    def add_feed_dict(self, feed: Mapping[str, Any], replace: bool = False) -> None:
        """Register every value of ``feed``: datasets as they are, anything else in a
        :class:`MemoryDataset`; an existing name needs ``replace=True``."""
        for name, value in feed.items():
            dataset = value if isinstance(value, AbstractDataset) else MemoryDataset(value)
            self.add(name, dataset, replace=replace)

    def add_parameters(self, params: Mapping[str, Any]) -> None:
        """Register ``parameters`` (all of them) and ``params:<key path>`` for every nested key.

        ``{"model_options": {"test_size": 0.2}}`` gives ``parameters``,
        ``params:model_options`` and ``params:model_options.test_size``. Parameters
        registered by an earlier call are dropped first.
        """
        for name in [n for n in self._datasets if n.startswith(PARAMS_PREFIX)]:
            del self._datasets[name]
        self._datasets["parameters"] = MemoryDataset(params)
        stack: list[tuple[str, Mapping[str, Any]]] = [("", params)]
        while stack:
            prefix, mapping = stack.pop()
            for key, value in mapping.items():
                path = f"{prefix}.{key}" if prefix else str(key)
                self._datasets[PARAMS_PREFIX + path] = MemoryDataset(value)
                if isinstance(value, Mapping):
                    stack.append((path, value))

    def shallow_copy(self) -> DataCatalog:
        """A new catalog holding the same dataset objects (adding to it leaves this one as is)."""
        copied = DataCatalog()
        copied._datasets = dict(self._datasets)
        copied._secrets = self._secrets
        copied._factories, copied._builder = self._factories, self._builder
        return copied

    @property
    def secrets(self) -> tuple[str, ...]:
        """The secrets :meth:`redact_error` hides, longest first."""
        return tuple(self._secrets)

    def hide_secrets(self, secrets: Iterable[str]) -> None:
        """Add ``secrets`` to those :meth:`redact_error` hides (a worker process's copy of the
        catalog gets the main process's this way)."""
        self._secrets = sort_secrets([*self._secrets, *secrets])

    def redact_error(self, error: _E) -> _E | RedactedError:
        """Hide the catalog's secrets and every URL's ``user:password@`` in ``error`` with ``***``
        and return the error to show (see :func:`hookline.secrets.redact_error`): a node's
        error may quote a connection string, and the log line, the run's error message and the
        error hooks all show this one exception.
        """
        return redact_error(error, self._secrets)

    # -- the hot path ------------------------------------------------------------------------

    def load(self, name: str) -> Any:
        """Load dataset ``name``.

        Raises:
            DatasetError: unknown name (with the closest names), or the dataset failed:
                ``Failed to load dataset '<name>' (<type> at <filepath>): <message>``.
        """
        try:
            dataset = self._datasets[name]
        except KeyError:
            dataset = self._missing(name)
        try:
            return dataset.load()
        except Exception as exc:
            raise _failure("load", name, dataset, exc) from _cause(dataset, exc)

    def save(self, name: str, data: Any) -> None:
        """Save ``data`` as dataset ``name`` (errors as for :meth:`load`)."""
        try:
            dataset = self._datasets[name]
        except KeyError:
            dataset = self._missing(name)
        try:
            dataset.save(data)
        except Exception as exc:
            raise _failure("save", name, dataset, exc) from _cause(dataset, exc)

    # -- queries -----------------------------------------------------------------------------

    def exists(self, name: str) -> bool:
        """Whether dataset ``name`` has data to load; ``False`` for a name not in the catalog."""
        dataset = self._datasets.get(name)
        if dataset is None:
            return False
        try:
            return dataset.exists()
        except Exception as exc:
            raise _failure("check", name, dataset, exc) from _cause(dataset, exc)

    def release(self, name: str) -> None:
        """Let dataset ``name`` drop what it holds in memory."""
        dataset = self.get_dataset(name)
        try:
            dataset.release()
        except Exception as exc:
            raise _failure("release", name, dataset, exc) from _cause(dataset, exc)

    def confirm(self, name: str) -> None:
        """Call the ``confirm()`` method of dataset ``name`` (an incremental dataset marks what
        it has processed so far this way).

        Raises:
            DatasetError: unknown name, a dataset without ``confirm()``, or its failure.
        """
        dataset = self.get_dataset(name)
        confirm = getattr(dataset, "confirm", None)
        if not callable(confirm):
            raise DatasetError(
                f"Dataset '{name}' ({dataset_type_name(dataset)}) cannot be confirmed: "
                "it has no confirm() method"
            )
        try:
            confirm()
        except Exception as exc:
            raise _failure("confirm", name, dataset, exc) from _cause(dataset, exc)

    def get_dataset(self, name: str) -> AbstractDataset:
        """The dataset registered as ``name``."""
        try:
            return self._datasets[name]
        except KeyError:
            return self._missing(name)

    def _get_dataset(self, name: str) -> AbstractDataset:
        """Kedro's spelling of :meth:`get_dataset`, kept so that hooks ported from Kedro work."""
        return self.get_dataset(name)

    def list(self, regex_search: str | None = None) -> builtins.list[str]:
        """The dataset names in the order they were added; with ``regex_search``, those it
        finds ignoring case (an empty or blank one finds none), as Kedro 0.19's ``list``."""
        if regex_search is None:
            return builtins.list(self._datasets)
        if not regex_search.strip():
            return []
        pattern = _compile(regex_search, re.IGNORECASE)
        return [name for name in self._datasets if pattern.search(name)]

    def filter(
        self,
        name_regex: re.Pattern[str] | str | None = None,
        type_regex: re.Pattern[str] | str | None = None,
        by_type: type | builtins.list[type] | None = None,
    ) -> builtins.list[str]:
        """The names of the datasets that match every filter given, in catalog order.

        Args:
            name_regex: found anywhere in the name (:func:`re.search`).
            type_regex: found anywhere in the dataset's dotted class path (:meth:`get_type`).
            by_type: a class or a list of classes the dataset's class is one of (exactly:
                a subclass does not match).
        """
        names = builtins.list(self._datasets)
        if name_regex:
            name_pattern = _compile(name_regex)
            names = [name for name in names if name_pattern.search(name)]
        if type_regex:
            type_pattern = _compile(type_regex)
            names = [name for name in names if type_pattern.search(self._type_path(name))]
        if by_type:
            classes = by_type if isinstance(by_type, builtins.list) else [by_type]
            wanted = {_class_path(cls) for cls in classes}
            names = [name for name in names if self._type_path(name) in wanted]
        return names

    def get_type(self, name: str) -> str | None:
        """The dotted class path of dataset ``name``
        (``"hookline.datasets.pandas.CSVDataset"``), or ``None`` when it is not in the catalog."""
        if name not in self._datasets:
            return None
        return self._type_path(name)

    def _type_path(self, name: str) -> str:
        return _class_path(type(self._datasets[name]))

    def is_memory(self, name: str) -> bool:
        """Whether ``name`` lives in memory; an absent name does (the runner adds it so)."""
        dataset = self._datasets.get(name)
        return dataset is None or isinstance(dataset, MemoryDataset)

    # -- Kedro's mapping interface: aliases of the methods above -----------------------------

    def __getitem__(self, name: str) -> AbstractDataset:
        """``catalog[name]``: the dataset registered as ``name`` (see :meth:`get_dataset`)."""
        return self.get_dataset(name)

    def __setitem__(self, name: str, value: Any) -> None:
        """``catalog[name] = value``: register a dataset, or plain data in a
        :class:`MemoryDataset`, replacing what ``name`` held."""
        self.add_feed_dict({name: value}, replace=True)

    def get(self, name: str, default: AbstractDataset | None = None) -> AbstractDataset | None:
        """The dataset registered as ``name``, or ``default`` when there is none."""
        return self._datasets.get(name, default)

    def keys(self) -> builtins.list[str]:
        """The dataset names, in the order they were added."""
        return builtins.list(self._datasets)

    def values(self) -> builtins.list[AbstractDataset]:
        """The datasets, in the order they were added."""
        return builtins.list(self._datasets.values())

    def items(self) -> builtins.list[tuple[str, AbstractDataset]]:
        """``(name, dataset)`` pairs, in the order they were added."""
        return builtins.list(self._datasets.items())

    def __contains__(self, name: object) -> bool:
        """Whether a dataset is registered under ``name``."""
        return name in self._datasets

    def __len__(self) -> int:
        """The number of datasets."""
        return len(self._datasets)

    def __iter__(self) -> Iterator[str]:
        """The dataset names."""
        return iter(self._datasets)

    @property
    def datasets(self) -> FrozenDatasets:
        """Kedro 0.19's ``catalog.datasets.<name>``: the datasets at the time of the call as
        attributes, every run of characters that cannot be in a Python name replaced by ``__``
        (``params:x.y`` -> ``params__x__y``), as Kedro names them."""
        return FrozenDatasets(self._datasets)

    def __repr__(self) -> str:
        entries = ", ".join(
            f"{name}: {dataset_type_name(dataset)}" for name, dataset in self._datasets.items()
        )
        return f"DataCatalog({{{entries}}})"

    def _missing(self, name: str) -> AbstractDataset:
        """The dataset a factory pattern makes for ``name``, else the "not in the catalog"
        error (a name the run did not resolve beforehand: a hook's or a notebook's)."""
        dataset = None if _is_parameter(name) else self._from_factory(name)
        if dataset is None:
            raise self._unknown(name) from None
        return dataset

    def _unknown(self, name: str) -> DatasetError:
        return DatasetError(
            f"Dataset '{name}' is not in the catalog.{did_you_mean(name, self._datasets)}"
        )


_NON_WORD = re.compile(r"\W+")


def _attribute_name(name: str) -> str:
    # Kedro's rule: every run of characters that cannot be in a Python name becomes "__".
    return _NON_WORD.sub("__", name)


class FrozenDatasets:
    """The datasets of a catalog as read-only attributes (:attr:`DataCatalog.datasets`).

    ``view.companies`` and ``view["params:x"]`` (the name as registered) give the dataset;
    setting an attribute is refused, as in Kedro: add to the catalog instead.
    """

    def __init__(self, datasets: Mapping[str, AbstractDataset]) -> None:
        self.__dict__.update({_attribute_name(name): ds for name, ds in datasets.items()})

    def __getitem__(self, name: str) -> AbstractDataset:
        """The dataset registered as ``name`` (sanitised or not)."""
        try:
            found: AbstractDataset = self.__dict__[_attribute_name(name)]
        except KeyError:
            raise DatasetError(
                f"Dataset '{name}' is not in the catalog.{did_you_mean(name, self.__dict__)}"
            ) from None
        return found

    def __getattr__(self, name: str) -> AbstractDataset:
        # Called only for names that are not attributes: an unknown dataset.
        raise AttributeError(
            f"Dataset '{name}' is not in the catalog.{did_you_mean(name, self.__dict__)}"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"Cannot set catalog.datasets.{name}: add datasets to the catalog instead "
            "(catalog[name] = dataset)"
        )

    def __repr__(self) -> str:
        return f"FrozenDatasets({', '.join(self.__dict__)})"


def _compile(regex: re.Pattern[str] | str, flags: int = 0) -> re.Pattern[str]:
    if isinstance(regex, re.Pattern):
        return regex
    try:
        return re.compile(regex, flags)
    except re.error as exc:
        raise DatasetError(f"Invalid regular expression {regex!r}: {exc}") from None


def _class_path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


_VERBS = {
    "load": "load",
    "save": "save",
    "check": "check whether",
    "release": "release",
    "confirm": "confirm",
}


def _failure(action: str, name: str, dataset: AbstractDataset, exc: Exception) -> DatasetError:
    where = dataset_type_name(dataset)
    location = dataset.location
    if location is not None:
        where += f" at {redact_userinfo(location)}"
    message = str(exc) if isinstance(exc, DatasetError) else f"{type(exc).__name__}: {exc}"
    verb = _VERBS[action]
    suffix = " exists" if action == "check" else ""
    return DatasetError(
        f"Failed to {verb} dataset '{name}'{suffix} ({where}): {dataset._redact(message)}"
    )


def _cause(dataset: AbstractDataset, exc: Exception) -> Exception | None:
    # When the original message held a secret it is not chained: a traceback would print it.
    text = f"{type(exc).__name__}: {exc}"
    return exc if dataset._redact(text) == text else None


class _EntryBuilder:
    """Turns one catalog entry into a dataset, with errors naming the file and the entry."""

    def __init__(
        self,
        *,
        credentials: Mapping[str, Any],
        load_versions: Mapping[str, str],
        save_version: str | None,
        project_path: Path | None,
        source: str,
        credentials_source: str,
    ) -> None:
        self.credentials = credentials
        self.load_versions = load_versions
        self.save_version = save_version
        self.project_path = project_path
        self.source = source
        self.credentials_source = credentials_source
        #: The secrets of every entry's credentials, inline mappings included.
        self.secrets: builtins.list[str] = []
        # Type name -> class: a catalog with factories makes many datasets of a few types.
        self._types: dict[str, type[Any]] = {}

    def build(self, name: str, entry: Any, pattern: str | None = None) -> AbstractDataset:
        """The dataset of catalog entry ``name`` (or of the entry ``pattern`` gave ``name``)."""
        entry_label = f"catalog entry '{name}'"
        if pattern is not None:
            entry_label = f"catalog entry '{pattern}' (for dataset '{name}')"
        where = f"{self.source}: {entry_label}"
        if not isinstance(entry, Mapping):
            raise DatasetError(
                f"{where} must be a mapping with a 'type' key, not a {type(entry).__name__}"
            )
        config = dict(entry)
        type_name = config.pop("type", None)
        if not isinstance(type_name, str) or not type_name:
            raise DatasetError(
                f"{where} has no 'type' (one of {', '.join(sorted(DATASET_TYPES))}, "
                "or a dotted class path)"
            )
        dataset_cls = self._types.get(type_name)
        if dataset_cls is None:
            try:
                dataset_cls = self._types[type_name] = resolve_dataset_type(type_name)
            except DatasetError as exc:
                raise DatasetError(f"{where}: {exc}") from None
        secrets: builtins.list[str] = []
        if "credentials" in config:
            config["credentials"] = self._credentials(entry_label, config["credentials"])
            secrets = secret_strings(config["credentials"])
            self.secrets.extend(secrets)
        filepath = config.get("filepath")
        if self.project_path is not None and isinstance(filepath, str | os.PathLike):
            text = os.fspath(filepath)
            if split_protocol(text)[0] is None and not Path(text).is_absolute():
                config["filepath"] = str(self.project_path / text)
        where = f"{where} ({type_name})"
        versioned = _versioned(name, config, self.source)
        kedro_style = not issubclass(dataset_cls, AbstractDataset)
        if kedro_style:
            # Kedro's classes take the version alone, never a `versioned` argument.
            config.pop("versioned", None)
        accepted = _check_arguments(dataset_cls, config, where)
        if versioned:
            if accepted is not None and "version" not in accepted:
                raise DatasetError(f"{where}: this dataset type cannot be versioned")
            config["version"] = Version(self.load_versions.get(name), self.save_version)
        try:
            made = dataset_cls(**config)
            return KedroStyleDataset(made) if kedro_style else made
        except DatasetError as exc:
            message = redact_text(f"{where}: {exc}", secrets)
            raise DatasetError(message) from None
        except Exception as exc:
            message = redact_text(f"{where}: {type(exc).__name__}: {exc}", secrets)
            # An original message holding a secret is not chained: a traceback would print it.
            cause = None if contains_secret(str(exc), secrets) else exc
            raise DatasetError(message) from cause

    def _credentials(self, entry_label: str, value: Any) -> dict[str, Any]:
        # No message here quotes a credentials value, only names.
        if isinstance(value, Mapping):
            return dict(value)
        if not isinstance(value, str):
            raise DatasetError(
                f"{self.source}: {entry_label}: 'credentials' must be the name of an "
                f"entry of {self.credentials_source}, not a {type(value).__name__}"
            )
        found = self.credentials.get(value)
        if found is None:
            known = ", ".join(sorted(map(str, self.credentials))) or "none"
            raise DatasetError(
                f"{self.source}: {entry_label} uses credentials '{value}', which are "
                f"not in {self.credentials_source} (known: {known})."
                f"{did_you_mean(value, map(str, self.credentials))}"
            )
        if not isinstance(found, Mapping):
            raise DatasetError(
                f"{self.credentials_source}: credentials '{value}' (used by {entry_label} "
                f"in {self.source}) must be a mapping of keys to values, "
                f"not a {type(found).__name__}"
            )
        return dict(found)


def _is_parameter(name: str) -> bool:
    return name == "parameters" or name.startswith(PARAMS_PREFIX)


def _entry_to_version(
    name: str, entries: Mapping[str, Any], factories: DatasetFactories | None, source: str
) -> Any:
    """The entry of ``name`` given a load version: its own, or (as in Kedro) the one a
    pattern other than the catch-all gives it."""
    if name in entries:
        return entries[name]
    found = None if factories is None else factories.match(name, catch_all=False)
    if factories is None or found is None:
        raise DatasetError(
            f"Load version given for '{name}', which is not in {source}."
            f"{did_you_mean(name, entries)}"
        )
    return factories.resolve(name, found)


def _versioned(name: str, entry: Mapping[str, Any], source: str) -> bool:
    """Whether catalog entry ``name`` is versioned; anything but true or false is refused
    (YAML's ``versioned: "no"`` is a non-empty string, which must not mean true)."""
    versioned = entry.get("versioned", False)
    if not isinstance(versioned, bool):
        raise DatasetError(
            f"{source}: catalog entry '{name}': 'versioned' must be true or false, "
            f"not a {type(versioned).__name__}"
        )
    return versioned


def _check_arguments(
    dataset_cls: type, config: Mapping[str, Any], where: str
) -> builtins.list[str] | None:
    """Name an unknown or a missing argument before the class sees it (with a suggestion).

    Returns the accepted argument names, or ``None`` when the class takes any keyword.
    """
    arguments = _arguments(dataset_cls)
    if arguments is None:
        return None
    accepted, required = arguments
    for key in config:
        if key not in accepted:
            raise DatasetError(
                f"{where}: unknown argument '{key}'.{did_you_mean(key, accepted)}"
                f" Arguments: {', '.join(accepted)}"
            )
    for name in required:
        if name not in config:
            raise DatasetError(f"{where}: missing argument '{name}'")
    return builtins.list(accepted)


@functools.cache
def _arguments(dataset_cls: type) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The keyword arguments ``dataset_cls`` accepts and those it requires, or ``None`` when it
    takes any keyword. Cached: a catalog with factories makes many datasets of one class, and
    reading a signature costs more than making the dataset."""
    try:
        parameters = inspect.signature(dataset_cls).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return None
    accepted = tuple(
        name
        for name, p in parameters.items()
        if p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    )
    required = tuple(n for n in accepted if parameters[n].default is inspect.Parameter.empty)
    return accepted, required
