"""Tests of hookline.node: calling conventions, names, validation, errors and pickling."""

from __future__ import annotations

import functools
import inspect
import pickle
import re
from typing import Any

import pytest

from hookline.errors import NodeInputError, NodeOutputError, PipelineError
from hookline.node import Node, node

# Module-level functions, so that nodes made from them can be pickled.


def identity(x: Any) -> Any:
    return x


def add(a: int, b: int) -> int:
    return a + b


def subtract(a: int, b: int) -> int:
    return a - b


def split_data(data: list[int], ratio: float) -> tuple[list[int], list[int]]:
    cut = int(len(data) * ratio)
    return data[:cut], data[cut:]


def constant() -> int:
    return 42


def keyword_only(*, left: int, right: int) -> int:
    return left * 10 + right


def var_keyword(**kwargs: int) -> dict[str, int]:
    return dict(kwargs)


def as_dict(a: int, b: int) -> dict[str, int]:
    return {"sum": a + b, "diff": a - b}


def with_default(a: int, b: int = 5) -> int:
    return a + b


def returns(value: Any) -> Any:
    return value


class Scale:
    """A callable object (no __name__ of its own)."""

    def __init__(self, factor: int) -> None:
        self.factor = factor

    def __call__(self, x: int) -> int:
        return x * self.factor


# -- calling conventions ------------------------------------------------------------------------


def test_single_string_input_and_output() -> None:
    n = node(identity, "a", "b")
    assert n.inputs == ("a",)
    assert n.outputs == ("b",)
    assert n.run({"a": [1, 2]}) == {"b": [1, 2]}


def test_list_inputs_are_passed_positionally_in_declared_order() -> None:
    n = node(subtract, ["x", "y"], "z")
    assert n.inputs == ("x", "y")
    assert n.run({"x": 10, "y": 3}) == {"z": 7}
    # Swapping the declaration swaps the arguments.
    assert node(subtract, ["y", "x"], "z").run({"x": 10, "y": 3}) == {"z": -7}


def test_tuple_inputs_behave_like_a_list() -> None:
    assert node(subtract, ("x", "y"), "z").run({"x": 5, "y": 1}) == {"z": 4}


def test_single_element_list_input_is_one_positional_argument() -> None:
    assert node(identity, ["a"], "b").run({"a": 3}) == {"b": 3}


def test_same_dataset_twice_as_input() -> None:
    n = node(add, ["a", "a"], "b")
    assert n.inputs == ("a", "a")
    assert n.run({"a": 4}) == {"b": 8}


def test_dict_inputs_map_argument_names_to_datasets() -> None:
    # Declared in the opposite order of the parameters: the mapping, not the order, decides.
    n = node(subtract, {"b": "small", "a": "big"}, "out")
    assert n.inputs == ("small", "big")
    assert n.run({"big": 9, "small": 2}) == {"out": 7}


def test_dict_inputs_to_keyword_only_parameters() -> None:
    n = node(keyword_only, {"right": "r", "left": "l"}, "out")
    assert n.run({"l": 4, "r": 2}) == {"out": 42}


def test_dict_inputs_to_var_keyword_function() -> None:
    n = node(var_keyword, {"p": "one", "q": "two"}, "out")
    assert n.run({"one": 1, "two": 2}) == {"out": {"p": 1, "q": 2}}


def test_dict_inputs_skipping_a_defaulted_parameter() -> None:
    n = node(with_default, {"a": "x"}, "out")
    assert n.run({"x": 1}) == {"out": 6}


def test_no_inputs() -> None:
    inputs: Any
    for inputs in (None, [], {}):
        n = node(constant, inputs, "answer")
        assert n.inputs == ()
        assert n.run({}) == {"answer": 42}


def test_no_outputs_ignores_the_return_value() -> None:
    outputs: Any
    for outputs in (None, [], {}):
        n = node(identity, "a", outputs)
        assert n.outputs == ()
        assert n.run({"a": 1}) == {}


def test_list_outputs_from_tuple_or_list_result() -> None:
    n = node(split_data, ["data", "ratio"], ["train", "test"])
    assert n.run({"data": [1, 2, 3, 4], "ratio": 0.75}) == {"train": [1, 2, 3], "test": [4]}
    m = node(returns, "v", ["first", "second"])
    assert m.run({"v": ["p", "q"]}) == {"first": "p", "second": "q"}


def test_single_element_list_output_unpacks_a_one_value_sequence() -> None:
    n = node(returns, "v", ["only"])
    assert n.run({"v": (7,)}) == {"only": 7}


def test_dict_outputs_map_returned_keys_to_datasets() -> None:
    n = node(as_dict, ["a", "b"], {"diff": "difference", "sum": "total"})
    assert n.outputs == ("difference", "total")
    assert n.run({"a": 5, "b": 3}) == {"difference": 2, "total": 8}


def test_run_returns_a_new_dict_each_time() -> None:
    n = node(identity, "a", "b")
    first = n.run({"a": 1})
    first["b"] = 99
    assert n.run({"a": 1}) == {"b": 1}


def test_partial_and_callable_object() -> None:
    n = node(functools.partial(add, b=100), "a", "out")
    assert n.run({"a": 1}) == {"out": 101}
    assert n.func_name == "add"
    s = node(Scale(3), "x", "y")
    assert s.run({"x": 2}) == {"y": 6}
    assert s.func_name == "Scale"


def test_callable_without_signature_is_not_checked_at_build_time() -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - max's own error, not ours
        inspect.signature(max)
    n = node(max, ["a", "b"], "c")
    assert n.run({"a": 3, "b": 8}) == {"c": 8}


def test_run_does_no_introspection(monkeypatch: pytest.MonkeyPatch) -> None:
    nodes = [
        node(subtract, {"b": "y", "a": "x"}, "z"),
        node(keyword_only, {"left": "x", "right": "y"}, "z"),
        node(split_data, ["x", "y"], ["p", "q"]),
    ]

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("inspect.signature called on the hot path")

    monkeypatch.setattr(inspect, "signature", forbidden)
    assert nodes[0].run({"x": 5, "y": 2}) == {"z": 3}
    assert nodes[1].run({"x": 5, "y": 2}) == {"z": 52}
    assert nodes[2].run({"x": [1, 2], "y": 0.5}) == {"p": [1], "q": [2]}


# -- names ----------------------------------------------------------------------------------------


def test_derived_name_shows_function_inputs_and_outputs() -> None:
    n = node(split_data, ["data", "params:ratio"], ["train", "test"])
    assert n.name == "split_data([data,params:ratio]) -> [train,test]"
    assert node(constant, None, "c").name == "constant(None) -> [c]"
    assert node(identity, "a", None).name == "identity([a]) -> None"
    assert node(subtract, {"a": "x", "b": "y"}, {"k": "z"}).name == "subtract([x,y]) -> [z]"
    assert str(n) == n.name


def test_given_name_is_used() -> None:
    n = node(split_data, ["data", "ratio"], ["train", "test"], name="split")
    assert n.name == "split"
    assert n.short_name == "split"


def test_short_name_is_title_cased_function_name() -> None:
    n = node(split_data, ["data", "ratio"], ["train", "test"])
    assert n.short_name == "Split Data"


def test_func_name_and_kedro_alias() -> None:
    n = node(split_data, ["data", "ratio"], ["train", "test"], name="whatever")
    assert n.func_name == "split_data"
    assert n._func_name == "split_data"
    assert n.func is split_data


def test_lambda_name() -> None:
    n = node(lambda x: x, "a", "b")
    assert n.func_name == "<lambda>"
    assert n.name == "<lambda>([a]) -> [b]"


# -- tags -----------------------------------------------------------------------------------------


def test_tags_from_string_or_iterable() -> None:
    assert node(identity, "a", "b", tags="prep").tags == frozenset({"prep"})
    assert node(identity, "a", "b", tags=["x", "y", "x"]).tags == frozenset({"x", "y"})
    assert node(identity, "a", "b").tags == frozenset()


def test_tag_returns_a_copy_with_more_tags() -> None:
    original = node(identity, "a", "b", name="n", tags="one")
    tagged = original.tag(["two", "three"])
    assert tagged.tags == frozenset({"one", "two", "three"})
    assert original.tags == frozenset({"one"})
    assert tagged is not original
    assert tagged == original
    assert tagged.run({"a": 5}) == {"b": 5}
    assert original.tag("one") is original


@pytest.mark.parametrize("bad", [[""], [1], 5, [None]])
def test_bad_tags_are_refused(bad: Any) -> None:
    with pytest.raises(PipelineError, match="tags"):
        node(identity, "a", "b", tags=bad)


# -- identity -------------------------------------------------------------------------------------


def test_nodes_compare_and_hash_by_name() -> None:
    a = node(identity, "a", "b", name="same")
    b = node(add, ["x", "y"], "z", name="same")
    c = node(identity, "a", "b", name="other")
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2
    assert a != "same"
    assert sorted([a, c]) == [c, a]


def test_repr_shows_function_datasets_and_name() -> None:
    text = repr(node(subtract, {"a": "x", "b": "y"}, ["z"], name="minus", tags="t"))
    assert "subtract" in text
    assert "'a': 'x'" in text
    assert "['z']" in text
    assert "'minus'" in text
    assert "['t']" in text


def test_node_factory_builds_a_node() -> None:
    n = node(add, ["a", "b"], "c", name="adder", tags=["math"])
    assert isinstance(n, Node)
    direct = Node(add, ["a", "b"], "c", name="adder", tags=["math"])
    assert (n.name, n.inputs, n.outputs, n.tags) == (
        direct.name,
        direct.inputs,
        direct.outputs,
        direct.tags,
    )


# -- pickling -------------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_node_of_module_level_function_pickles(protocol: int) -> None:
    nodes = [
        node(split_data, ["data", "ratio"], ["train", "test"], tags="ml"),
        node(subtract, {"b": "y", "a": "x"}, "out"),
        node(keyword_only, {"left": "x", "right": "y"}, "out", name="kw"),
        node(constant, None, "c"),
        node(as_dict, ["x", "y"], {"sum": "s", "diff": "d"}),
    ]
    inputs: list[dict[str, Any]] = [
        {"data": [1, 2, 3, 4], "ratio": 0.5},
        {"x": 9, "y": 4},
        {"x": 1, "y": 2},
        {},
        {"x": 3, "y": 1},
    ]
    for n, given in zip(nodes, inputs, strict=True):
        copy = pickle.loads(pickle.dumps(n, protocol=protocol))
        assert copy.name == n.name
        assert copy.tags == n.tags
        assert copy.inputs == n.inputs
        assert copy.outputs == n.outputs
        assert copy.func is n.func
        assert copy.run(given) == n.run(given)


# -- run-time errors ------------------------------------------------------------------------------


def test_missing_input_message_is_exactly_the_seed_wording() -> None:
    n = node(add, ["second_input", "first_input"], "out", name="my_node")
    with pytest.raises(NodeInputError) as caught:
        n.run({"first_input": 1})
    assert str(caught.value) == (
        "Node my_node expected 2 input(s) ['first_input', 'second_input'], "
        "but got the following 1 input(s) instead: ['first_input']."
    )


def test_extra_input_is_an_error_too() -> None:
    n = node(identity, "a", "b", name="one")
    with pytest.raises(NodeInputError) as caught:
        n.run({"a": 1, "zzz": 2, "b2": 3})
    assert str(caught.value) == (
        "Node one expected 1 input(s) ['a'], "
        "but got the following 3 input(s) instead: ['a', 'b2', 'zzz']."
    )


def test_input_error_uses_the_derived_name() -> None:
    n = node(identity, "a", "b")
    with pytest.raises(NodeInputError, match=re.escape(f"Node {n.name} expected 1 input(s)")):
        n.run({})


@pytest.mark.parametrize(
    ("result", "detail"),
    [(5, "returned a int"), ([1], "list of 1 value(s)"), ((1, 2, 3), "tuple of 3 value(s)")],
)
def test_list_output_shape_mismatch(result: Any, detail: str) -> None:
    n = node(returns, "v", ["a", "b"], name="pair")
    with pytest.raises(NodeOutputError) as caught:
        n.run({"v": result})
    message = str(caught.value)
    assert message.startswith("Node pair ")
    assert "['a', 'b']" in message
    assert detail in message


def test_dict_output_not_a_dict() -> None:
    n = node(returns, "v", {"k": "out"}, name="d")
    with pytest.raises(NodeOutputError, match=r"Node d must return a dict .*\['k'\].*list"):
        n.run({"v": [1]})


def test_dict_output_with_wrong_keys() -> None:
    n = node(returns, "v", {"k": "out", "m": "other"}, name="d")
    with pytest.raises(NodeOutputError) as caught:
        n.run({"v": {"k": 1, "extra": 2}})
    message = str(caught.value)
    assert "Node d" in message
    assert "missing ['m']" in message
    assert "unexpected ['extra']" in message


def test_dict_output_with_extra_key_only() -> None:
    n = node(returns, "v", {"k": "out"}, name="d")
    with pytest.raises(NodeOutputError, match=r"unexpected \['x'\]"):
        n.run({"v": {"k": 1, "x": 2}})


def test_errors_from_the_function_propagate_unchanged() -> None:
    n = node(add, ["a", "b"], "c")
    with pytest.raises(TypeError):
        n.run({"a": 1, "b": "text"})


# -- build-time errors ----------------------------------------------------------------------------


def test_signature_mismatch_names_node_signature_and_inputs() -> None:
    with pytest.raises(PipelineError) as caught:
        node(add, ["only_one"], "c", name="adder")
    message = str(caught.value)
    assert "Node adder" in message
    assert f"add{inspect.signature(add)}" in message
    assert "['only_one']" in message


def test_signature_mismatch_too_many_inputs_with_derived_name() -> None:
    with pytest.raises(PipelineError, match=r"Node identity\(\[a,b\]\) -> \[c\].*identity"):
        node(identity, ["a", "b"], "c")


def test_signature_mismatch_unknown_keyword() -> None:
    with pytest.raises(PipelineError, match=r"'nope'"):
        node(add, {"a": "x", "nope": "y"}, "c")


def test_signature_mismatch_no_inputs() -> None:
    with pytest.raises(PipelineError, match="identity"):
        node(identity, None, "c")


def test_not_callable() -> None:
    with pytest.raises(PipelineError, match="function"):
        node("identity", "a", "b")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [5, ["a", 3], {"x": 1}, {1: "a"}, [""], ""])
def test_bad_inputs(bad: Any) -> None:
    with pytest.raises(PipelineError, match="inputs"):
        node(identity, bad, "out")


@pytest.mark.parametrize("bad", [5, ["a", None], {"x": 2}])
def test_bad_outputs(bad: Any) -> None:
    with pytest.raises(PipelineError, match="outputs"):
        node(identity, "a", bad)


@pytest.mark.parametrize("bad", ["", 3])
def test_bad_name(bad: Any) -> None:
    with pytest.raises(PipelineError, match="name"):
        node(identity, "a", "b", name=bad)


def test_duplicate_outputs() -> None:
    with pytest.raises(PipelineError, match=r"Node dup .*\['x'\]"):
        node(returns, "v", ["x", "y", "x"], name="dup")
    with pytest.raises(PipelineError, match=r"\['x'\]"):
        node(returns, "v", {"k": "x", "m": "x"}, name="dup")


def test_output_that_is_also_an_input() -> None:
    with pytest.raises(PipelineError, match=r"Node loop .*\['a'\]"):
        node(identity, "a", "a", name="loop")
