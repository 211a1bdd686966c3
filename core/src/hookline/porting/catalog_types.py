"""Mapping the ``type:`` of Kedro catalog entries to the types hookline resolves.

Kedro looks a type up as ``kedro.io.<type>``, then ``kedro_datasets.<type>``, then as
written. hookline's short names (``pandas.CSVDataset``) mean hookline's own datasets, which
take the same arguments as kedro-datasets' classes of that name, so such a type stays (an
explicit ``kedro_datasets.pandas.CSVDataset`` becomes the short name). A kedro-datasets type
with no hookline counterpart, or an entry passing an argument hookline's class does not
take, gets its full ``kedro_datasets.`` path, which hookline loads as a Kedro-style dataset
while kedro-datasets is installed. Other ``kedro.io`` types are reported.

The file is edited in place, value by value, at the positions PyYAML's composer gives:
comments, quoting, anchors and layout stay as they were.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

from hookline.datasets import DATASET_TYPES
from hookline.porting.report import Change, Finding

#: The sub-packages of kedro_datasets (9.x): a type starting with one is kedro-datasets'.
KEDRO_DATASETS_PACKAGES = frozenset(
    [
        "api",
        "biosequence",
        "dask",
        "databricks",
        "email",
        "geopandas",
        "holoviews",
        "huggingface",
        "ibis",
        "json",
        "langchain",
        "matlab",
        "matplotlib",
        "networkx",
        "openxml",
        "pandas",
        "partitions",
        "pickle",
        "pillow",
        "plotly",
        "polars",
        "redis",
        "snowflake",
        "spark",
        "svmlight",
        "tensorflow",
        "text",
        "yaml",
    ]
)
_KEDRO_IO = "kedro.io."
_KEDRO_DATASETS = "kedro_datasets."
# Keys the catalog reads itself rather than passing to the dataset class.
_CATALOG_KEYS = {"type"}


@dataclass
class CatalogEdit:
    """A catalog file's new text and what the edit found.

    Attributes:
        text: The new text (the old one if nothing changed).
        changes: One per ``type:`` value changed.
        not_ported: One per entry left for the user.
    """

    text: str
    changes: list[Change] = field(default_factory=list)
    not_ported: list[Finding] = field(default_factory=list)


def hookline_type(kedro_type: str, arguments: set[str]) -> str | None:
    """The type hookline resolves for a Kedro entry of type ``kedro_type`` passing
    ``arguments``; ``None`` when the entry cannot be ported (a kedro.io class hookline lacks)."""
    name = kedro_type.removeprefix(_KEDRO_IO)
    if kedro_type.startswith(_KEDRO_IO) or "." not in name:
        # Kedro looks undotted names up in kedro.io first.
        return name if name in DATASET_TYPES and _takes(name, arguments) else None
    short = name.removeprefix(_KEDRO_DATASETS)
    if short.partition(".")[0] not in KEDRO_DATASETS_PACKAGES:
        return kedro_type  # the project's own class, or another library's: as written
    if short in DATASET_TYPES and _takes(short, arguments):
        return short
    return _KEDRO_DATASETS + short


def _takes(short_name: str, arguments: set[str]) -> bool:
    """Whether hookline's class for ``short_name`` accepts every one of ``arguments``."""
    module_name, _, class_name = DATASET_TYPES[short_name].partition(":")
    # hookline's dataset modules import their heavy libraries only when data moves.
    cls = getattr(importlib.import_module(module_name), class_name)
    parameters = inspect.signature(cls).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
        return True
    return arguments <= {p.name for p in parameters}


def edit_catalog(text: str, file: str) -> CatalogEdit:
    """Map every entry's ``type:`` in the catalog YAML ``text`` (the file ``file``).

    Raises:
        yaml.YAMLError: ``text`` is not valid YAML.
    """
    result = CatalogEdit(text)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return result
    replacements: dict[int, tuple[yaml.ScalarNode, str]] = {}
    for key_node, entry in root.value:
        if not isinstance(entry, yaml.MappingNode):
            continue
        keys = _entry_keys(entry)
        type_node = keys.get("type")
        if not isinstance(type_node, yaml.ScalarNode) or "${" in type_node.value:
            continue  # a type set by interpolation or templating is left as written
        line = type_node.start_mark.line + 1
        new_type = hookline_type(type_node.value, set(keys) - _CATALOG_KEYS)
        if new_type is None:
            result.not_ported.append(
                Finding(
                    file,
                    line,
                    f"{_KEDRO_IO}{type_node.value.removeprefix(_KEDRO_IO)}",
                    f"entry '{key_node.value}': no hookline counterpart; keep kedro installed "
                    "and give the type as its dotted path, or use a hookline dataset",
                )
            )
        elif new_type != type_node.value and type_node.start_mark.index not in replacements:
            replacements[type_node.start_mark.index] = (type_node, new_type)
            result.changes.append(Change(file, line, f"type {type_node.value} -> {new_type}"))
    result.text = _replace(text, replacements.values())
    return result


def _entry_keys(entry: yaml.MappingNode) -> dict[str, yaml.Node]:
    """An entry's keys and value nodes, with those merged in by ``<<: *anchor``."""
    keys: dict[str, yaml.Node] = {}
    for key_node, value_node in entry.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            merged = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in merged:
                if isinstance(source, yaml.MappingNode):
                    keys = {**_entry_keys(source), **keys}
        elif isinstance(key_node, yaml.ScalarNode):
            keys[key_node.value] = value_node
    return keys


def _replace(text: str, edits: Iterable[tuple[yaml.ScalarNode, str]]) -> str:
    """``text`` with each scalar node's value replaced, keeping its quotes."""
    # From the end of the text backwards, so that each edit leaves the positions before it.
    for node, value in sorted(edits, key=lambda edit: edit[0].start_mark.index, reverse=True):
        start, end = node.start_mark.index, node.end_mark.index
        quote = node.style if node.style in ("'", '"') else ""
        text = text[:start] + quote + value + quote + text[end:]
    return text
