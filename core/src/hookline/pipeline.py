"""A :class:`Pipeline` is a set of nodes joined by the datasets they share, in run order.

Construction checks the graph once (no cycle, one producer per dataset, unique node names)
and sorts it topologically; filters select nodes by tag, name or dataset and return a new
pipeline. Everything here is O(nodes + edges): pipelines with tens of thousands of nodes build
and filter quickly.

Order: nodes come out in the order they were given, except that a node is moved after the
nodes it depends on (each ancestor that was given later is pulled forward, again in the given
order). A pipeline whose nodes were given in a valid order therefore keeps that order.

Transcoded names (``cars@pandas``, ``cars@spark``) are one dataset ``cars`` for the graph: the
producer and consumer lookups are keyed by the name without its suffix (see
:mod:`hookline.transcoding`). Modular pipelines (``pipeline(..., namespace=...)``) are built by
:mod:`hookline.modular_pipeline`.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from hookline.errors import PipelineError, did_you_mean
from hookline.modular_pipeline import NameMapping, map_nodes
from hookline.node import Node, _func_path, _normalise_tags
from hookline.transcoding import base_name, check_transcoded_names

__all__ = ["Pipeline", "pipeline"]

_NODE = ("node named", "nodes named")
_TAG = ("node tagged", "nodes tagged")
_DATASET = ("dataset", "datasets")
_NAMESPACE = ("node in the namespace", "nodes in the namespaces")


def _names_arg(values: str | Iterable[str] | None) -> list[str]:
    """Accept one name or several (a lone string is one name, not its characters)."""
    if values is None:
        return []
    if isinstance(values, str):
        return [values]
    return list(values)


def _unknown_message(
    kind: tuple[str, str], unknown: Sequence[str], candidates: Iterable[str]
) -> str:
    """Describe names the pipeline does not know, suggesting the closest known name for each.

    ``kind`` is the singular and plural wording, e.g. ``("node named", "nodes named")``.
    """
    pool = sorted(candidates)
    if len(unknown) == 1:
        return f"The pipeline has no {kind[0]} '{unknown[0]}'.{did_you_mean(unknown[0], pool)}"
    parts = []
    for name in unknown:
        hint = did_you_mean(name, pool).strip()
        parts.append(f"'{name}' ({hint[0].lower()}{hint[1:]})" if hint else f"'{name}'")
    return f"The pipeline has no {kind[1]} {', '.join(parts)}."


def _describe_call(method: str, args: Sequence[str]) -> str:
    """Show a filter call the way the user wrote it, for error messages."""
    return f"{method}({', '.join(repr(a) for a in args)})"


class Pipeline:
    """Nodes joined by the datasets they share, kept in a deterministic topological order.

    Args:
        nodes: Nodes and pipelines (whose nodes are added) in the order they should run when
            the dependencies allow it.
        tags: Tags added to every node.
        inputs, outputs, parameters, namespace, prefix_datasets_with_namespace: Make the
            nodes a modular pipeline: see :func:`pipeline`.

    Raises:
        PipelineError: An item is not a Node or Pipeline, two different nodes have one name,
            two nodes write one dataset, the nodes form a cycle, a dataset is used both with
            and without a transcoding suffix, or a modular pipeline's mapping is wrong.
    """

    __slots__ = ("_all_inputs", "_all_outputs", "_consumers", "_nodes", "_position", "_producer")

    _nodes: list[Node]
    _position: dict[str, int]
    _producer: dict[str, Node]
    _consumers: dict[str, list[Node]]
    _all_inputs: frozenset[str]
    _all_outputs: frozenset[str]

    def __init__(
        self,
        nodes: Iterable[Node | Pipeline],
        *,
        tags: str | Iterable[str] | None = None,
        inputs: NameMapping = None,
        outputs: NameMapping = None,
        parameters: NameMapping = None,
        namespace: str | None = None,
        prefix_datasets_with_namespace: bool = True,
    ) -> None:
        if isinstance(nodes, (Node, str)) or not isinstance(nodes, Iterable):
            raise PipelineError(
                f"A pipeline is built from a list of nodes and pipelines, got {nodes!r}."
            )
        extra_tags = _normalise_tags(tags, "Pipeline")
        unique = _unique_nodes(nodes)
        if extra_tags:
            unique = [n.tag(extra_tags) for n in unique]
        check_transcoded_names(name for n in unique for name in (*n.inputs, *n.outputs))
        self._index(_toposort(unique))
        if namespace is not None or inputs or outputs or parameters:
            mapped = map_nodes(
                self,
                inputs=inputs,
                outputs=outputs,
                parameters=parameters,
                namespace=namespace,
                prefix_datasets_with_namespace=prefix_datasets_with_namespace,
            )
            # Renaming can join datasets (two outputs mapped to one name): check the graph again.
            check_transcoded_names(name for n in mapped for name in (*n.inputs, *n.outputs))
            self._index(_toposort(mapped))

    @classmethod
    def _from_sorted(cls, nodes: list[Node]) -> Pipeline:
        """Build from nodes already checked and sorted (a subset of a valid pipeline's order)."""
        result = cls.__new__(cls)
        result._index(nodes)
        return result

    def _index(self, nodes: list[Node]) -> None:
        """Record the lookups every query needs, in one pass over nodes and their datasets.

        ``_producer`` and ``_consumers`` are keyed by dataset without transcoding suffix.
        """
        position: dict[str, int] = {}
        producer: dict[str, Node] = {}
        consumers: dict[str, list[Node]] = {}
        all_inputs: set[str] = set()
        all_outputs: set[str] = set()
        for i, n in enumerate(nodes):
            position[n.name] = i
            all_inputs.update(n.inputs)
            all_outputs.update(n.outputs)
            for ds in n.inputs:
                readers = consumers.setdefault(base_name(ds), [])
                # A node may read one dataset twice; it is still one consumer.
                if not readers or readers[-1] is not n:
                    readers.append(n)
            for ds in n.outputs:
                producer[base_name(ds)] = n
        self._nodes = nodes
        self._position = position
        self._producer = producer
        self._consumers = consumers
        self._all_inputs = frozenset(all_inputs)
        self._all_outputs = frozenset(all_outputs)

    # -- the graph ----------------------------------------------------------------------------

    @property
    def nodes(self) -> list[Node]:
        """The nodes in topological order (a new list each time)."""
        return list(self._nodes)

    def inputs(self) -> set[str]:
        """Datasets some node reads and no node writes: they must come from the catalog.

        A transcoded name (``cars@spark``) is no input when a node writes another view of it.
        """
        producer = self._producer
        return {ds for ds in self._all_inputs - self._all_outputs if base_name(ds) not in producer}

    def outputs(self) -> set[str]:
        """Datasets some node writes and no node reads: the results of the pipeline.

        A transcoded name (``cars@pandas``) is no output when a node reads another view of it.
        """
        consumers = self._consumers
        return {ds for ds in self._all_outputs - self._all_inputs if base_name(ds) not in consumers}

    def all_inputs(self) -> set[str]:
        """Every dataset some node reads."""
        return set(self._all_inputs)

    def all_outputs(self) -> set[str]:
        """Every dataset some node writes."""
        return set(self._all_outputs)

    def datasets(self) -> set[str]:
        """Every dataset the pipeline reads or writes."""
        return set(self._all_inputs | self._all_outputs)

    def producer(self, dataset: str) -> Node | None:
        """The node that writes ``dataset`` (or another transcoded view of it), or None (a
        free input, or not in the pipeline)."""
        return self._producer.get(base_name(dataset))

    def consumers(self, dataset: str) -> list[Node]:
        """The nodes that read ``dataset`` (or another transcoded view of it), in topological
        order (empty if none)."""
        return list(self._consumers.get(base_name(dataset), ()))

    def parents(self, node: Node | str) -> list[Node]:
        """The nodes that write a dataset ``node`` reads, in topological order."""
        found = self._get(node)
        seen: dict[str, Node] = {}
        for ds in found.inputs:
            parent = self._producer.get(base_name(ds))
            if parent is not None:
                seen[parent.name] = parent
        return sorted(seen.values(), key=self._sort_key)

    def children(self, node: Node | str) -> list[Node]:
        """The nodes that read a dataset ``node`` writes, in topological order."""
        found = self._get(node)
        seen: dict[str, Node] = {}
        for ds in found.outputs:
            for child in self._consumers.get(base_name(ds), ()):
                seen[child.name] = child
        return sorted(seen.values(), key=self._sort_key)

    def _sort_key(self, n: Node) -> int:
        return self._position[n.name]

    def _get(self, node: Node | str) -> Node:
        """Return this pipeline's node named like ``node``, or raise with a suggestion."""
        name: object = node.name if isinstance(node, Node) else node
        i = self._position.get(name) if isinstance(name, str) else None
        if i is None:
            raise PipelineError(_unknown_message(_NODE, [str(name)], self._position))
        return self._nodes[i]

    # -- composition --------------------------------------------------------------------------

    # Operands are annotated as Pipeline so that mypy flags `pipeline + node`; at run time any
    # other operand still gets NotImplemented (hence a TypeError), as Python expects.

    def __add__(self, other: Pipeline) -> Pipeline:
        """The nodes of both pipelines (a node in both is kept once)."""
        given: object = other
        if not isinstance(given, Pipeline):
            return NotImplemented
        return Pipeline([self, given])

    def __radd__(self, other: Pipeline | int) -> Pipeline:
        """``other + self``; also ``0 + self``, which is how ``sum(pipelines)`` starts."""
        given: object = other
        if type(given) is int and given == 0:
            return self
        if not isinstance(given, Pipeline):
            return NotImplemented
        return Pipeline([given, self])

    def __sub__(self, other: Pipeline) -> Pipeline:
        """The nodes of this pipeline whose name is not in ``other``."""
        given: object = other
        if not isinstance(given, Pipeline):
            return NotImplemented
        return Pipeline._from_sorted([n for n in self._nodes if n.name not in given._position])

    def __and__(self, other: Pipeline) -> Pipeline:
        """The nodes of this pipeline whose name is also in ``other``."""
        given: object = other
        if not isinstance(given, Pipeline):
            return NotImplemented
        return Pipeline._from_sorted([n for n in self._nodes if n.name in given._position])

    def __or__(self, other: Pipeline) -> Pipeline:
        """The nodes of both pipelines (the same as ``+``)."""
        given: object = other
        if not isinstance(given, Pipeline):
            return NotImplemented
        return Pipeline([self, given])

    def __len__(self) -> int:
        return len(self._nodes)

    def __iter__(self) -> Iterator[Node]:
        return iter(self._nodes)

    def __contains__(self, item: object) -> bool:
        """Whether a node (compared by name) or a node name is in the pipeline."""
        if isinstance(item, Node):
            return item.name in self._position
        if isinstance(item, str):
            return item in self._position
        return False

    def __repr__(self) -> str:
        shown = ", ".join(repr(n.name) for n in self._nodes[:10])
        more = f", ... (+{len(self._nodes) - 10} more)" if len(self._nodes) > 10 else ""
        return f"Pipeline([{shown}{more}])"

    def tag(self, tags: str | Iterable[str]) -> Pipeline:
        """Return a copy of this pipeline with ``tags`` added to every node."""
        extra = _normalise_tags(tags, "Pipeline")
        return Pipeline._from_sorted([n.tag(extra) for n in self._nodes])

    def to_dict(self) -> dict[str, Any]:
        """Describe the pipeline with JSON-serialisable data (for listings and visualisers)."""
        return {
            "nodes": [
                {
                    "name": n.name,
                    "func": _func_path(n.func),
                    "inputs": list(n.inputs),
                    "outputs": list(n.outputs),
                    "tags": sorted(n.tags),
                }
                for n in self._nodes
            ],
            "inputs": sorted(self.inputs()),
            "outputs": sorted(self.outputs()),
        }

    # -- filters ------------------------------------------------------------------------------

    def only_nodes_with_tags(self, *tags: str) -> Pipeline:
        """The nodes having any of ``tags``."""
        return self._finish(self._select_tags(tags), _describe_call("only_nodes_with_tags", tags))

    def only_nodes_with_namespaces(self, node_namespaces: Iterable[str]) -> Pipeline:
        """The nodes in any of ``node_namespaces`` or in a namespace nested in one of them.

        Raises:
            PipelineError: A namespace has no node (with the closest known namespace).
        """
        wanted = _names_arg(node_namespaces)
        selected = self._select_namespaces(wanted)
        return self._finish(selected, f"only_nodes_with_namespaces({wanted!r})")

    def only_nodes(self, *names: str) -> Pipeline:
        """Exactly the nodes named ``names``."""
        return self._finish(self._select_names(names), _describe_call("only_nodes", names))

    def from_nodes(self, *names: str) -> Pipeline:
        """The nodes named ``names`` and every node downstream of them."""
        return self._finish(self._select_from_nodes(names), _describe_call("from_nodes", names))

    def to_nodes(self, *names: str) -> Pipeline:
        """The nodes named ``names`` and every node they depend on."""
        return self._finish(self._select_to_nodes(names), _describe_call("to_nodes", names))

    def from_inputs(self, *datasets: str) -> Pipeline:
        """The nodes that read any of ``datasets`` and every node downstream of them."""
        return self._finish(
            self._select_from_inputs(datasets), _describe_call("from_inputs", datasets)
        )

    def to_outputs(self, *datasets: str) -> Pipeline:
        """The nodes that write any of ``datasets`` and every node they depend on."""
        return self._finish(
            self._select_to_outputs(datasets), _describe_call("to_outputs", datasets)
        )

    def filter(
        self,
        tags: str | Iterable[str] | None = None,
        from_nodes: str | Iterable[str] | None = None,
        to_nodes: str | Iterable[str] | None = None,
        node_names: str | Iterable[str] | None = None,
        from_inputs: str | Iterable[str] | None = None,
        to_outputs: str | Iterable[str] | None = None,
        node_namespaces: str | Iterable[str] | None = None,
    ) -> Pipeline:
        """The nodes selected by every given filter (Kedro semantics).

        Each filter is applied to this whole pipeline and the results are intersected, so the
        outcome does not depend on the order of the filters. A filter given as None or empty
        is ignored; with no filter at all, the result has every node.

        Raises:
            PipelineError: A name, tag or dataset is unknown, a filter selects no node, or the
                filters have no node in common.
        """
        selectors = (
            ("tags", _names_arg(tags), self._select_tags),
            ("from_nodes", _names_arg(from_nodes), self._select_from_nodes),
            ("to_nodes", _names_arg(to_nodes), self._select_to_nodes),
            ("node_names", _names_arg(node_names), self._select_names),
            ("from_inputs", _names_arg(from_inputs), self._select_from_inputs),
            ("to_outputs", _names_arg(to_outputs), self._select_to_outputs),
            ("node_namespaces", _names_arg(node_namespaces), self._select_namespaces),
        )
        selected: set[int] | None = None
        used: list[str] = []
        for label, args, select in selectors:
            if not args:
                continue
            described = f"{label}={args!r}"
            chosen = select(args)
            if not chosen:
                raise PipelineError(f"The filter {described} selects no node of the pipeline.")
            used.append(described)
            selected = chosen if selected is None else selected & chosen
        if selected is None:
            return Pipeline._from_sorted(list(self._nodes))
        if not selected:
            raise PipelineError(
                f"The filters {', '.join(used)} have no node in common: nothing would run."
            )
        return self._subset(selected)

    def _finish(self, selected: set[int], described: str) -> Pipeline:
        if not selected:
            raise PipelineError(f"The filter {described} selects no node of the pipeline.")
        return self._subset(selected)

    def _subset(self, selected: set[int]) -> Pipeline:
        # Either way the topological order is kept: a small selection sorts its positions, a
        # large one walks the whole order once (O(nodes), no sort).
        nodes = self._nodes
        if len(selected) * 4 < len(nodes):
            return Pipeline._from_sorted([nodes[i] for i in sorted(selected)])
        return Pipeline._from_sorted([n for i, n in enumerate(nodes) if i in selected])

    # Each _select_* returns the positions of the selected nodes and raises on unknown names.

    def _select_tags(self, tags: Sequence[str]) -> set[int]:
        wanted = set(tags)
        known: set[str] = set()
        for n in self._nodes:
            known |= n.tags
        unknown = [t for t in tags if t not in known]
        if unknown:
            raise PipelineError(_unknown_message(_TAG, unknown, known))
        return {i for i, n in enumerate(self._nodes) if not wanted.isdisjoint(n.tags)}

    def _select_namespaces(self, namespaces: Sequence[str]) -> set[int]:
        selected: set[int] = set()
        unknown = []
        for namespace in namespaces:
            inner = f"{namespace}."
            found = {
                i
                for i, n in enumerate(self._nodes)
                if n.namespace and (n.namespace == namespace or n.namespace.startswith(inner))
            }
            if not found:
                unknown.append(namespace)
            selected |= found
        if unknown:
            known = {prefix for n in self._nodes for prefix in n.namespace_prefixes}
            raise PipelineError(_unknown_message(_NAMESPACE, unknown, known))
        return selected

    def _select_names(self, names: Sequence[str]) -> set[int]:
        unknown = [name for name in names if name not in self._position]
        if unknown:
            raise PipelineError(_unknown_message(_NODE, unknown, self._position))
        return {self._position[name] for name in names}

    def _check_datasets(self, datasets: Sequence[str]) -> None:
        # A transcoded dataset may be named with one of its views or without suffix.
        known = (
            self._all_inputs | self._all_outputs | self._producer.keys() | self._consumers.keys()
        )
        unknown = [ds for ds in datasets if ds not in known]
        if unknown:
            raise PipelineError(_unknown_message(_DATASET, unknown, known))

    def _select_from_nodes(self, names: Sequence[str]) -> set[int]:
        return self._descendants(self._select_names(names))

    def _select_to_nodes(self, names: Sequence[str]) -> set[int]:
        return self._ancestors(self._select_names(names))

    def _select_from_inputs(self, datasets: Sequence[str]) -> set[int]:
        # A name without suffix selects the readers of every view; a view, its own readers.
        self._check_datasets(datasets)
        start = {
            self._position[n.name]
            for ds in datasets
            for n in self._consumers.get(base_name(ds), ())
            if ds == base_name(ds) or ds in n.inputs
        }
        return self._descendants(start)

    def _select_to_outputs(self, datasets: Sequence[str]) -> set[int]:
        self._check_datasets(datasets)
        start = {
            self._position[n.name]
            for ds in datasets
            if (n := self._producer.get(base_name(ds))) is not None
            and (ds == base_name(ds) or ds in n.outputs)
        }
        return self._ancestors(start)

    def _descendants(self, start: set[int]) -> set[int]:
        """``start`` and every node reading, directly or not, what they write."""
        seen = set(start)
        stack = list(start)
        nodes, consumers, position = self._nodes, self._consumers, self._position
        while stack:
            for ds in nodes[stack.pop()].outputs:
                for child in consumers.get(base_name(ds), ()):
                    j = position[child.name]
                    if j not in seen:
                        seen.add(j)
                        stack.append(j)
        return seen

    def _ancestors(self, start: set[int]) -> set[int]:
        """``start`` and every node writing, directly or not, what they read."""
        seen = set(start)
        stack = list(start)
        nodes, producer, position = self._nodes, self._producer, self._position
        while stack:
            for ds in nodes[stack.pop()].inputs:
                parent = producer.get(base_name(ds))
                if parent is not None:
                    j = position[parent.name]
                    if j not in seen:
                        seen.add(j)
                        stack.append(j)
        return seen


def _unique_nodes(items: Iterable[Node | Pipeline]) -> list[Node]:
    """Flatten nodes and pipelines, merging repeats of one node and refusing name clashes."""
    by_name: dict[str, int] = {}
    result: list[Node] = []
    for item in items:
        if isinstance(item, Pipeline):
            members: Iterable[Node] = item._nodes
        elif isinstance(item, Node):
            members = (item,)
        else:
            raise PipelineError(
                f"A pipeline is built from nodes and pipelines, got {type(item).__name__} {item!r}."
            )
        for n in members:
            i = by_name.get(n.name)
            if i is None:
                by_name[n.name] = len(result)
                result.append(n)
                continue
            first = result[i]
            if first is n:
                continue
            # The same step reached twice (say, via two sub-pipelines, one of them tagged)
            # is one node carrying both sets of tags.
            if first._same_definition(n):
                result[i] = first.tag(n.tags) if n.tags else first
                continue
            raise PipelineError(
                f"Two different nodes are named '{n.name}': {first!r} and {n!r}. "
                "Node names must be unique; give one of them another name."
            )
    return result


def _toposort(nodes: list[Node]) -> list[Node]:
    """Sort ``nodes`` so each comes after the nodes it reads from; O(nodes + edges).

    Also refuses two producers for one dataset and reports a cycle with its nodes and datasets.
    """
    producer: dict[str, int] = {}
    for i, n in enumerate(nodes):
        for ds in n.outputs:
            base = base_name(ds)
            j = producer.get(base)
            if j is not None:
                raise PipelineError(_two_producers_message(base, nodes[j], n))
            producer[base] = i

    # Parents are collected per node in ascending position so that ancestors are visited in
    # the given order; the last-element check drops repeats without a set per node.
    parents: list[list[int]] = [[] for _ in nodes]
    consumers: dict[str, list[int]] = {}
    for i, n in enumerate(nodes):
        for ds in n.inputs:
            readers = consumers.setdefault(base_name(ds), [])
            if not readers or readers[-1] != i:
                readers.append(i)
    for j, n in enumerate(nodes):
        for ds in n.outputs:
            for c in consumers.get(base_name(ds), ()):
                ps = parents[c]
                if not ps or ps[-1] != j:
                    ps.append(j)

    # Iterative depth-first post-order over parents: deep chains cannot hit the recursion
    # limit, and a valid given order comes out unchanged.
    state = bytearray(len(nodes))  # 0 unseen, 1 on the current path, 2 placed
    order: list[Node] = []
    for root in range(len(nodes)):
        if state[root]:
            continue
        state[root] = 1
        path = [root]
        next_parent = [0]
        while path:
            i = path[-1]
            k = next_parent[-1]
            ps = parents[i]
            if k < len(ps):
                next_parent[-1] = k + 1
                p = ps[k]
                if state[p] == 0:
                    state[p] = 1
                    path.append(p)
                    next_parent.append(0)
                elif state[p] == 1:
                    raise PipelineError(_cycle_message(nodes, path, p))
            else:
                path.pop()
                next_parent.pop()
                state[i] = 2
                order.append(nodes[i])
    return order


def _two_producers_message(base: str, first: Node, second: Node) -> str:
    """Refuse a second writer of ``base``, showing the transcoded views each node writes."""
    views = [ds for n in (first, second) for ds in n.outputs if base_name(ds) == base]
    if all(ds == base for ds in views):
        return (
            f"Dataset '{base}' is written by two nodes: '{first.name}' and '{second.name}'. "
            "Each dataset can have only one producer."
        )
    return (
        f"Dataset '{base}' is written by two nodes: '{views[0]}' by '{first.name}' and "
        f"'{views[-1]}' by '{second.name}'. Each dataset can have only one producer, and the "
        "transcoded views of one dataset are one dataset."
    )


def _cycle_message(nodes: list[Node], path: list[int], repeated: int) -> str:
    """Describe the cycle closed by ``repeated`` (a parent already on ``path``) in data order."""
    # path runs child -> parent; reversing the loop's part gives the direction data flows.
    loop = path[path.index(repeated) :]
    flow = [loop[0], *reversed(loop[1:]), loop[0]]
    steps = []
    for a, b in itertools.pairwise(flow):
        writer, reader = nodes[a], nodes[b]
        read = {base_name(ds): ds for ds in reader.inputs}
        written = next(ds for ds in writer.outputs if base_name(ds) in read)
        as_view = read[base_name(written)]
        view = f" as '{as_view}'" if as_view != written else ""
        steps.append(f"'{writer.name}' writes '{written}' read by '{reader.name}'{view}")
    names = " -> ".join(f"'{nodes[i].name}'" for i in flow)
    return f"The pipeline has a cycle: {names} ({'; '.join(steps)})."


def pipeline(
    nodes: Iterable[Node | Pipeline],
    *,
    inputs: NameMapping = None,
    outputs: NameMapping = None,
    parameters: NameMapping = None,
    tags: str | Iterable[str] | None = None,
    namespace: str | None = None,
    prefix_datasets_with_namespace: bool = True,
) -> Pipeline:
    """Create a :class:`Pipeline` from nodes and pipelines, or reuse one as a modular pipeline.

    Args:
        nodes: Nodes and pipelines, as for :class:`Pipeline`.
        inputs: Free inputs to keep (a name or names) or rename (``{old: new}``) instead of
            prefixing them with the namespace: how the modular pipeline reads from the rest
            of the project.
        outputs: Datasets its nodes write to keep or rename likewise (free outputs or
            intermediate ones to expose).
        parameters: Parameters to keep or rename likewise, with or without ``params:``.
        tags: Tags added to every node.
        namespace: Prefix of every node name and of every dataset and parameter not listed
            above (``ns.x``, ``params:ns.x``); nodes already in a namespace get ``ns.inner``.
        prefix_datasets_with_namespace: False to set the nodes' namespace only, leaving
            every dataset name as it is (grouping nodes without renaming data).

    Raises:
        PipelineError: As :class:`Pipeline`; also, naming the namespace, when a mapping names
            a dataset or parameter no node uses (with the closest name), ``inputs`` names a
            parameter or a dataset some node writes, or ``outputs`` names a free input.
    """
    return Pipeline(
        nodes,
        tags=tags,
        inputs=inputs,
        outputs=outputs,
        parameters=parameters,
        namespace=namespace,
        prefix_datasets_with_namespace=prefix_datasets_with_namespace,
    )
