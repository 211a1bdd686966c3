"""Transcoding: ``name@pandas`` and ``name@text`` are one dataset for ordering and release, each
with its own catalog entry; incompatible entries are refused naming the file and entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hookline import DataCatalog, Pipeline, node, pipeline
from hookline.datasets import JSONDataset, TextDataset
from hookline.errors import DatasetError, PipelineError
from hookline.runner import AbstractRunner, SequentialRunner
from tests.support import ProjectFactory

from .conftest import hookline


def make_rows() -> list[dict[str, int]]:
    return [{"a": 1, "b": 2}, {"a": 3, "b": 4}]


def count_lines(text: str) -> int:
    return len(text.strip().splitlines())


def total(rows: list[dict[str, int]]) -> int:
    return sum(row["a"] + row["b"] for row in rows)


def identity(x: Any) -> Any:
    return x


def both(a: Any, b: Any) -> tuple[Any, Any]:
    return a, b


# -- the graph --------------------------------------------------------------------------------


def test_a_node_reading_one_view_runs_after_the_node_writing_another() -> None:
    reader = node(count_lines, "rows@text", "lines", name="reader")
    writer = node(make_rows, None, "rows@json", name="writer")
    p = Pipeline([reader, writer])
    assert [n.name for n in p.nodes] == ["writer", "reader"]
    assert p.parents("reader") == [writer]
    assert p.children("writer") == [reader]
    assert p.producer("rows@text") is writer
    assert p.consumers("rows@json") == [reader]


def test_views_of_an_intermediate_dataset_are_neither_inputs_nor_outputs() -> None:
    p = Pipeline(
        [
            node(make_rows, None, "rows@json", name="writer"),
            node(count_lines, "rows@text", "lines", name="reader"),
            node(identity, "raw@text", "copied@json", name="free"),
        ]
    )
    assert p.inputs() == {"raw@text"}
    assert p.outputs() == {"lines", "copied@json"}
    assert p.all_inputs() == {"rows@text", "raw@text"}
    assert p.datasets() == {"rows@json", "rows@text", "lines", "raw@text", "copied@json"}


def test_filters_take_the_dataset_or_one_view() -> None:
    p = Pipeline(
        [
            node(make_rows, None, "rows@json", name="writer"),
            node(count_lines, "rows@text", "lines", name="by_text"),
            node(total, "rows@json", "sum", name="by_json"),
        ]
    )
    assert [n.name for n in p.from_inputs("rows").nodes] == ["by_text", "by_json"]
    assert [n.name for n in p.from_inputs("rows@text").nodes] == ["by_text"]
    assert [n.name for n in p.to_outputs("rows").nodes] == ["writer"]
    with pytest.raises(PipelineError, match=r"no dataset 'rows@csv'"):
        p.from_inputs("rows@csv")


def test_two_views_written_by_two_nodes_are_two_producers() -> None:
    with pytest.raises(PipelineError) as caught:
        Pipeline(
            [node(make_rows, None, "rows@json", name="one"), node(make_rows, None, "rows@text")]
        )
    message = str(caught.value)
    assert "Dataset 'rows' is written by two nodes: 'rows@json' by 'one' and 'rows@text'" in message


def test_a_dataset_used_with_and_without_a_suffix_is_refused() -> None:
    with pytest.raises(PipelineError, match=r"'rows' are used both with a transcoding suffix"):
        Pipeline([node(make_rows, None, "rows@json"), node(total, "rows", "sum")])


def test_a_name_with_two_separators_is_refused() -> None:
    with pytest.raises(PipelineError, match=r"'rows@json@x' has 2 '@' separators"):
        Pipeline([node(make_rows, None, "rows@json@x")])


def test_a_cycle_through_views_is_found() -> None:
    with pytest.raises(PipelineError, match=r"cycle.*'a' writes 'x@json' read by 'b' as 'x@text'"):
        pipeline(
            [
                node(identity, "y@text", "x@json", name="a"),
                node(identity, "x@text", "y@json", name="b"),
            ]
        )


# -- running ----------------------------------------------------------------------------------


def catalog_of(folder: Path) -> DataCatalog:
    """Two views of one file: JSON rows written by one node, read as text by another."""
    path = str(folder / "rows.json")
    return DataCatalog(
        {
            "rows@json": JSONDataset(filepath=path),
            "rows@text": TextDataset(filepath=path),
            "lines": JSONDataset(filepath=str(folder / "lines.json")),
        }
    )


def test_every_runner_writes_one_view_then_reads_the_other(
    runner: AbstractRunner, tmp_path: Path
) -> None:
    p = pipeline(
        [
            node(count_lines, "rows@text", "lines", name="reader"),
            node(total, "rows@json", "sum", name="json_reader"),
            node(make_rows, None, "rows@json", name="writer"),
        ]
    )
    outputs = runner.run(p, catalog_of(tmp_path))
    assert outputs == {"sum": 10}
    text = (tmp_path / "rows.json").read_text()
    assert json.loads(text) == make_rows()
    assert json.loads((tmp_path / "lines.json").read_text()) == count_lines(text)


class RecordingJSON(JSONDataset):
    """A JSON file whose releases are recorded, by label, into a JSON-lines file."""

    def __init__(self, filepath: str, log: str, label: str) -> None:
        super().__init__(filepath=filepath)
        self._log = log
        self._label = label

    def release(self) -> None:
        with open(self._log, "a") as file:
            file.write(json.dumps(self._label) + "\n")
        super().release()


def test_the_views_are_released_together_after_the_last_reader_of_any(
    tmp_path: Path,
) -> None:
    log = tmp_path / "released.jsonl"
    path = str(tmp_path / "rows.json")
    events: list[str] = []
    catalog = DataCatalog(
        {
            "rows@json": RecordingJSON(path, str(log), "rows@json"),
            "rows@text": RecordingJSON(path, str(log), "rows@text"),
        }
    )

    def released() -> list[str]:
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    def note(name: str) -> Any:
        def step(x: Any) -> Any:
            events.append(f"{name} saw {released()}")
            return x

        return step

    p = pipeline(
        [
            node(make_rows, None, "rows@json", name="writer"),
            node(note("first"), "rows@text", "a", name="first"),
            node(note("second"), "rows@json", "b", name="second"),
            node(note("third"), "rows@text", "c", name="third"),
        ]
    )
    SequentialRunner().run(p, catalog)
    # No view is released while a reader of either view is left; both go after the last.
    assert events == ["first saw []", "second saw []", "third saw []"]
    assert sorted(released()) == ["rows@json", "rows@text"]


def test_a_read_view_without_a_catalog_entry_fails_before_any_node(tmp_path: Path) -> None:
    catalog = DataCatalog({"rows@json": JSONDataset(filepath=str(tmp_path / "rows.json"))})
    p = pipeline(
        [
            node(make_rows, None, "rows@json", name="writer"),
            node(count_lines, "rows@text", "lines", name="reader"),
        ]
    )
    with pytest.raises(DatasetError) as caught:
        SequentialRunner().run(p, catalog)
    assert str(caught.value).startswith(
        "Dataset 'rows@text' is a transcoded view of 'rows', read by 'reader' while node "
        "'writer' writes 'rows@json', but it has no catalog entry of its own."
    )
    assert not (tmp_path / "rows.json").exists()


# -- catalog entries --------------------------------------------------------------------------


def test_views_with_one_filepath_build() -> None:
    catalog = DataCatalog.from_config(
        {
            "rows@json": {"type": "json.JSONDataset", "filepath": "data/rows.json"},
            "rows@text": {"type": "text.TextDataset", "filepath": "data/rows.json"},
        }
    )
    assert sorted(catalog.list()) == ["rows@json", "rows@text"]


@pytest.mark.parametrize(
    ("text_entry", "key", "shown"),
    [
        (
            {"type": "text.TextDataset", "filepath": "data/other.json"},
            "filepath",
            "('data/rows.json' and 'data/other.json')",
        ),
        (
            {"type": "text.TextDataset", "filepath": "data/rows.json", "versioned": True},
            "versioned",
            "(False and True)",
        ),
    ],
)
def test_views_that_disagree_are_refused_naming_file_and_entries(
    text_entry: dict[str, Any], key: str, shown: str
) -> None:
    with pytest.raises(DatasetError) as caught:
        DataCatalog.from_config(
            {
                "rows@json": {"type": "json.JSONDataset", "filepath": "data/rows.json"},
                "rows@text": text_entry,
            },
            source="conf/base/catalog.yml",
        )
    assert str(caught.value) == (
        "conf/base/catalog.yml: catalog entries 'rows@json' and 'rows@text' are two views of "
        f"the transcoded dataset 'rows' but have different '{key}' {shown}. Both must describe "
        "the same stored data."
    )


def test_an_entry_with_two_separators_is_refused_naming_the_file() -> None:
    with pytest.raises(DatasetError, match=r"^catalog.yml: catalog entry 'a@b@c': .*2 '@'"):
        DataCatalog.from_config({"a@b@c": {"type": "text.TextDataset", "filepath": "x"}})


NODES = """
def make_rows():
    return [{"a": 1, "b": 2}, {"a": 3, "b": 4}]

def count_lines(text):
    return len(text.strip().splitlines())
"""

REGISTRY = """
return {"__default__": pipeline([
    node(make_rows, None, "rows@json", name="writer"),
    node(count_lines, "rows@text", "lines", name="reader"),
])}
"""


def test_run_with_incompatible_views_exits_2_naming_the_catalog_file(
    make_project: ProjectFactory,
) -> None:
    catalog = """
    rows@json:
      type: json.JSONDataset
      filepath: data/rows.json
    rows@text:
      type: text.TextDataset
      filepath: data/rows.txt
    """
    project = make_project(NODES, REGISTRY, conf={"base/catalog.yml": catalog})
    done = hookline(project, "run")
    assert done.returncode == 2
    assert (
        "conf/base/catalog.yml: catalog entries 'rows@json' and 'rows@text' are two views of "
        "the transcoded dataset 'rows' but have different 'filepath'" in done.stderr
    )
    assert not (project / "data").exists()
