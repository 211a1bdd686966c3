"""Modular pipelines: ``pipeline(pipe, namespace=..., inputs=, outputs=, parameters=)`` with
Kedro's semantics, run by every runner on real files, and ``hookline run --namespaces``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hookline import DataCatalog, Pipeline, node, pipeline
from hookline.datasets import PickleDataset
from hookline.errors import PipelineError
from hookline.runner import AbstractRunner
from tests.support import ProjectFactory

from .conftest import hookline


def identity(a: object) -> object:
    return a


def biconcat(a: str, b: str) -> str:
    return a + b


def split(rows: list[int], ratio: float) -> tuple[list[int], list[int]]:
    cut = int(len(rows) * ratio)
    return rows[:cut], rows[cut:]


def fit(train: list[int], options: dict[str, int]) -> int:
    return sum(train) * options["scale"]


def evaluate(model: int, test: list[int]) -> dict[str, int]:
    return {"score": model - sum(test)}


def modelling() -> Pipeline:
    """One pipeline reused under two namespaces, as the spaceflights tutorial does."""
    return pipeline(
        [
            node(split, ["table", "params:ratio"], ["train", "test"], name="split"),
            node(fit, ["train", "params:options"], "model", name="fit"),
            node(evaluate, ["model", "test"], "metrics", name="evaluate"),
        ]
    )


def two_models() -> Pipeline:
    return pipeline(
        [
            pipeline(modelling(), namespace="active", inputs="table"),
            pipeline(modelling(), namespace="candidate", inputs="table"),
        ]
    )


def table(p: Pipeline) -> list[tuple[str, tuple[str, ...], tuple[str, ...], str | None]]:
    return [(n.name, n.inputs, n.outputs, n.namespace) for n in p.nodes]


# -- names ------------------------------------------------------------------------------------


def test_a_namespace_prefixes_node_names_datasets_and_parameters() -> None:
    p = pipeline(modelling(), namespace="ns")
    assert table(p) == [
        ("ns.split", ("ns.table", "params:ns.ratio"), ("ns.train", "ns.test"), "ns"),
        ("ns.fit", ("ns.train", "params:ns.options"), ("ns.model",), "ns"),
        ("ns.evaluate", ("ns.model", "ns.test"), ("ns.metrics",), "ns"),
    ]
    assert [n.short_name for n in p.nodes] == ["split", "fit", "evaluate"]


def test_every_input_and_output_shape_is_renamed() -> None:
    raw = Pipeline(
        [
            node(identity, "A", "B", name="n1"),
            node(split, ["C", "D"], ["E", "F"], name="n2"),
            node(biconcat, {"a": "H", "b": "J"}, {"K": "L"}, name="n3"),
        ]
    )
    mapped = pipeline(
        raw, inputs={"A": "A_new", "D": "D_new", "H": "H_new"}, outputs={"B": "B_new", "L": "L_new"}
    )
    by_name = {n.name: (n.inputs, n.outputs) for n in mapped.nodes}
    assert by_name == {
        "n1": (("A_new",), ("B_new",)),
        "n2": (("C", "D_new"), ("E", "F")),
        "n3": (("H_new", "J"), ("L_new",)),
    }


@pytest.mark.parametrize(
    ("inputs", "outputs"),
    [("A", "D"), (["A"], ["D"]), ({"A"}, {"D"}), ({"A": "A"}, {"D": "D"})],
)
def test_listed_free_inputs_and_outputs_keep_their_names(inputs: object, outputs: object) -> None:
    raw = Pipeline(
        [
            node(identity, "A", "B", name="n1"),
            node(identity, "B", "C", name="n2"),
            node(identity, "C", "D", name="n3"),
        ]
    )
    mapped = pipeline(raw, inputs=inputs, outputs=outputs, namespace="P")  # type: ignore[arg-type]
    assert [(n.inputs, n.outputs) for n in mapped.nodes] == [
        (("A",), ("P.B",)),
        (("P.B",), ("P.C",)),
        (("P.C",), ("D",)),
    ]
    assert mapped.inputs() == {"A"}
    assert mapped.outputs() == {"D"}


def test_an_exposed_intermediate_output_is_renamed_where_it_is_read_too() -> None:
    raw = Pipeline([node(identity, "A", "B", name="n1"), node(identity, "B", "C", name="n2")])
    mapped = pipeline(raw, outputs={"B": "B_new"}, namespace="ns")
    assert [(n.inputs, n.outputs) for n in mapped.nodes] == [
        (("ns.A",), ("B_new",)),
        (("B_new",), ("ns.C",)),
    ]


def test_parameters_listed_are_kept_or_renamed_and_all_parameters_are_never_renamed() -> None:
    raw = Pipeline(
        [
            node(split, ["parameters", "params:x"], ["a", "b"], name="n1"),
            node(biconcat, ["a", "params:y"], "c", name="n2"),
            node(biconcat, ["b", "params:z"], "d", name="n3"),
        ]
    )
    kept = pipeline(raw, parameters={"x", "params:y"}, namespace="ns")
    assert [n.inputs for n in kept.nodes] == [
        ("parameters", "params:x"),
        ("ns.a", "params:y"),
        ("ns.b", "params:ns.z"),
    ]
    renamed = pipeline(raw, parameters={"x": "X", "params:z": "params:Z"}, namespace="ns")
    assert [n.inputs for n in renamed.nodes] == [
        ("parameters", "params:X"),
        ("ns.a", "params:ns.y"),
        ("ns.b", "params:Z"),
    ]


def test_nested_namespaces_stack_outer_first() -> None:
    inner = pipeline([node(identity, "a", "b")], namespace="inner")
    outer = pipeline(inner, namespace="outer")
    (only,) = outer.nodes
    assert only.namespace == "outer.inner"
    assert only.namespace_prefixes == ["outer", "outer.inner"]
    assert only.inputs == ("outer.inner.a",)
    # An unnamed node's derived name is namespaced too, with its renamed datasets.
    assert only.name == "outer.inner.identity([outer.inner.a]) -> [outer.inner.b]"


def test_without_dataset_prefix_only_the_nodes_get_the_namespace() -> None:
    p = pipeline(modelling(), namespace="ns", prefix_datasets_with_namespace=False)
    assert [n.name for n in p.nodes] == ["ns.split", "ns.fit", "ns.evaluate"]
    assert [n.inputs for n in p.nodes] == [m.inputs for m in modelling().nodes]


def test_the_pipeline_constructor_takes_the_same_arguments_and_tags_every_node() -> None:
    p = Pipeline(modelling().nodes, namespace="ns", inputs="table", tags="model")
    assert p.inputs() == {"table", "params:ns.ratio", "params:ns.options"}
    assert all(n.tags == {"model"} for n in p.nodes)


def test_mapping_copies_the_nodes_and_leaves_the_original_intact() -> None:
    original = modelling()
    pipeline(original, namespace="ns")
    assert [n.name for n in original.nodes] == ["split", "fit", "evaluate"]
    assert all(n.namespace is None for n in original.nodes)


def test_a_transcoded_name_follows_the_mapping_of_its_base_unless_mapped_itself() -> None:
    raw = Pipeline([node(split, ["C@pandas", "D"], ["E@spark", "F"], name="n")])
    assert pipeline(raw, namespace="P", inputs={"C": "C_new"}).nodes[0].inputs == (
        "C_new@pandas",
        "P.D",
    )
    assert pipeline(raw, namespace="P", inputs={"C": "C_new"}).nodes[0].outputs == (
        "P.E@spark",
        "P.F",
    )
    full = Pipeline(
        [node(biconcat, ["A@pandas", "B"], "C", name="n1"), node(identity, "A@spark", "D")]
    )
    mapped = pipeline(full, inputs={"A@pandas": "Alpha"}, namespace="P")
    assert [n.inputs for n in mapped.nodes] == [("Alpha", "P.B"), ("P.A@spark",)]


# -- selection --------------------------------------------------------------------------------


def test_only_nodes_with_namespaces_takes_nested_namespaces_too() -> None:
    p = pipeline([two_models(), pipeline([node(identity, "x", "y", name="free")])])
    nested = pipeline(modelling(), namespace="outer.inner", inputs="table", outputs="metrics")
    p = p + nested
    assert [n.name for n in p.only_nodes_with_namespaces(["active"]).nodes] == [
        "active.split",
        "active.fit",
        "active.evaluate",
    ]
    assert len(p.only_nodes_with_namespaces(["outer"])) == 3
    assert len(p.filter(node_namespaces=["candidate", "outer.inner"])) == 6


def test_an_unknown_namespace_is_an_error_suggesting_the_closest() -> None:
    with pytest.raises(
        PipelineError, match=r"no node in the namespace 'activ'\. Did you mean 'active'"
    ):
        two_models().only_nodes_with_namespaces(["activ"])


# -- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "missing"),
    [
        ({"inputs": {"tabel": "t"}}, "'tabel' (did you mean 'table'?) does not exist"),
        ({"outputs": {"metric": "m"}}, "'metric' (did you mean 'metrics'?) does not exist"),
        ({"parameters": {"ratoi": "r"}}, "'params:ratoi' (did you mean 'params:ratio'?)"),
        ({"inputs": ["table", "zzz", "yyy"]}, "'yyy', 'zzz' do not exist"),
    ],
)
def test_mapping_a_name_no_node_uses_names_the_namespace_and_suggests(
    kwargs: dict[str, object], missing: str
) -> None:
    with pytest.raises(PipelineError) as caught:
        pipeline(modelling(), namespace="active", **kwargs)  # type: ignore[arg-type]
    message = str(caught.value)
    assert message.startswith("Modular pipeline 'active': failed to map datasets")
    assert missing in message


def test_without_a_namespace_the_error_names_the_first_nodes() -> None:
    with pytest.raises(
        PipelineError, match=r"Modular pipeline of nodes \['split', 'fit', 'evaluate'\]"
    ):
        pipeline(modelling(), inputs={"nope": "x"})


def test_inputs_must_be_free_inputs_and_outputs_must_not_be() -> None:
    with pytest.raises(PipelineError, match=r"'inputs' must name free inputs.*'train' is written"):
        pipeline(modelling(), namespace="ns", inputs={"train": "t"})
    with pytest.raises(
        PipelineError, match=r"'outputs' must name datasets its nodes write.*'table'"
    ):
        pipeline(modelling(), namespace="ns", outputs={"table": "t"})


def test_parameters_given_as_inputs_are_refused() -> None:
    with pytest.raises(PipelineError, match=r"'params:ratio' given in 'inputs'.*'parameters'"):
        pipeline(modelling(), namespace="ns", inputs={"params:ratio": "params:r"})


def test_mapping_two_outputs_to_one_name_is_two_producers() -> None:
    with pytest.raises(PipelineError, match=r"Dataset 'same' is written by two nodes"):
        pipeline(
            [node(identity, "a", "b", name="n1"), node(identity, "c", "d", name="n2")],
            outputs={"b": "same", "d": "same"},
        )


def test_a_namespace_must_be_a_non_empty_string() -> None:
    with pytest.raises(PipelineError, match=r"namespace must be a non-empty string, got ''"):
        pipeline(modelling(), namespace="")


# -- running ----------------------------------------------------------------------------------


def test_two_namespaced_copies_run_with_their_own_parameters_and_files(
    runner: AbstractRunner, tmp_path: Path
) -> None:
    catalog = DataCatalog(
        {
            "table": PickleDataset(filepath=str(tmp_path / "table.pkl")),
            "active.model": PickleDataset(filepath=str(tmp_path / "active" / "model.pkl")),
            "candidate.model": PickleDataset(filepath=str(tmp_path / "candidate" / "model.pkl")),
        }
    )
    catalog.save("table", [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    catalog.add_parameters(
        {
            "active": {"ratio": 0.5, "options": {"scale": 2}},
            "candidate": {"ratio": 0.8, "options": {"scale": 3}},
        }
    )
    outputs = runner.run(two_models(), catalog)
    assert outputs == {
        "active.metrics": {"score": 15 * 2 - 40},
        "candidate.metrics": {"score": 36 * 3 - 19},
    }
    assert PickleDataset(filepath=str(tmp_path / "active" / "model.pkl")).load() == 30
    assert PickleDataset(filepath=str(tmp_path / "candidate" / "model.pkl")).load() == 108


# -- the command line -------------------------------------------------------------------------

NODES = """
import json, os
from pathlib import Path
from hookline import hook_impl

def double(x):
    return x * 2

class RunParams:
    @hook_impl
    def before_pipeline_run(self, run_params):
        Path(os.environ["RUN_PARAMS"]).write_text(json.dumps(run_params["namespaces"]))
"""

REGISTRY = """
base = pipeline([node(double, "x", "y", name="first"), node(double, "y", "z", name="second")])
if os.environ.get("BAD_MAPPING"):
    return {"__default__": pipeline(base, namespace="a", inputs={"xx": "x"})}
return {
    "__default__": pipeline(
        [pipeline(base, namespace="a", inputs="x"), pipeline(base, namespace="b", inputs="x")]
    ),
}
"""


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    settings = "from .nodes import RunParams\nHOOKS = (RunParams(),)\n"
    catalog = "x:\n  type: json.JSONDataset\n  filepath: data/x.json\n"
    for name in ("a", "b"):
        catalog += f"{name}.z:\n  type: json.JSONDataset\n  filepath: data/{name}/z.json\n"
    root = make_project(NODES, REGISTRY, settings, conf={"base/catalog.yml": catalog})
    (root / "data").mkdir()
    (root / "data" / "x.json").write_text("3")
    return root


def test_run_namespaces_runs_only_those_nodes_and_passes_them_to_hooks(
    project: Path, tmp_path: Path
) -> None:
    recorded = tmp_path / "run_params.json"
    done = hookline(project, "run", "--namespaces", "b", RUN_PARAMS=str(recorded))
    assert done.returncode == 0, done.stderr
    assert "Completed node b.second (2/2)" in done.stderr
    assert "a.first" not in done.stderr
    assert json.loads((project / "data" / "b" / "z.json").read_text()) == 12
    assert not (project / "data" / "a" / "z.json").exists()
    assert json.loads(recorded.read_text()) == ["b"]


def test_run_with_an_unknown_namespace_exits_2_suggesting_one(
    project: Path, tmp_path: Path
) -> None:
    done = hookline(project, "run", "-ns", "bb", RUN_PARAMS=str(tmp_path / "rp.json"))
    assert done.returncode == 2
    assert "no node in the namespace 'bb'. Did you mean 'b'?" in done.stderr


def test_a_bad_mapping_in_the_registry_exits_2_naming_namespace_and_name(
    project: Path, tmp_path: Path
) -> None:
    done = hookline(project, "run", RUN_PARAMS=str(tmp_path / "rp.json"), BAD_MAPPING="1")
    assert done.returncode == 2
    assert "Modular pipeline 'a': failed to map" in done.stderr
    assert "'xx' (did you mean 'x'?) does not exist in the pipeline" in done.stderr
    # The file and line of the project that builds the pipeline.
    assert re.search(r"src/\w+/pipeline_registry\.py:\d+: Modular pipeline 'a'", done.stderr)
