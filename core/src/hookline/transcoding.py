"""Transcoding: ``name@pandas`` and ``name@spark`` are two views of one dataset ``name``.

Each view has its own catalog entry (its own dataset class), but for the pipeline they are one
dataset: a node reading ``cars@spark`` runs after the node writing ``cars@pandas``, a pipeline
may not write both, nor use ``cars`` both with and without a suffix, and the runner releases
the views together once the last node reading any of them has run (Kedro's semantics).

The entries of one transcoded dataset must describe the same stored data: this module also
checks that their ``filepath`` (and ``versioned``) agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from hookline.errors import DatasetError, PipelineError

if TYPE_CHECKING:
    from hookline.catalog import DataCatalog
    from hookline.pipeline import Pipeline

__all__ = [
    "SEPARATOR",
    "base_name",
    "check_transcoded_entries",
    "check_transcoded_names",
    "check_views_in_catalog",
    "split_transcoding",
]

#: What separates a dataset's name from its transcoding suffix.
SEPARATOR = "@"

# The entry keys that must agree between the views of one dataset: they say where the data
# lives and how it is versioned; everything else (type, load_args, ...) may differ by design.
_SHARED_KEYS = ("filepath", "path", "versioned")


def split_transcoding(name: str) -> tuple[str, str]:
    """Split ``name`` into its base and its suffix (``""`` when it has none).

    Raises:
        PipelineError: The name has more than one ``@``.
    """
    base, sep, suffix = name.partition(SEPARATOR)
    if sep and SEPARATOR in suffix:
        raise PipelineError(
            f"Dataset name '{name}' has {name.count(SEPARATOR)} '{SEPARATOR}' separators: a "
            f"transcoded dataset is written 'name{SEPARATOR}suffix', with one '{SEPARATOR}'."
        )
    return base, suffix


def base_name(name: str) -> str:
    """The dataset ``name`` stands for: ``cars`` for ``cars@pandas``, ``name`` itself otherwise."""
    if SEPARATOR not in name:  # the common case, without building a tuple
        return name
    return split_transcoding(name)[0]


def check_transcoded_names(names: Iterable[str]) -> None:
    """Refuse a dataset used both as ``name`` and as ``name@suffix``, which Kedro forbids too:
    the plain name would be a third, unrelated catalog entry.

    Raises:
        PipelineError: Naming every such dataset.
    """
    used = set(names)
    mixed = sorted({b for name in used if (b := base_name(name)) != name and b in used})
    if mixed:
        shown = ", ".join(f"'{b}'" for b in mixed)
        raise PipelineError(
            f"The dataset(s) {shown} are used both with a transcoding suffix ('name@suffix') "
            "and without one. Use the suffix everywhere, or rename one of them."
        )


def check_views_in_catalog(pipeline: Pipeline, catalog: DataCatalog) -> None:
    """Refuse to run a pipeline with a transcoded view that has no catalog entry of its own.

    Such a view would become a memory dataset that no node writes (the producer writes another
    view), so its readers would fail mid-run; this says why before any node runs.

    Raises:
        DatasetError: Naming the view, its dataset and the node writing another view.
    """
    for name in sorted(ds for ds in pipeline.datasets() if SEPARATOR in ds):
        if name in catalog and not catalog.is_memory(name):
            continue
        producer = pipeline.producer(name)
        if producer is None or name in producer.outputs:
            continue  # it is the view the node writes: memory would hold it, as for any name
        written = next(ds for ds in producer.outputs if base_name(ds) == base_name(name))
        readers = ", ".join(f"'{n.name}'" for n in pipeline.consumers(name) if name in n.inputs)
        raise DatasetError(
            f"Dataset '{name}' is a transcoded view of '{base_name(name)}', read by {readers} "
            f"while node '{producer.name}' writes '{written}', but it has no catalog entry of its "
            "own. Each view of a transcoded dataset needs a catalog entry, both pointing at "
            "the same stored data."
        )


def check_transcoded_entries(entries: Mapping[str, Any], source: str) -> None:
    """Check that the catalog entries of each transcoded dataset describe the same data.

    Args:
        entries: Catalog entry name -> entry, as read from the catalog files.
        source: The catalog file(s), for error messages.

    Raises:
        DatasetError: Two views of one dataset have different ``filepath`` (or ``path``, or
            ``versioned``), or a name has more than one ``@``; naming the file and entries.
    """
    views: dict[str, list[str]] = {}
    for name in entries:
        if SEPARATOR in name and "{" not in name:  # factory patterns are not datasets
            try:
                base = split_transcoding(name)[0]
            except PipelineError as error:
                raise DatasetError(f"{source}: catalog entry '{name}': {error}") from None
            views.setdefault(base, []).append(name)
    for base, names in views.items():
        _check_views_agree(base, sorted(names), entries, source)


def _check_views_agree(
    base: str, names: list[str], entries: Mapping[str, Any], source: str
) -> None:
    first = names[0]
    for key in _SHARED_KEYS:
        expected = _entry_value(entries[first], key)
        for other in names[1:]:
            found = _entry_value(entries[other], key)
            if found != expected:
                raise DatasetError(
                    f"{source}: catalog entries '{first}' and '{other}' are two views of the "
                    f"transcoded dataset '{base}' but have different '{key}' ({expected!r} "
                    f"and {found!r}). Both must describe the same stored data."
                )


def _entry_value(entry: object, key: str) -> object:
    """``entry[key]``, or None where the entry lacks it (or is malformed, which building the
    dataset reports with its own message)."""
    if not isinstance(entry, Mapping):
        return None
    value = entry.get(key)
    if key == "versioned":
        return bool(value)
    return value
