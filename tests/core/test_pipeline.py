"""Tests of hookline.pipeline: order, validation, queries, composition and filters."""

from __future__ import annotations

import json
import pickle
import random
import re
from typing import Any

import pytest

from hookline.errors import PipelineError
from hookline.node import Node, node
from hookline.pipeline import Pipeline, pipeline


def identity(x: Any) -> Any:
    return x


def combine(*values: Any) -> Any:
    return values


def pair(x: Any, y: Any) -> tuple[Any, Any]:
    return x, y


def produce() -> int:
    return 1


def chain_node(i: int) -> Node:
    return node(identity, f"d{i}", f"d{i + 1}", name=f"n{i}")


def names(p: Pipeline | list[Node]) -> list[str]:
    return [n.name for n in p]


def assert_topological(p: Pipeline) -> None:
    """Every node comes after the producers of its inputs."""
    seen: set[str] = set()
    for n in p.nodes:
        for ds in n.inputs:
            parent = p.producer(ds)
            assert parent is None or parent.name in seen, f"{n.name} before {parent}"
        seen.add(n.name)


@pytest.fixture
def spaceflights() -> Pipeline:
    """A small diamond-shaped pipeline, nodes given out of order on purpose."""
    return Pipeline(
        [
            node(pair, ["model", "test"], "metrics", name="evaluate", tags=["ml", "report"]),
            node(pair, ["feats", "params:ratio"], ["train", "test"], name="split", tags="ml"),
            node(identity, "raw", "cleaned", name="clean", tags="prep"),
            node(identity, "cleaned", "feats", name="featurize", tags=["prep", "features"]),
            node(identity, "train", "model", name="train_model", tags="ml"),
            node(identity, "cleaned", "summary", name="stats", tags="report"),
        ]
    )


# -- order ----------------------------------------------------------------------------------------


def test_nodes_are_sorted_topologically(spaceflights: Pipeline) -> None:
    assert_topological(spaceflights)
    assert set(names(spaceflights)) == {
        "evaluate",
        "split",
        "clean",
        "featurize",
        "train_model",
        "stats",
    }
    order = names(spaceflights)
    assert order.index("clean") < order.index("featurize") < order.index("split")
    assert order.index("split") < order.index("train_model") < order.index("evaluate")
    assert order.index("clean") < order.index("stats")


def test_a_valid_given_order_is_kept() -> None:
    given = [
        node(identity, "a", "b", name="first"),
        node(identity, "x", "y", name="independent"),
        node(identity, "b", "c", name="second"),
        node(pair, ["c", "y"], "z", name="third"),
    ]
    assert names(Pipeline(given)) == names(given)


def test_independent_nodes_keep_the_given_order() -> None:
    given = [node(identity, f"in{i}", f"out{i}", name=f"node_{i}") for i in (3, 1, 2, 0)]
    assert names(Pipeline(given)) == ["node_3", "node_1", "node_2", "node_0"]


def test_ancestors_given_later_are_pulled_forward_in_given_order() -> None:
    # "last" needs both "b" (given 3rd) and "a" (given 4th); "solo" is independent.
    given = [
        node(pair, ["from_a", "from_b"], "out", name="last"),
        node(identity, "s", "t", name="solo"),
        node(identity, "raw_b", "from_b", name="b"),
        node(identity, "raw_a", "from_a", name="a"),
    ]
    assert names(Pipeline(given)) == ["b", "a", "last", "solo"]


def test_order_is_deterministic() -> None:
    rng = random.Random(7)
    nodes = [chain_node(i) for i in range(50)]
    rng.shuffle(nodes)
    assert names(Pipeline(nodes)) == names(Pipeline(list(nodes)))


@pytest.mark.parametrize("seed", range(20))
def test_random_dags_sort_validly_and_keep_valid_orders(seed: int) -> None:
    rng = random.Random(seed)
    count = rng.randint(1, 40)
    nodes = []
    for i in range(count):
        sources = rng.sample(range(i), k=min(i, rng.randint(0, 3))) if i else []
        inputs = [f"ds{j}" for j in sources] or [f"free{i}"]
        nodes.append(node(combine, inputs, f"ds{i}", name=f"node{i}"))
    # Built in a valid order: kept as given.
    assert names(Pipeline(nodes)) == names(nodes)
    shuffled = nodes[:]
    rng.shuffle(shuffled)
    result = Pipeline(shuffled)
    assert_topological(result)
    assert sorted(names(result)) == sorted(names(nodes))


def test_ten_thousand_node_chain_given_backwards() -> None:
    count = 10_000
    nodes = [chain_node(i) for i in range(count)]
    p = Pipeline(reversed(nodes))
    assert names(p) == [f"n{i}" for i in range(count)]
    assert p.inputs() == {"d0"}
    assert p.outputs() == {f"d{count}"}
    # Filters on it walk the whole chain too (deep, so nothing may recurse per node).
    assert names(p.to_nodes("n9998")) == [f"n{i}" for i in range(9999)]
    assert len(p.from_inputs("d1")) == count - 1


def test_wide_fan_in_and_fan_out() -> None:
    leaves = [node(identity, f"raw{i}", f"part{i}", name=f"leaf{i}") for i in range(2000)]
    join = node(combine, [f"part{i}" for i in range(2000)], "all", name="join")
    users = [node(identity, "all", f"use{i}", name=f"user{i}") for i in range(2000)]
    p = Pipeline([*users, join, *leaves])
    assert names(p) == [*names(leaves), "join", *names(users)]
    assert len(p.parents("join")) == 2000
    assert len(p.children("join")) == 2000


# -- validation -----------------------------------------------------------------------------------


def test_cycle_names_its_nodes_and_datasets() -> None:
    with pytest.raises(PipelineError) as caught:
        Pipeline(
            [
                node(identity, "raw", "a", name="outside"),
                node(pair, ["a", "c"], "b", name="one"),
                node(identity, "b", "c", name="two"),
            ]
        )
    message = str(caught.value)
    assert "cycle" in message
    assert "'one'" in message
    assert "'two'" in message
    assert "outside" not in message
    assert "'b'" in message
    assert "'c'" in message


def test_three_node_cycle_in_data_order() -> None:
    with pytest.raises(PipelineError) as caught:
        Pipeline(
            [
                node(identity, "x", "y", name="p"),
                node(identity, "y", "z", name="q"),
                node(identity, "z", "x", name="r"),
            ]
        )
    message = str(caught.value)
    # Data goes p -> q -> r -> p; the message may start anywhere on the loop.
    loop = ["'p'", "'q'", "'r'"]
    rotations = [" -> ".join([*loop[i:], *loop[:i], loop[i]]) for i in range(3)]
    assert any(r in message for r in rotations), message


def test_two_producers_of_one_dataset() -> None:
    with pytest.raises(PipelineError) as caught:
        Pipeline(
            [
                node(identity, "a", "shared", name="writer_one"),
                node(identity, "b", "other", name="unrelated"),
                node(identity, "c", "shared", name="writer_two"),
            ]
        )
    message = str(caught.value)
    assert "'shared'" in message
    assert "'writer_one'" in message
    assert "'writer_two'" in message
    assert "unrelated" not in message


def test_two_different_nodes_with_one_name() -> None:
    with pytest.raises(PipelineError, match="'twin'"):
        Pipeline([node(identity, "a", "b", name="twin"), node(identity, "c", "d", name="twin")])


def test_the_same_node_twice_is_kept_once() -> None:
    n = node(identity, "a", "b", name="n")
    assert names(Pipeline([n, n])) == ["n"]
    assert names(Pipeline([Pipeline([n]), Pipeline([n])])) == ["n"]


def test_the_same_node_with_other_tags_merges_the_tags() -> None:
    n = node(identity, "a", "b", name="n", tags="base")
    merged = Pipeline([n]) + Pipeline([n]).tag("extra")
    assert len(merged) == 1
    assert merged.nodes[0].tags == frozenset({"base", "extra"})


@pytest.mark.parametrize("bad", ["not a node", 3, None])
def test_items_must_be_nodes_or_pipelines(bad: Any) -> None:
    with pytest.raises(PipelineError, match="nodes and pipelines"):
        Pipeline([node(identity, "a", "b"), bad])


def test_nodes_argument_must_be_a_collection() -> None:
    with pytest.raises(PipelineError):
        Pipeline(node(identity, "a", "b"))  # type: ignore[arg-type]
    with pytest.raises(PipelineError):
        Pipeline("abc")  # type: ignore[arg-type]


def test_pipeline_pickles(spaceflights: Pipeline) -> None:
    copy = pickle.loads(pickle.dumps(spaceflights))
    assert names(copy) == names(spaceflights)
    assert copy.inputs() == spaceflights.inputs()
    assert names(copy.parents("evaluate")) == names(spaceflights.parents("evaluate"))


def test_empty_pipeline() -> None:
    p = Pipeline([])
    assert len(p) == 0
    assert p.nodes == []
    assert p.inputs() == set()
    assert p.to_dict() == {"nodes": [], "inputs": [], "outputs": []}


# -- queries --------------------------------------------------------------------------------------


def test_inputs_outputs_and_datasets(spaceflights: Pipeline) -> None:
    assert spaceflights.inputs() == {"raw", "params:ratio"}
    assert spaceflights.outputs() == {"metrics", "summary"}
    assert spaceflights.all_inputs() == {
        "raw",
        "params:ratio",
        "cleaned",
        "feats",
        "train",
        "model",
        "test",
    }
    assert spaceflights.all_outputs() == {
        "cleaned",
        "feats",
        "train",
        "test",
        "model",
        "metrics",
        "summary",
    }
    assert spaceflights.datasets() == spaceflights.all_inputs() | spaceflights.all_outputs()


def test_returned_sets_and_lists_are_copies(spaceflights: Pipeline) -> None:
    spaceflights.inputs().add("junk")
    spaceflights.nodes.clear()
    spaceflights.consumers("cleaned").clear()
    assert "junk" not in spaceflights.inputs()
    assert len(spaceflights.nodes) == 6
    assert len(spaceflights.consumers("cleaned")) == 2


def test_producer_and_consumers(spaceflights: Pipeline) -> None:
    producer = spaceflights.producer("feats")
    assert producer is not None
    assert producer.name == "featurize"
    assert spaceflights.producer("raw") is None
    assert spaceflights.producer("nowhere") is None
    consumers = names(spaceflights.consumers("cleaned"))
    assert sorted(consumers) == ["featurize", "stats"]
    assert consumers == [n for n in names(spaceflights) if n in consumers]
    assert spaceflights.consumers("metrics") == []


def test_a_node_reading_a_dataset_twice_is_one_consumer() -> None:
    p = Pipeline([node(identity, "a", "b", name="w"), node(pair, ["b", "b"], "c", name="r")])
    assert names(p.consumers("b")) == ["r"]
    assert names(p.parents("r")) == ["w"]
    assert names(p.children("w")) == ["r"]


def test_parents_and_children(spaceflights: Pipeline) -> None:
    assert names(spaceflights.parents("evaluate")) == ["split", "train_model"]
    assert spaceflights.parents("clean") == []
    assert sorted(names(spaceflights.children("clean"))) == ["featurize", "stats"]
    split = spaceflights.producer("train")
    assert split is not None
    assert names(spaceflights.children(split)) == ["train_model", "evaluate"]
    assert spaceflights.children("evaluate") == []


def test_parents_of_unknown_node_suggests_a_name(spaceflights: Pipeline) -> None:
    with pytest.raises(PipelineError, match=r"'evalute'.*Did you mean 'evaluate'"):
        spaceflights.parents("evalute")


# -- composition ----------------------------------------------------------------------------------


def test_add_and_sum() -> None:
    first = Pipeline([node(identity, "a", "b", name="one")])
    second = Pipeline([node(identity, "b", "c", name="two")])
    third = Pipeline([node(identity, "c", "d", name="three")])
    assert names(second + first) == ["one", "two"]
    total = sum([third, second, first])
    assert isinstance(total, Pipeline)
    assert names(total) == ["one", "two", "three"]
    assert names(0 + first) == ["one"]
    assert names(first | second) == ["one", "two"]
    with pytest.raises(TypeError):
        first + node(identity, "x", "y")  # type: ignore[operator]
    with pytest.raises(TypeError):
        1 + first


def test_subtract_and_intersect(spaceflights: Pipeline) -> None:
    ml = spaceflights.only_nodes_with_tags("ml")
    rest = spaceflights - ml
    assert set(names(rest)) == {"clean", "featurize", "stats"}
    assert names(spaceflights & ml) == names(ml)
    assert len(rest) + len(ml) == len(spaceflights)


def test_a_pipeline_inside_a_pipeline() -> None:
    inner = Pipeline([node(identity, "a", "b", name="inner")])
    outer = Pipeline([node(identity, "b", "c", name="outer"), inner])
    assert names(outer) == ["inner", "outer"]


def test_len_iter_contains(spaceflights: Pipeline) -> None:
    assert len(spaceflights) == 6
    assert [n.name for n in iter(spaceflights)] == names(spaceflights.nodes)
    assert "split" in spaceflights
    assert "spilt" not in spaceflights
    split = spaceflights.nodes[names(spaceflights).index("split")]
    assert split in spaceflights
    assert node(identity, "q", "r", name="elsewhere") not in spaceflights
    assert 3 not in spaceflights


def test_repr_lists_node_names() -> None:
    small = Pipeline([node(identity, "a", "b", name="x")])
    assert repr(small) == "Pipeline(['x'])"
    big = Pipeline([chain_node(i) for i in range(25)])
    text = repr(big)
    assert "'n0'" in text
    assert "'n9'" in text
    assert "'n10'" not in text
    assert "+15 more" in text


def test_tags_argument_and_tag_method(spaceflights: Pipeline) -> None:
    tagged = Pipeline(spaceflights, tags="all")
    assert all("all" in n.tags for n in tagged)
    assert not any("all" in n.tags for n in spaceflights)
    again = spaceflights.tag(["x", "y"])
    assert all({"x", "y"} <= n.tags for n in again)
    assert names(again) == names(spaceflights)


def test_pipeline_factory(spaceflights: Pipeline) -> None:
    p = pipeline([spaceflights], tags=["t"])
    assert isinstance(p, Pipeline)
    assert names(p) == names(spaceflights)
    assert all("t" in n.tags for n in p)


def test_to_dict_is_json_ready_and_sorted(spaceflights: Pipeline) -> None:
    data = spaceflights.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["inputs"] == sorted(spaceflights.inputs())
    assert data["outputs"] == sorted(spaceflights.outputs())
    assert [entry["name"] for entry in data["nodes"]] == names(spaceflights)
    by_name = {entry["name"]: entry for entry in data["nodes"]}
    assert by_name["split"] == {
        "name": "split",
        "func": f"{pair.__module__}.{pair.__qualname__}",
        "inputs": ["feats", "params:ratio"],
        "outputs": ["train", "test"],
        "tags": ["ml"],
    }
    assert by_name["featurize"]["tags"] == ["features", "prep"]


# -- filters --------------------------------------------------------------------------------------


def test_only_nodes_with_tags_takes_any_tag(spaceflights: Pipeline) -> None:
    assert set(names(spaceflights.only_nodes_with_tags("report"))) == {"evaluate", "stats"}
    either = spaceflights.only_nodes_with_tags("features", "report")
    assert set(names(either)) == {"featurize", "evaluate", "stats"}
    assert_topological(either)


def test_only_nodes(spaceflights: Pipeline) -> None:
    assert names(spaceflights.only_nodes("stats", "clean")) == ["clean", "stats"]


def test_from_nodes_adds_descendants(spaceflights: Pipeline) -> None:
    result = spaceflights.from_nodes("featurize")
    assert set(names(result)) == {"featurize", "split", "train_model", "evaluate"}
    assert_topological(result)


def test_to_nodes_adds_ancestors(spaceflights: Pipeline) -> None:
    result = spaceflights.to_nodes("train_model")
    assert names(result) == ["clean", "featurize", "split", "train_model"]


def test_from_inputs_takes_readers_and_their_descendants(spaceflights: Pipeline) -> None:
    assert set(names(spaceflights.from_inputs("test"))) == {"evaluate"}
    assert set(names(spaceflights.from_inputs("cleaned"))) == {
        "featurize",
        "split",
        "train_model",
        "evaluate",
        "stats",
    }
    assert set(names(spaceflights.from_inputs("params:ratio", "raw"))) == set(names(spaceflights))


def test_to_outputs_takes_producers_and_their_ancestors(spaceflights: Pipeline) -> None:
    assert names(spaceflights.to_outputs("summary")) == ["clean", "stats"]
    assert set(names(spaceflights.to_outputs("model", "summary"))) == {
        "clean",
        "featurize",
        "split",
        "train_model",
        "stats",
    }


def test_filter_intersects_the_given_filters(spaceflights: Pipeline) -> None:
    result = spaceflights.filter(tags=["ml"], to_nodes=["train_model"])
    assert names(result) == ["split", "train_model"]
    result = spaceflights.filter(from_nodes=["featurize"], to_outputs=["model"], tags="ml")
    assert names(result) == ["split", "train_model"]
    result = spaceflights.filter(node_names=["clean", "stats"], from_inputs=["cleaned"])
    assert names(result) == ["stats"]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"node_names": ["clean", "split", "stats"]}, {"from_inputs": ["cleaned"]}),
        ({"tags": ["prep", "report"]}, {"to_nodes": ["split"]}),
        ({"from_nodes": ["featurize"]}, {"to_outputs": ["model", "summary"]}),
    ],
)
def test_filter_is_the_intersection_of_each_filter_on_the_whole_pipeline(
    spaceflights: Pipeline, first: dict[str, list[str]], second: dict[str, list[str]]
) -> None:
    # Chaining would apply the second filter to what the first left (Kedro avoids that).
    combined = spaceflights.filter(**first, **second)
    expected = set(names(spaceflights.filter(**first))) & set(names(spaceflights.filter(**second)))
    assert set(names(combined)) == expected
    assert names(combined) == [n for n in names(spaceflights) if n in expected]


def test_filter_without_filters_keeps_everything(spaceflights: Pipeline) -> None:
    assert names(spaceflights.filter()) == names(spaceflights)
    assert names(spaceflights.filter(tags=[], node_names=None)) == names(spaceflights)


def test_filter_results_are_pipelines_that_keep_working(spaceflights: Pipeline) -> None:
    result = spaceflights.to_outputs("model")
    assert result.inputs() == {"raw", "params:ratio"}
    assert result.outputs() == {"model", "test"}
    assert names(result.from_nodes("split")) == ["split", "train_model"]
    both = result + spaceflights
    assert set(names(both)) == set(names(spaceflights))
    assert_topological(both)


def test_unknown_node_name_suggests_the_closest(spaceflights: Pipeline) -> None:
    with pytest.raises(
        PipelineError, match=re.escape("no node named 'feturize'. Did you mean 'featurize'?")
    ):
        spaceflights.only_nodes("feturize")
    with pytest.raises(PipelineError, match="'tarin_model'"):
        spaceflights.from_nodes("tarin_model")
    with pytest.raises(PipelineError, match="'nothing_like_it'"):
        spaceflights.to_nodes("clean", "nothing_like_it")


def test_several_unknown_names_are_all_reported(spaceflights: Pipeline) -> None:
    with pytest.raises(PipelineError) as caught:
        spaceflights.filter(node_names=["claen", "zzz"])
    message = str(caught.value)
    assert "'claen' (did you mean 'clean'?)" in message
    assert "'zzz'" in message


def test_unknown_tag_suggests_the_closest(spaceflights: Pipeline) -> None:
    with pytest.raises(
        PipelineError, match=re.escape("no node tagged 'reprot'. Did you mean 'report'?")
    ):
        spaceflights.only_nodes_with_tags("reprot")
    with pytest.raises(PipelineError, match="'missing'"):
        spaceflights.filter(tags=["ml", "missing"])


def test_unknown_dataset_suggests_the_closest(spaceflights: Pipeline) -> None:
    with pytest.raises(
        PipelineError, match=re.escape("no dataset 'cleand'. Did you mean 'cleaned'?")
    ):
        spaceflights.from_inputs("cleand")
    with pytest.raises(PipelineError, match="'modle'"):
        spaceflights.to_outputs("modle")


def test_a_filter_selecting_nothing_is_an_error(spaceflights: Pipeline) -> None:
    # "metrics" exists but nobody reads it; "raw" exists but nobody writes it.
    with pytest.raises(PipelineError, match=r"from_inputs\('metrics'\) selects no node"):
        spaceflights.from_inputs("metrics")
    with pytest.raises(PipelineError, match=r"to_outputs=\['raw'\] selects no node"):
        spaceflights.filter(tags=["ml"], to_outputs=["raw"])
    with pytest.raises(PipelineError, match="selects no node"):
        spaceflights.only_nodes()


def test_filters_with_nothing_in_common_are_an_error(spaceflights: Pipeline) -> None:
    with pytest.raises(PipelineError) as caught:
        spaceflights.filter(tags=["report"], to_nodes=["split"])
    message = str(caught.value)
    assert "tags=['report']" in message
    assert "to_nodes=['split']" in message
    assert "no node in common" in message


def test_a_single_string_counts_as_one_name(spaceflights: Pipeline) -> None:
    assert names(spaceflights.filter(node_names="clean")) == ["clean"]


def test_filters_on_a_large_pipeline_stay_linear() -> None:
    # A chain plus a side branch at every node: filters must walk it without recursion.
    nodes: list[Node] = []
    for i in range(3000):
        nodes.append(chain_node(i))
        nodes.append(node(identity, f"d{i}", f"side{i}", name=f"side{i}", tags="side"))
    p = Pipeline(nodes)
    # n2990..n2999 and the side nodes reading what they write (side2991..side2999).
    assert len(p.from_nodes("n2990")) == 10 + 9
    # side2999 reads d2999, written by n2998, which needs every chain node before it.
    assert len(p.to_outputs("side2999")) == 2999 + 1
    assert len(p.filter(tags=["side"], from_inputs=["d2995"])) == 5


def test_produce_only_node_is_a_free_start() -> None:
    p = Pipeline([node(identity, "start", "end", name="use"), node(produce, None, "start")])
    assert names(p) == ["produce(None) -> [start]", "use"]
    assert p.inputs() == set()
