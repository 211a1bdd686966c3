"""A :class:`Node` wraps one function with the datasets it reads and writes.

Calling conventions (the same as Kedro's):

* ``inputs=None`` or ``[]``: the function is called with no argument.
* ``inputs="a"`` or ``["a", "b"]``: the datasets are passed positionally, in that order.
* ``inputs={"arg": "a"}``: the dataset ``a`` is passed as the keyword argument ``arg``.
* ``outputs=None`` (or ``[]``, ``{}``): the return value is ignored.
* ``outputs="x"``: the return value is saved as ``x``.
* ``outputs=["x", "y"]``: the function returns a list or tuple of two values, saved as ``x``
  and ``y``.
* ``outputs={"key": "x"}``: the function returns a dict; its value under ``key`` is saved as ``x``.

Everything about the calling convention is worked out once in ``__init__`` and kept as plain
data (ints, tuples of strings), so :meth:`Node.run` does no introspection per call and a node of
a module-level function pickles to a worker process.
"""

from __future__ import annotations

import functools
import inspect
import operator
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias

from hookline.errors import NodeInputError, NodeOutputError, PipelineError

__all__ = ["Node", "NodeIO", "node"]

#: What ``inputs`` and ``outputs`` of a node may be: a dataset name, a list of names, a dict, None.
NodeIO: TypeAlias = str | list[str] | tuple[str, ...] | dict[str, str] | None

# Calling conventions, as small ints: run() dispatches on an int compare, and the pickled
# state of a node holds its function and plain data only.
_NO_ARGS = 0
_ONE_ARG = 1
_POSITIONAL = 2
_KEYWORD = 3

# Output conventions.
_NO_OUTPUT = 0
_ONE_OUTPUT = 1
_LIST_OUTPUT = 2
_DICT_OUTPUT = 3

_SLOTS = (
    "_func",
    "_readable_name",
    "_given_name",
    "_namespace",
    "_name",
    "_tags",
    "_inputs",
    "_outputs",
    "_input_set",
    "_call",
    "_arg_names",
    "_kw_pairs",
    "_declared_inputs",
    "_out_kind",
    "_out_names",
    "_out_pairs",
    "_out_keys",
)

# The pickled state: the slots above, which hold the function and plain data only. The
# itemgetter used by run() is rebuilt from them, so nothing of our making is pickled.
_SLOTS_WITH_CACHE = (*_SLOTS, "_getter")


def _readable_func_name(func: Callable[..., Any]) -> str:
    """Name a callable for humans: partials show the wrapped function, objects their class."""
    while isinstance(func, functools.partial):
        func = func.func
    name = getattr(func, "__name__", None)
    if isinstance(name, str):
        return name
    return type(func).__name__


def _func_path(func: Callable[..., Any]) -> str:
    """Return ``module.qualname`` of a callable, for listings such as ``Pipeline.to_dict``."""
    while isinstance(func, functools.partial):
        func = func.func
    target: Any = func if hasattr(func, "__qualname__") else type(func)
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", _readable_func_name(func))
    return f"{module}.{qualname}" if module else str(qualname)


def _normalise_tags(tags: str | Iterable[str] | None, where: str) -> frozenset[str]:
    """Turn a tag, a collection of tags or None into a frozenset, checking each is a string."""
    if tags is None:
        return frozenset()
    # Callers are often untyped (YAML, CLI), so check what really arrived.
    given: object = tags
    items: list[object]
    if isinstance(given, str):
        items = [given]
    elif isinstance(given, Iterable):
        items = list(given)
    else:
        raise PipelineError(f"{where}: tags must be a string or strings, got {given!r}.")
    checked: list[str] = []
    for tag in items:
        if not isinstance(tag, str) or not tag:
            raise PipelineError(f"{where}: tags must be non-empty strings, got {tag!r}.")
        checked.append(tag)
    return frozenset(checked)


def _dataset_names(spec: object, kind: str, where: str) -> tuple[str, ...] | dict[str, str]:
    """Check an ``inputs``/``outputs`` spec and return it as a tuple of names or a dict."""
    if spec is None:
        return ()
    if isinstance(spec, str):
        spec = [spec]
    if isinstance(spec, Mapping):
        pairs = dict(spec)
        for key, value in pairs.items():
            if not isinstance(key, str) or not key:
                raise PipelineError(f"{where}: {kind} keys must be non-empty strings, got {key!r}.")
            if not isinstance(value, str) or not value:
                raise PipelineError(
                    f"{where}: {kind} must name datasets with non-empty strings, "
                    f"got {value!r} for {key!r}."
                )
        return pairs
    if isinstance(spec, (list, tuple)):
        for value in spec:
            if not isinstance(value, str) or not value:
                raise PipelineError(
                    f"{where}: {kind} must name datasets with non-empty strings, got {value!r}."
                )
        return tuple(spec)
    raise PipelineError(
        f"{where}: {kind} must be a dataset name, a list of names, a dict or None, "
        f"got {type(spec).__name__} {spec!r}."
    )


def _declared(
    given: NodeIO, spec: tuple[str, ...] | dict[str, str]
) -> str | list[str] | dict[str, str] | None:
    """Return checked inputs in the shape they were declared (for repr)."""
    if isinstance(spec, dict):
        return dict(spec)
    if isinstance(given, str):
        return given
    return list(spec) or None


def _format_names(names: tuple[str, ...]) -> str:
    """Format dataset names the way derived node names show them: ``[a,b]``, or ``None``."""
    return f"[{','.join(names)}]" if names else "None"


class Node:
    """One step of a pipeline: a function, the datasets it reads and the datasets it writes.

    Nodes are immutable; :meth:`tag` returns a copy. Two nodes are equal, and hash alike, when
    they have the same name, which is why a pipeline refuses two different nodes with one name.

    Args:
        func: The function to call. Its signature must accept ``inputs``.
        inputs: One dataset name, a list of names (positional arguments), a dict mapping
            argument name to dataset name (keyword arguments), or None.
        outputs: One dataset name, a list of names (the function returns a list or tuple of
            that length), a dict mapping a key of the returned dict to a dataset name, or None.
        name: The node's name; derived from the function and datasets when not given.
        tags: One tag or several, used to select nodes when running a pipeline.
        namespace: The modular pipeline the node belongs to (``outer.inner``): its name is
            then ``namespace.name``. Usually set by :func:`hookline.pipeline`, not by hand.

    Raises:
        PipelineError: ``func`` is not callable, a dataset name or tag is not a string, an
            output is declared twice or is also an input, or the signature of ``func`` cannot
            take ``inputs``.
    """

    __slots__ = _SLOTS_WITH_CACHE

    _func: Callable[..., Any]
    _readable_name: str
    _given_name: str | None
    _namespace: str | None
    _name: str
    _tags: frozenset[str]
    _inputs: tuple[str, ...]
    _outputs: tuple[str, ...]
    _input_set: frozenset[str]
    _call: int
    _arg_names: tuple[str, ...]
    _kw_pairs: tuple[tuple[str, str], ...]
    _declared_inputs: str | list[str] | dict[str, str] | None
    _out_kind: int
    _out_names: tuple[str, ...]
    _out_pairs: tuple[tuple[str, str], ...]
    _out_keys: frozenset[str]
    _getter: Callable[[Mapping[str, Any]], Any]

    def __init__(
        self,
        func: Callable[..., Any],
        inputs: NodeIO,
        outputs: NodeIO,
        *,
        name: str | None = None,
        tags: str | Iterable[str] | None = None,
        namespace: str | None = None,
    ) -> None:
        given_name: object = name
        given_func: object = func
        if not callable(given_func):
            label = f"Node {name}" if isinstance(given_name, str) and name else "A node"
            raise PipelineError(
                f"{label} needs a function as its first argument, "
                f"got {type(given_func).__name__} {given_func!r}."
            )
        if given_name is not None and (not isinstance(given_name, str) or not given_name):
            raise PipelineError(f"Node names must be non-empty strings, got {name!r}.")
        given_namespace: object = namespace
        if given_namespace is not None and (
            not isinstance(given_namespace, str) or not given_namespace
        ):
            raise PipelineError(f"Node namespaces must be non-empty strings, got {namespace!r}.")
        func_name = _readable_func_name(func)
        where = f"Node {name}" if name else f"Node of function {func_name}"

        in_spec = _dataset_names(inputs, "inputs", where)
        out_spec = _dataset_names(outputs, "outputs", where)

        kw_pairs: tuple[tuple[str, str], ...] = ()
        if isinstance(in_spec, dict):
            in_names = tuple(in_spec.values())
            kw_pairs = tuple(in_spec.items())
        else:
            in_names = in_spec

        out_pairs: tuple[tuple[str, str], ...] = ()
        if isinstance(out_spec, dict):
            out_names = tuple(out_spec.values())
            out_pairs = tuple(out_spec.items())
            out_kind = _DICT_OUTPUT if out_pairs else _NO_OUTPUT
        else:
            out_names = out_spec
            if not out_spec:
                out_kind = _NO_OUTPUT
            elif isinstance(outputs, str):
                out_kind = _ONE_OUTPUT
            else:
                out_kind = _LIST_OUTPUT

        derived = f"{func_name}({_format_names(in_names)}) -> {_format_names(out_names)}"
        node_name = name if name else derived
        if namespace:
            node_name = f"{namespace}.{node_name}"
        where = f"Node {node_name}"

        duplicates = sorted({o for o in out_names if out_names.count(o) > 1})
        if duplicates:
            raise PipelineError(f"{where} declares the output(s) {duplicates} more than once.")
        both = sorted(set(in_names) & set(out_names))
        if both:
            raise PipelineError(
                f"{where} reads and writes the same dataset(s) {both}: "
                "a node cannot depend on its own output."
            )

        positional = _check_signature(func, func_name, node_name, in_spec)
        # Keyword inputs that the signature shows as plain parameters are passed positionally
        # in parameter order: the same call, at about half the cost of building a kwargs dict.
        arg_names = positional if positional is not None else ()
        if positional is None:
            call = _KEYWORD
        elif not positional:
            call = _NO_ARGS
        elif len(positional) == 1:
            call = _ONE_ARG
        else:
            call = _POSITIONAL

        self._func = func
        self._readable_name = func_name
        self._given_name = name
        self._namespace = namespace
        self._name = node_name
        self._tags = _normalise_tags(tags, where)
        self._inputs = in_names
        self._outputs = out_names
        self._input_set = frozenset(in_names)
        self._call = call
        self._arg_names = arg_names
        self._kw_pairs = kw_pairs
        # Only for repr: the inputs as declared, since the calling convention may differ.
        self._declared_inputs = _declared(inputs, in_spec)
        self._out_kind = out_kind
        self._out_names = out_names
        self._out_pairs = out_pairs
        self._out_keys = frozenset(key for key, _ in out_pairs)
        self._getter = _make_getter(arg_names)

    # -- the hot path -------------------------------------------------------------------------

    def run(self, inputs: dict[str, Any]) -> dict[str, Any]:
        """Call the function with ``inputs`` (dataset name -> value) and return its outputs.

        Returns:
            A new dict mapping each output dataset name to its value (empty with no outputs).

        Raises:
            NodeInputError: The keys of ``inputs`` are not exactly the node's input datasets.
            NodeOutputError: The function's result does not have the shape ``outputs`` declares.
        """
        if inputs.keys() != self._input_set:
            raise self._input_error(inputs)
        call = self._call
        if call == _ONE_ARG:
            result = self._func(self._getter(inputs))
        elif call == _POSITIONAL:
            result = self._func(*self._getter(inputs))
        elif call == _KEYWORD:
            result = self._func(**{arg: inputs[ds] for arg, ds in self._kw_pairs})
        else:
            result = self._func()

        kind = self._out_kind
        if kind == _ONE_OUTPUT:
            return {self._out_names[0]: result}
        if kind == _LIST_OUTPUT:
            if isinstance(result, (list, tuple)) and len(result) == len(self._out_names):
                # The length is checked above; zip's strict= keyword would slow this call down.
                return dict(zip(self._out_names, result))  # noqa: B905
            raise self._list_output_error(result)
        if kind == _DICT_OUTPUT:
            if isinstance(result, dict) and result.keys() == self._out_keys:
                return {ds: result[key] for key, ds in self._out_pairs}
            raise self._dict_output_error(result)
        return {}

    # -- error messages (off the hot path) ----------------------------------------------------

    def _input_error(self, inputs: Mapping[str, Any]) -> NodeInputError:
        expected = sorted(self._input_set)
        actual = sorted(inputs, key=str)
        return NodeInputError(
            f"Node {self._name} expected {len(expected)} input(s) {expected}, "
            f"but got the following {len(actual)} input(s) instead: {actual}."
        )

    def _list_output_error(self, result: object) -> NodeOutputError:
        expected = list(self._out_names)
        if isinstance(result, (list, tuple)):
            got = f"{type(result).__name__} of {len(result)} value(s)"
        else:
            got = f"{type(result).__name__}"
        return NodeOutputError(
            f"Node {self._name} must return a list or tuple of {len(expected)} value(s) for its "
            f"outputs {expected}, but returned a {got}."
        )

    def _dict_output_error(self, result: object) -> NodeOutputError:
        expected = sorted(self._out_keys)
        if not isinstance(result, dict):
            return NodeOutputError(
                f"Node {self._name} must return a dict with the keys {expected} for its outputs, "
                f"but returned a {type(result).__name__}."
            )
        got = set(result)
        missing = sorted(self._out_keys - got)
        extra = sorted(got - self._out_keys, key=str)
        problems = []
        if missing:
            problems.append(f"missing {missing}")
        if extra:
            problems.append(f"unexpected {extra}")
        return NodeOutputError(
            f"Node {self._name} must return a dict with the keys {expected} for its outputs, "
            f"but the returned dict has {' and '.join(problems)} key(s)."
        )

    # -- public attributes --------------------------------------------------------------------

    @property
    def func(self) -> Callable[..., Any]:
        """The function this node calls."""
        return self._func

    @property
    def name(self) -> str:
        """The given name, or ``func_name([in1,in2]) -> [out1]`` when none was given; with a
        namespace, ``namespace.`` before either."""
        return self._name

    @property
    def namespace(self) -> str | None:
        """The modular pipeline the node belongs to (``outer.inner``), or None."""
        return self._namespace

    @property
    def namespace_prefixes(self) -> list[str]:
        """Every enclosing namespace, outermost first: ``a.b.c`` gives ``a``, ``a.b``, ``a.b.c``."""
        if not self._namespace:
            return []
        parts = self._namespace.split(".")
        return [".".join(parts[: i + 1]) for i in range(len(parts))]

    @property
    def short_name(self) -> str:
        """The given name (without the namespace), or the function name title-cased
        (``split_data`` -> ``Split Data``)."""
        if self._given_name:
            return self._given_name
        return self._readable_name.replace("_", " ").title()

    @property
    def func_name(self) -> str:
        """The name of the function (of the wrapped function for a ``functools.partial``)."""
        return self._readable_name

    @property
    def _func_name(self) -> str:
        """Kedro's spelling of :attr:`func_name`, kept so hooks written for Kedro run unchanged."""
        return self._readable_name

    @property
    def tags(self) -> frozenset[str]:
        """The node's tags."""
        return self._tags

    @property
    def inputs(self) -> tuple[str, ...]:
        """The input dataset names, in declared order (the dict's values for keyword inputs)."""
        return self._inputs

    @property
    def outputs(self) -> tuple[str, ...]:
        """The output dataset names, in declared order (the dict's values for dict outputs)."""
        return self._outputs

    def tag(self, tags: str | Iterable[str]) -> Node:
        """Return a copy of this node with ``tags`` added to its tags."""
        extra = _normalise_tags(tags, f"Node {self._name}")
        if extra <= self._tags:
            return self
        copy = Node.__new__(Node)
        copy.__setstate__(self.__getstate__())
        copy._tags = self._tags | extra
        return copy

    def _renamed(self, rename: Callable[[str], str], namespace: str | None) -> Node:
        """A copy with every dataset name passed through ``rename`` and the given namespace.

        The copy is built afresh, so its derived name shows the new dataset names.
        """
        inputs: NodeIO
        declared = self._declared_inputs
        if isinstance(declared, dict):
            inputs = {arg: rename(ds) for arg, ds in declared.items()}
        elif isinstance(declared, str):
            inputs = rename(declared)
        else:
            inputs = [rename(ds) for ds in declared or ()]
        outputs: NodeIO
        if self._out_kind == _DICT_OUTPUT:
            outputs = {key: rename(ds) for key, ds in self._out_pairs}
        elif self._out_kind == _ONE_OUTPUT:
            outputs = rename(self._out_names[0])
        else:
            outputs = [rename(ds) for ds in self._out_names]
        return Node(
            self._func,
            inputs,
            outputs,
            name=self._given_name,
            tags=self._tags,
            namespace=namespace,
        )

    def _same_definition(self, other: Node) -> bool:
        """Whether ``other`` is the same step (function and calling convention), tags aside."""
        return (
            self._func is other._func
            and self._name == other._name
            and self._call == other._call
            and self._arg_names == other._arg_names
            and self._kw_pairs == other._kw_pairs
            and self._out_kind == other._out_kind
            and self._out_names == other._out_names
            and self._out_pairs == other._out_pairs
        )

    # -- dunders ------------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        return self._name == other._name

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Node):
            return NotImplemented
        return self._name < other._name

    def __hash__(self) -> int:
        return hash(self._name)

    def __str__(self) -> str:
        return self._name

    def __repr__(self) -> str:
        inputs = self._declared_inputs
        if self._out_kind == _DICT_OUTPUT:
            outputs: object = dict(self._out_pairs)
        elif self._out_kind == _ONE_OUTPUT:
            outputs = self._outputs[0]
        else:
            outputs = list(self._outputs) or None
        tags = f", tags={sorted(self._tags)!r}" if self._tags else ""
        return f"Node({self._readable_name}, {inputs!r}, {outputs!r}, name={self._name!r}{tags})"

    # Explicit state keeps pickling independent of the protocol (slots need protocol >= 2
    # otherwise) and documents that a node is its function plus plain data.
    def __getstate__(self) -> dict[str, Any]:
        return {slot: getattr(self, slot) for slot in _SLOTS}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for slot in _SLOTS:
            setattr(self, slot, state[slot])
        self._getter = _make_getter(self._arg_names)


def _no_inputs(inputs: Mapping[str, Any]) -> tuple[()]:
    """Stand-in getter of a node without inputs (run() never calls it)."""
    return ()


def _make_getter(names: tuple[str, ...]) -> Callable[[Mapping[str, Any]], Any]:
    """Return a C-level getter of ``names``: the value for one name, a tuple for several."""
    return operator.itemgetter(*names) if names else _no_inputs


def _check_signature(
    func: Callable[..., Any],
    func_name: str,
    node_name: str,
    in_spec: tuple[str, ...] | dict[str, str],
) -> tuple[str, ...] | None:
    """Check that ``func`` can be called with the node's inputs; return the positional order.

    Returns the dataset names to pass positionally, in order, or None when keyword inputs must
    stay keywords (keyword-only parameters, ``**kwargs``, or no signature to tell).

    Raises:
        PipelineError: The signature cannot take the inputs.
    """
    try:
        # The callable's own signature, not the one functools.wraps advertises: a wrapper
        # taking (*args, **kwargs) must be called the way it is declared.
        signature = inspect.signature(func, follow_wrapped=False)
    except (TypeError, ValueError):
        # Some builtins and C callables have no signature: they are checked when they run.
        return None if isinstance(in_spec, dict) else in_spec
    try:
        if not isinstance(in_spec, dict):
            signature.bind(*in_spec)
            return in_spec
        bound = signature.bind(**in_spec)
    except TypeError as exc:
        shown: object = in_spec if isinstance(in_spec, dict) else list(in_spec)
        raise PipelineError(
            f"Node {node_name}: function {func_name}{signature} cannot take the inputs "
            f"{shown!r}: {exc}."
        ) from None
    if bound.kwargs:
        return None
    return tuple(bound.args)


def node(
    func: Callable[..., Any],
    inputs: NodeIO,
    outputs: NodeIO,
    *,
    name: str | None = None,
    tags: str | Iterable[str] | None = None,
    namespace: str | None = None,
) -> Node:
    """Create a :class:`Node`; see its documentation for the meaning of each argument."""
    return Node(func, inputs, outputs, name=name, tags=tags, namespace=namespace)
