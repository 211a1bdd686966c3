"""Modular pipelines: reuse one pipeline under a namespace, with its datasets renamed.

``pipeline(pipe, namespace="ns")`` gives every node the namespace (``ns.node``) and every
dataset the prefix ``ns.`` (parameters too: ``params:x`` becomes ``params:ns.x``), except:

* the names listed in ``inputs``/``outputs``/``parameters``: kept as they are (a name or a
  collection of names) or renamed (a dict ``{old: new}``), which is how the modular pipeline
  connects to the rest of the project;
* ``parameters`` (every parameter at once), which is never renamed.

A transcoded name (``cars@pandas``) follows the mapping of its base name (``cars``) unless it
is mapped itself. ``prefix_datasets_with_namespace=False`` sets the nodes' namespace only,
for grouping nodes without renaming any dataset. These are Kedro's semantics.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeAlias

from hookline.errors import PipelineError
from hookline.transcoding import SEPARATOR, base_name, split_transcoding

if TYPE_CHECKING:
    from hookline.node import Node
    from hookline.pipeline import Pipeline

__all__ = ["NameMapping", "map_nodes"]

#: What ``inputs``, ``outputs`` and ``parameters`` of a modular pipeline may be: one name kept,
#: a collection of names kept, or a dict renaming each key to its value.
NameMapping: TypeAlias = str | Iterable[str] | dict[str, str] | None

_ALL_PARAMETERS = "parameters"
_PARAM_PREFIX = "params:"


def _is_parameter(name: str) -> bool:
    return name == _ALL_PARAMETERS or name.startswith(_PARAM_PREFIX)


def map_nodes(
    pipe: Pipeline,
    *,
    inputs: NameMapping,
    outputs: NameMapping,
    parameters: NameMapping,
    namespace: str | None,
    prefix_datasets_with_namespace: bool,
) -> list[Node]:
    """Return copies of ``pipe``'s nodes, in its order, renamed as the module docstring says.

    Raises:
        PipelineError: A mapping names a dataset or parameter the pipeline does not use,
            ``inputs`` names a parameter or a dataset some node writes, ``outputs`` names a
            free input, or ``namespace`` is not a non-empty string; naming the pipeline.
    """
    where = _describe(pipe, namespace)
    given_namespace: object = namespace
    if given_namespace is not None and (not isinstance(given_namespace, str) or not namespace):
        raise PipelineError(f"{where}: a namespace must be a non-empty string, got {namespace!r}.")
    input_map = _as_mapping(inputs, "inputs", where)
    output_map = _as_mapping(outputs, "outputs", where)
    param_map = _parameter_mapping(_as_mapping(parameters, "parameters", where))
    _check_names_exist(pipe, input_map, output_map, param_map, where)
    _check_inputs_outputs(pipe, input_map, output_map, where)

    mapping = {**input_map, **output_map, **param_map}
    prefix = namespace if prefix_datasets_with_namespace else None
    rename = _renamer(mapping, prefix)
    return [n._renamed(rename, _nested(namespace, n.namespace)) for n in pipe.nodes]


def _describe(pipe: Pipeline, namespace: str | None) -> str:
    """Name the modular pipeline in errors: by its namespace, else by its first nodes."""
    if namespace:
        return f"Modular pipeline '{namespace}'"
    shown = ", ".join(f"'{n.name}'" for n in pipe.nodes[:3])
    more = ", ..." if len(pipe) > 3 else ""
    return f"Modular pipeline of nodes [{shown}{more}]"


def _nested(outer: str | None, inner: str | None) -> str | None:
    """The namespace of a node already in ``inner`` once wrapped in ``outer``."""
    if not outer:
        return inner
    return f"{outer}.{inner}" if inner else outer


def _as_mapping(names: NameMapping, argument: str, where: str) -> dict[str, str]:
    """Turn one name, a collection of names or a dict into ``{old name: new name}``."""
    if names is None:
        return {}
    if isinstance(names, str):
        names = [names]
    pairs = dict(names) if isinstance(names, dict) else {name: name for name in names}
    for old, new in pairs.items():
        if not (isinstance(old, str) and old and isinstance(new, str) and new):
            raise PipelineError(
                f"{where}: '{argument}' must map dataset names to non-empty strings, "
                f"got {old!r}: {new!r}."
            )
    return pairs


def _parameter_mapping(pairs: dict[str, str]) -> dict[str, str]:
    """Write parameter names as nodes do (``params:x``); ``parameters`` stays itself."""

    def as_param(name: str) -> str:
        return name if name.startswith(_PARAM_PREFIX) else f"{_PARAM_PREFIX}{name}"

    return {
        (old if old == _ALL_PARAMETERS else as_param(old)): (
            old if old == _ALL_PARAMETERS else as_param(new)
        )
        for old, new in pairs.items()
    }


def _check_names_exist(
    pipe: Pipeline,
    input_map: dict[str, str],
    output_map: dict[str, str],
    param_map: dict[str, str],
    where: str,
) -> None:
    """Refuse mapping a name no node uses, suggesting the closest name the pipeline has."""
    used = {base_name(ds) for ds in pipe.datasets()}
    mapped = {base_name(n) for n in (*input_map, *output_map)} | set(param_map)
    missing = sorted(mapped - used)
    if not missing:
        return
    pool = sorted(used)
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
        hints.append(f"'{name}' (did you mean '{close[0]}'?)" if close else f"'{name}'")
    raise PipelineError(
        f"{where}: failed to map datasets and/or parameters onto its nodes: "
        f"{', '.join(hints)} {'does' if len(missing) == 1 else 'do'} not exist in the pipeline."
    )


def _check_inputs_outputs(
    pipe: Pipeline, input_map: dict[str, str], output_map: dict[str, str], where: str
) -> None:
    """``inputs`` may name only free inputs (no parameter), ``outputs`` no free input."""
    params = sorted(name for name in input_map if _is_parameter(base_name(name)))
    if params:
        raise PipelineError(
            f"{where}: {', '.join(repr(p) for p in params)} given in 'inputs': parameters "
            "should be specified in the 'parameters' argument."
        )
    free = {base_name(ds) for ds in pipe.inputs()}
    written = sorted({base_name(n) for n in input_map} - free)
    if written:
        raise PipelineError(
            f"{where}: 'inputs' must name free inputs of the pipeline, but "
            f"{', '.join(repr(w) for w in written)} {'is' if len(written) == 1 else 'are'} "
            "written by one of its nodes (expose it with 'outputs' instead)."
        )
    read_only = sorted({base_name(n) for n in output_map} & free)
    if read_only:
        verb = "is a free input" if len(read_only) == 1 else "are free inputs"
        raise PipelineError(
            f"{where}: 'outputs' must name datasets its nodes write, but "
            f"{', '.join(repr(r) for r in read_only)} {verb} of the pipeline (map it with "
            "'inputs' instead)."
        )


def _renamer(mapping: dict[str, str], namespace: str | None) -> Callable[[str], str]:
    """Return the function giving each dataset name of a node its new name."""

    def rename(name: str) -> str:
        if name in mapping:
            return mapping[name]
        if name == _ALL_PARAMETERS:
            return name
        if SEPARATOR in name:
            base, suffix = split_transcoding(name)
            if base in mapping:
                return f"{mapping[base]}{SEPARATOR}{suffix}"
        if not namespace:
            return name
        if name.startswith(_PARAM_PREFIX):
            return f"{_PARAM_PREFIX}{namespace}.{name[len(_PARAM_PREFIX) :]}"
        return f"{namespace}.{name}"

    return rename
