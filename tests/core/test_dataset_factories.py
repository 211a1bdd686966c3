"""Dataset factories in catalog.yml, with Kedro's semantics: matching, precedence, the
catch-all, credentials and versions inside patterns, and the errors of bad patterns."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, ClassVar

import pytest

from hookline import DataCatalog, node, pipeline
from hookline.catalog_factories import DatasetFactories
from hookline.datasets import AbstractDataset, CSVDataset, JSONDataset, PickleDataset
from hookline.errors import DatasetError
from hookline.runner import SequentialRunner
from hookline.session import HooklineSession
from tests.support import ProjectFactory


class CountingDataset(AbstractDataset):
    """A dataset that counts how many times it is made, per name, and keeps its arguments."""

    made: ClassVar[dict[str, int]] = {}

    def __init__(self, name: str, credentials: dict[str, Any] | None = None) -> None:
        CountingDataset.made[name] = CountingDataset.made.get(name, 0) + 1
        self.name = name
        self.credentials = credentials
        self.data: Any = None

    def load(self) -> Any:
        return self.data

    def save(self, data: Any) -> None:
        self.data = data


COUNTING = f"{__name__}.CountingDataset"


def identity(x: Any) -> Any:
    return x


def patterns_of(catalog: DataCatalog) -> list[str]:
    assert catalog.factories is not None
    return [pattern.text for pattern in catalog.factories.patterns]


# -- matching ------------------------------------------------------------------------------


def test_a_pattern_fills_its_placeholders_into_every_string_of_its_entry(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "{name}_csv": {
                "type": "pandas.CSVDataset",
                "filepath": "data/{name}.csv",
                "load_args": {"usecols": ["{name}_id", "value"], "sep": ","},
            }
        },
        project_path=tmp_path,
    )
    catalog.add_from_factories(["cars_csv", "boats"])
    cars = catalog.get_dataset("cars_csv")
    assert isinstance(cars, CSVDataset)
    assert cars.filepath == str(tmp_path / "data" / "cars.csv")
    assert cars.describe()["load_args"] == {"usecols": ["cars_id", "value"], "sep": ","}
    # A name no pattern matches is left to the runner (a memory dataset).
    assert "boats" not in catalog


def test_a_namespace_pattern_matches_dotted_names_only(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"{namespace}.{name}": {"type": "json.JSONDataset", "filepath": "{namespace}/{name}.json"}},
        project_path=tmp_path,
    )
    catalog.add_from_factories(["modelling.model", "plain"])
    assert catalog.get_dataset("modelling.model").filepath == str(
        tmp_path / "modelling" / "model.json"
    )
    assert "plain" not in catalog


def test_names_match_whole_and_ignoring_case_as_in_kedro() -> None:
    factories = DatasetFactories({"{name}_csv": {"type": "MemoryDataset"}}, "catalog.yml")
    assert factories.match("cars_CSV") is not None
    assert factories.match("cars_csv_old") is None
    assert factories.match("_csv") is None  # a placeholder stands for one character or more


def test_an_explicit_entry_wins_over_every_pattern(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "{name}_csv": {"type": "pandas.CSVDataset", "filepath": "data/{name}.csv"},
            "cars_csv": {"type": "pickle.PickleDataset", "filepath": "cars.pkl"},
        },
        project_path=tmp_path,
    )
    catalog.add_from_factories(["cars_csv"])
    assert isinstance(catalog.get_dataset("cars_csv"), PickleDataset)


# -- precedence ------------------------------------------------------------------------------


def test_patterns_are_ranked_by_characters_then_placeholders_then_alphabet() -> None:
    catalog = DataCatalog.from_config(
        {
            "{x}": {"type": "MemoryDataset"},
            "{namespace}.{name}": {"type": "MemoryDataset"},
            "{namespace}.int_{name}": {"type": "MemoryDataset"},
            "{a}.b{c}{d}": {"type": "MemoryDataset"},
            "{namespace}.ant_{name}": {"type": "MemoryDataset"},
        }
    )
    assert patterns_of(catalog) == [
        # 5 characters outside placeholders each: alphabetical.
        "{namespace}.ant_{name}",
        "{namespace}.int_{name}",
        # 2 characters: 3 placeholders before 2.
        "{a}.b{c}{d}",
        "{namespace}.{name}",
        # The catch-all, last.
        "{x}",
    ]


def test_more_specific_wins_and_the_catch_all_answers_last(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "{default}": {"type": "pickle.PickleDataset", "filepath": "{default}.pkl"},
            "{namespace}.{name}": {"type": "json.JSONDataset", "filepath": "{name}.json"},
            "{namespace}.int_{name}": {"type": "pandas.CSVDataset", "filepath": "{name}.csv"},
        },
        project_path=tmp_path,
    )
    catalog.add_from_factories(["ds.int_cars", "ds.cars", "cars"])
    assert isinstance(catalog.get_dataset("ds.int_cars"), CSVDataset)
    assert isinstance(catalog.get_dataset("ds.cars"), JSONDataset)
    assert isinstance(catalog.get_dataset("cars"), PickleDataset)


def test_at_equal_characters_more_placeholders_win_over_the_alphabet() -> None:
    # Kedro's order: "{x}_{y}" (1 character, 2 placeholders) before "a{x}" (1, 1), although
    # "a" sorts before "{".
    factories = DatasetFactories(
        {"a{x}": {"type": "MemoryDataset"}, "{x}_{y}": {"type": "MemoryDataset"}}, "catalog.yml"
    )
    found = factories.match("a_b")
    assert found is not None
    assert found.pattern.text == "{x}_{y}"
    assert found.values == {"x": "a", "y": "b"}


# -- the catch-all ----------------------------------------------------------------------------


def test_the_catch_all_replaces_memory_datasets_in_a_run(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"{default}": {"type": "pickle.PickleDataset", "filepath": "data/{default}.pkl"}},
        project_path=tmp_path,
    )
    catalog.add_parameters({"x": 3})
    pipe = pipeline(
        [
            node(identity, "params:x", "middle", name="first"),
            node(identity, "middle", "last", name="second"),
        ]
    )
    outputs = SequentialRunner().run(pipe, catalog)
    assert outputs == {}  # nothing lives in memory: the catch-all saved both to disk
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["last.pkl", "middle.pkl"]
    # Parameters are never made by a pattern.
    assert isinstance(catalog.get_dataset("params:x"), AbstractDataset)
    assert not (tmp_path / "data" / "params:x.pkl").exists()


def test_a_missing_parameter_is_not_made_by_the_catch_all(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"{default}": {"type": "pickle.PickleDataset", "filepath": "{default}.pkl"}},
        project_path=tmp_path,
    )
    catalog.add_from_factories(["params:missing"])
    assert "params:missing" not in catalog
    with pytest.raises(DatasetError, match="'params:missing' is not in the catalog"):
        catalog.load("params:missing")


# -- once per run -----------------------------------------------------------------------------


def test_each_dataset_is_made_once_per_run_not_per_node() -> None:
    CountingDataset.made.clear()
    catalog = DataCatalog.from_config(
        {
            "{name}_counted": {"type": COUNTING, "name": "{name}"},
            "start": {"type": COUNTING, "name": "start"},
        }
    )
    catalog.save("start", 1)
    nodes = [node(identity, "start", "n0_counted", name="n0")]
    nodes += [node(identity, f"n{i - 1}_counted", f"n{i}_counted", name=f"n{i}") for i in (1, 2)]
    nodes += [node(identity, "n0_counted", "copy_counted", name="reader")]
    SequentialRunner().run(pipeline(nodes), catalog)
    assert CountingDataset.made == {"start": 1, "n0": 1, "n1": 1, "n2": 1, "copy": 1}
    assert catalog.load("n2_counted") == 1


def test_a_name_outside_the_run_is_made_when_first_used() -> None:
    # What a hook or a notebook does: load a dataset the run did not resolve beforehand.
    catalog = DataCatalog.from_config({"{name}_mem": {"type": "MemoryDataset"}})
    catalog.save("late_mem", 7)
    assert catalog.load("late_mem") == 7
    assert catalog.get_dataset("late_mem") is catalog.get_dataset("late_mem")
    with pytest.raises(DatasetError, match="'late' is not in the catalog"):
        catalog.load("late")


# -- credentials and versions ----------------------------------------------------------------


def test_credentials_inside_a_pattern_are_looked_up_and_hidden() -> None:
    catalog = DataCatalog.from_config(
        {
            "{name}_db": {"type": COUNTING, "name": "{name}", "credentials": "warehouse"},
            "{name}_inline": {
                "type": COUNTING,
                "name": "{name}",
                "credentials": {"password": "inline-secret-1"},
            },
        },
        {"warehouse": {"user": "ann", "password": "file-secret-2"}},
    )
    catalog.add_from_factories(["sales_db", "sales_inline"])
    db = catalog.get_dataset("sales_db")
    assert isinstance(db, CountingDataset)
    assert db.credentials == {"user": "ann", "password": "file-secret-2"}
    assert {"file-secret-2", "inline-secret-1"} <= set(catalog.secrets)


def test_unknown_credentials_in_a_pattern_name_the_pattern_and_the_dataset() -> None:
    catalog = DataCatalog.from_config(
        {"{name}_db": {"type": COUNTING, "name": "{name}", "credentials": "nowhere"}},
        {"warehouse": {"password": "x"}},
        source="conf/base/catalog.yml",
    )
    with pytest.raises(DatasetError) as info:
        catalog.add_from_factories(["sales_db"])
    assert "conf/base/catalog.yml: catalog entry '{name}_db'" in str(info.value)
    assert "'nowhere'" in str(info.value)


def test_a_versioned_pattern_saves_and_loads_versions(tmp_path: Path) -> None:
    entries = {
        "{name}_model": {
            "type": "json.JSONDataset",
            "filepath": "models/{name}.json",
            "versioned": True,
        }
    }
    first = DataCatalog.from_config(
        entries, save_version="2026-12-01T00.00.00.000Z", project_path=tmp_path
    )
    first.save("tree_model", {"depth": 3})
    second = DataCatalog.from_config(
        entries, save_version="2026-12-02T00.00.00.000Z", project_path=tmp_path
    )
    second.save("tree_model", {"depth": 4})
    saved = tmp_path / "models" / "tree.json"
    assert sorted(p.name for p in saved.iterdir()) == [
        "2026-12-01T00.00.00.000Z",
        "2026-12-02T00.00.00.000Z",
    ]
    pinned = DataCatalog.from_config(
        entries,
        load_versions={"tree_model": "2026-12-01T00.00.00.000Z"},
        project_path=tmp_path,
    )
    assert pinned.load("tree_model") == {"depth": 3}


def test_a_load_version_needs_a_versioned_entry_or_a_specific_pattern() -> None:
    entries: dict[str, Any] = {
        "{name}_model": {"type": "json.JSONDataset", "filepath": "{name}.json"},
        "{default}": {"type": "MemoryDataset"},
    }
    with pytest.raises(DatasetError, match="'tree_model', which is not versioned"):
        DataCatalog.from_config(entries, load_versions={"tree_model": "v1"})
    # As in Kedro, the catch-all does not count.
    with pytest.raises(DatasetError, match=r"'other', which is not in catalog\.yml"):
        DataCatalog.from_config(entries, load_versions={"other": "v1"})


# -- bad patterns ------------------------------------------------------------------------------


def test_two_patterns_matching_a_name_equally_are_an_error_naming_both() -> None:
    catalog = DataCatalog.from_config(
        {
            "{name}_x": {"type": "MemoryDataset"},
            "{other}_x": {"type": "MemoryDataset"},
            "{namespace}.int_{name}": {"type": "MemoryDataset"},
            "{namespace}.{name}_int": {"type": "MemoryDataset"},
        },
        source="conf/base/catalog.yml",
    )
    with pytest.raises(DatasetError) as info:
        catalog.add_from_factories(["cars_x"])
    message = str(info.value)
    assert message.startswith("conf/base/catalog.yml: dataset 'cars_x' matches")
    assert "'{name}_x'" in message
    assert "'{other}_x'" in message
    with pytest.raises(DatasetError, match=r"'\{namespace\}.int_\{name\}' and"):
        catalog.add_from_factories(["ds.int_cars_int"])
    # A name only one of them matches is fine.
    catalog.add_from_factories(["ds.int_cars"])


def test_two_catch_all_patterns_are_an_error_naming_both() -> None:
    with pytest.raises(DatasetError) as info:
        DataCatalog.from_config(
            {"{default}": {"type": "MemoryDataset"}, "{any}": {"type": "MemoryDataset"}},
            source="conf/base/catalog.yml",
        )
    assert "conf/base/catalog.yml: catalog entries '{any}', '{default}'" in str(info.value)


def test_a_placeholder_missing_from_the_name_is_an_error() -> None:
    with pytest.raises(DatasetError) as info:
        DataCatalog.from_config(
            {"{name}_csv": {"type": "pandas.CSVDataset", "filepath": "data/{nam}.csv"}}
        )
    assert "catalog.yml: catalog entry '{name}_csv' uses {nam}" in str(info.value)


def test_a_pattern_parse_cannot_read_is_an_error() -> None:
    with pytest.raises(DatasetError) as info:
        DataCatalog.from_config({"{name:zz}_csv": {"type": "MemoryDataset"}})
    assert "catalog.yml: catalog entry '{name:zz}_csv' is not a valid pattern" in str(info.value)


def test_a_pattern_whose_entry_is_not_a_mapping_is_an_error() -> None:
    with pytest.raises(DatasetError, match=r"catalog entry '\{name\}_csv' must be a mapping"):
        DataCatalog.from_config({"{name}_csv": "pandas.CSVDataset"})


def test_a_bad_type_in_a_pattern_names_the_pattern_and_the_dataset() -> None:
    catalog = DataCatalog.from_config({"{name}_csv": {"type": "pandas.CSVDataSet"}})
    with pytest.raises(DatasetError) as info:
        catalog.add_from_factories(["cars_csv"])
    assert "catalog entry '{name}_csv' (for dataset 'cars_csv')" in str(info.value)
    assert "Did you mean 'pandas.CSVDataset'?" in str(info.value)


# -- a project's run ----------------------------------------------------------------------------

NODES = """
def scale(values, factor):
    return [v * factor for v in values]

def total(values):
    return {"total": sum(values)}
"""

REGISTRY = """
return {"__default__": pipeline([
    node(scale, ["raw_values", "params:factor"], "scaled_values", name="scale"),
    node(total, "scaled_values", "summary_report", name="total"),
])}
"""

CATALOG = """
raw_values:
  type: json.JSONDataset
  filepath: data/raw.json
"{name}_report":
  type: json.JSONDataset
  filepath: data/reports/{name}.json
"{default}":
  type: pickle.PickleDataset
  filepath: data/intermediate/{default}.pkl
"""


def test_a_project_run_uses_its_factories(make_project: ProjectFactory) -> None:
    project = make_project(
        NODES,
        REGISTRY,
        conf={"base/catalog.yml": CATALOG, "base/parameters.yml": "factor: 10\n"},
    )
    (project / "data").mkdir()
    (project / "data" / "raw.json").write_text("[1, 2, 3]")
    result = HooklineSession.create(project).run()
    assert result.outputs == {}
    report = project / "data" / "reports" / "summary.json"
    assert json.loads(report.read_text()) == {"total": 60}
    assert (project / "data" / "intermediate" / "scaled_values.pkl").is_file()


def test_parse_is_imported_only_for_a_catalog_with_patterns() -> None:
    code = (
        "import sys\n"
        "from hookline import DataCatalog\n"
        "DataCatalog.from_config({'a': {'type': 'MemoryDataset'}})\n"
        "print('parse' in sys.modules)\n"
        "DataCatalog.from_config({'{a}_b': {'type': 'MemoryDataset'}})\n"
        "print('parse' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]
