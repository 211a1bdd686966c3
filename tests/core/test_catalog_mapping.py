"""The catalog's Kedro interface: Kedro 1.x's mapping methods and the 0.18/0.19 calls that
hook code still uses, each an alias of the catalog's own behaviour, on real datasets and files.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import pytest

from hookline import SequentialRunner, hook_impl
from hookline.catalog import DataCatalog, FrozenDatasets
from hookline.datasets import AbstractDataset, MemoryDataset
from hookline.datasets.json import JSONDataset
from hookline.datasets.pandas import CSVDataset
from hookline.datasets.text import TextDataset
from hookline.errors import DatasetError
from hookline.session import HooklineSession
from tests.support import ProjectFactory


class Incremental(MemoryDataset):
    """A dataset with Kedro's ``confirm()``: it records what it was asked to confirm."""

    def __init__(self) -> None:
        super().__init__([1, 2])
        self.confirmed = 0

    def confirm(self) -> None:
        self.confirmed += 1


class RefusingConfirm(MemoryDataset):
    """A dataset whose ``confirm()`` fails."""

    def confirm(self) -> None:
        raise OSError("checkpoint store is read-only")


class SubclassOfJSON(JSONDataset):
    """A subclass: ``filter(by_type=JSONDataset)`` must not match it (Kedro compares exactly)."""


def _catalog(tmp_path: Path) -> DataCatalog:
    return DataCatalog(
        {
            "raw_companies": CSVDataset(tmp_path / "companies.csv"),
            "model_input": JSONDataset(tmp_path / "model_input.json"),
            "model_scores": SubclassOfJSON(tmp_path / "scores.json"),
            "notes": TextDataset(tmp_path / "notes.txt"),
            "scratch": MemoryDataset(),
        }
    )


# -- Kedro 1.x: the mapping ----------------------------------------------------------------


def test_getitem_gives_the_dataset_object(tmp_path: Path) -> None:
    csv = CSVDataset(tmp_path / "companies.csv")
    catalog = DataCatalog({"companies": csv})
    assert catalog["companies"] is csv
    assert catalog["companies"] is catalog.get_dataset("companies")


def test_getitem_of_an_unknown_name_names_it_and_suggests(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    with pytest.raises(DatasetError) as info:
        catalog["raw_compnies"]
    assert str(info.value) == (
        "Dataset 'raw_compnies' is not in the catalog. Did you mean 'raw_companies'?"
    )


def test_setitem_wraps_plain_data_in_a_memory_dataset() -> None:
    catalog = DataCatalog()
    frame = pd.DataFrame({"a": [1, 2]})
    catalog["frame"] = frame
    assert isinstance(catalog["frame"], MemoryDataset)
    assert catalog.load("frame") is frame
    catalog["frame"] = [3]  # an existing name is replaced, as in Kedro
    assert catalog.load("frame") == [3]


def test_setitem_registers_or_replaces_a_dataset_object(tmp_path: Path) -> None:
    catalog = DataCatalog({"doc": MemoryDataset({"old": True})})
    doc = JSONDataset(tmp_path / "doc.json")
    catalog["doc"] = doc
    assert catalog["doc"] is doc
    catalog.save("doc", {"new": True})
    assert json.loads((tmp_path / "doc.json").read_text()) == {"new": True}


def test_contains_get_keys_values_items_iteration_and_len(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    names = ["raw_companies", "model_input", "model_scores", "notes", "scratch"]
    assert "notes" in catalog
    assert "nope" not in catalog
    assert catalog.get("notes") is catalog["notes"]
    assert catalog.get("nope") is None
    fallback = MemoryDataset(0)
    assert catalog.get("nope", fallback) is fallback
    assert catalog.keys() == names
    assert list(catalog) == names
    assert len(catalog) == 5
    assert catalog.values() == [catalog[name] for name in names]
    assert catalog.items() == [(name, catalog[name]) for name in names]
    assert dict(catalog.items()) == {name: catalog[name] for name in catalog}


def test_filter_by_name_type_regex_and_type(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    assert catalog.filter() == catalog.keys()
    assert catalog.filter(name_regex="model") == ["model_input", "model_scores"]
    assert catalog.filter(name_regex=re.compile("^raw_")) == ["raw_companies"]
    # The type regex is searched in the full dotted class path.
    assert catalog.filter(type_regex=r"hookline\.datasets\.json\.") == ["model_input"]
    assert catalog.filter(type_regex="JSON") == ["model_input", "model_scores"]
    assert catalog.filter(by_type=JSONDataset) == ["model_input"]  # exactly, as Kedro
    assert catalog.filter(by_type=[CSVDataset, MemoryDataset]) == ["raw_companies", "scratch"]
    assert catalog.filter(name_regex="model", type_regex="Subclass") == ["model_scores"]
    assert catalog.filter(name_regex="raw", by_type=MemoryDataset) == []
    with pytest.raises(DatasetError, match=r"Invalid regular expression '\(': "):
        catalog.filter(name_regex="(")


def test_get_type_is_the_dotted_class_path(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    assert catalog.get_type("raw_companies") == "hookline.datasets.pandas.CSVDataset"
    assert catalog.get_type("scratch") == "hookline.datasets.memory.MemoryDataset"
    assert catalog.get_type("model_scores") == f"{__name__}.SubclassOfJSON"
    assert catalog.get_type("nope") is None


def test_exists_load_save_and_release_on_real_files(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    assert catalog.exists("raw_companies") is False
    frame = pd.DataFrame({"name": ["a", "b"], "size": [1, 2]})
    catalog.save("raw_companies", frame)
    assert catalog.exists("raw_companies") is True
    pd.testing.assert_frame_equal(catalog.load("raw_companies"), frame)
    assert catalog.exists("not_registered") is False  # as in Kedro: no error
    catalog.save("scratch", {"k": 1})
    assert catalog.exists("scratch")
    catalog.release("scratch")
    assert not catalog.exists("scratch")
    with pytest.raises(DatasetError, match="Did you mean 'scratch'"):
        catalog.release("scrach")


def test_confirm_calls_the_datasets_confirm() -> None:
    incremental = Incremental()
    catalog = DataCatalog({"partitions": incremental, "plain": MemoryDataset(1)})
    catalog.confirm("partitions")
    assert incremental.confirmed == 1
    with pytest.raises(DatasetError) as info:
        catalog.confirm("plain")
    assert str(info.value) == (
        "Dataset 'plain' (MemoryDataset) cannot be confirmed: it has no confirm() method"
    )
    with pytest.raises(DatasetError, match="Did you mean 'partitions'"):
        catalog.confirm("partition")


def test_a_failing_confirm_names_the_dataset() -> None:
    catalog = DataCatalog({"checkpoint": RefusingConfirm()})
    with pytest.raises(DatasetError) as info:
        catalog.confirm("checkpoint")
    assert str(info.value) == (
        f"Failed to confirm dataset 'checkpoint' ({__name__}.RefusingConfirm): "
        "OSError: checkpoint store is read-only"
    )
    assert isinstance(info.value.__cause__, OSError)


# -- Kedro 0.18/0.19 calls -----------------------------------------------------------------


def test_list_searches_ignoring_case_as_kedro_0_19(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    assert catalog.list() == catalog.keys()
    assert catalog.list("^MODEL") == ["model_input", "model_scores"]
    assert catalog.list("s$") == ["raw_companies", "model_scores", "notes"]
    assert catalog.list("") == []
    assert catalog.list("  ") == []
    with pytest.raises(DatasetError, match=r"Invalid regular expression '\[': "):
        catalog.list("[")


def test_add_feed_dict_refuses_to_replace_unless_asked(tmp_path: Path) -> None:
    catalog = DataCatalog({"a": MemoryDataset(1)})
    doc = JSONDataset(tmp_path / "doc.json")
    catalog.add_feed_dict({"b": 2, "doc": doc})
    assert catalog.load("b") == 2
    assert catalog["doc"] is doc
    with pytest.raises(DatasetError) as info:
        catalog.add_feed_dict({"a": 5})
    assert str(info.value) == (
        "Dataset 'a' is already in the catalog (pass replace=True to replace it)"
    )
    assert catalog.load("a") == 1
    catalog.add_feed_dict({"a": 5}, replace=True)
    assert catalog.load("a") == 5


def test_add_all_registers_datasets_and_refuses_to_replace_unless_asked(tmp_path: Path) -> None:
    catalog = DataCatalog({"cars": MemoryDataset(1)})
    planes = CSVDataset(tmp_path / "planes.csv")
    boats = JSONDataset(tmp_path / "boats.json")
    catalog.add_all({"planes": planes, "boats": boats})
    assert catalog.list() == ["cars", "planes", "boats"]
    assert catalog["boats"] is boats
    with pytest.raises(DatasetError, match="'cars' is already in the catalog"):
        catalog.add_all({"cars": MemoryDataset(2)})
    assert catalog.load("cars") == 1
    catalog.add_all({"cars": MemoryDataset(2)}, replace=True)
    assert catalog.load("cars") == 2
    with pytest.raises(DatasetError, match="a dict is not a dataset"):
        catalog.add_all({"raw": {"plain": "data"}})  # type: ignore[dict-item]


def test_datasets_gives_attributes_with_kedros_sanitised_names(tmp_path: Path) -> None:
    catalog = DataCatalog({"companies": CSVDataset(tmp_path / "c.csv"), "a-b c": MemoryDataset()})
    catalog.add_parameters({"model_options": {"test_size": 0.2}})
    view = catalog.datasets
    assert isinstance(view, FrozenDatasets)
    assert view.companies is catalog["companies"]
    assert view.params__model_options is catalog["params:model_options"]
    assert view.params__model_options__test_size is catalog["params:model_options.test_size"]
    assert view.a__b__c is catalog["a-b c"]
    assert view.parameters.load() == {"model_options": {"test_size": 0.2}}
    assert view["params:model_options.test_size"] is view.params__model_options__test_size
    assert sorted(vars(view)) == [
        "a__b__c",
        "companies",
        "parameters",
        "params__model_options",
        "params__model_options__test_size",
    ]


def test_datasets_is_read_only_and_names_unknown_datasets(tmp_path: Path) -> None:
    catalog = DataCatalog({"companies": CSVDataset(tmp_path / "c.csv")})
    view = catalog.datasets
    with pytest.raises(AttributeError, match=r"Cannot set catalog\.datasets\.companies"):
        view.companies = MemoryDataset()  # type: ignore[misc]
    with pytest.raises(AttributeError, match="Did you mean 'companies'"):
        view.compnies  # noqa: B018
    with pytest.raises(DatasetError, match="Did you mean 'companies'"):
        view["compnies"]
    assert copy.copy(view).companies is view.companies
    # A view holds the datasets of its time; a new one sees what was added since.
    catalog["shuttles"] = 1
    assert not hasattr(view, "shuttles")
    assert catalog.datasets.shuttles is catalog["shuttles"]


def test_shallow_copy_then_mapping_writes_leave_the_original(tmp_path: Path) -> None:
    catalog = DataCatalog({"doc": JSONDataset(tmp_path / "doc.json")})
    copied = catalog.shallow_copy()
    copied["extra"] = 1
    copied["doc"] = MemoryDataset("replaced")
    assert "extra" not in catalog
    assert isinstance(catalog["doc"], JSONDataset)
    assert catalog._get_dataset("doc") is catalog["doc"]


# -- file paths as Kedro gives them ----------------------------------------------------------


def test_a_file_datasets_filepath_is_an_absolute_pure_posix_path(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "companies": {"type": "pandas.CSVDataset", "filepath": "data/companies.csv"},
            "model": {"type": "pickle.PickleDataset", "filepath": "data/m.pkl", "versioned": True},
        },
        project_path=tmp_path,
        save_version="2026-01-01T00.00.00.000000Z",
    )
    companies = catalog["companies"]
    assert isinstance(companies.filepath, PurePosixPath)
    assert companies.filepath == PurePosixPath(tmp_path.as_posix()) / "data/companies.csv"
    assert companies.filepath.is_absolute()
    assert companies._filepath == companies.filepath
    # What hook code does with it: build a path next to it, open it with str().
    catalog.save("companies", pd.DataFrame({"a": [1]}))
    assert Path(str(companies._filepath)).read_text().splitlines() == ["a", "1"]
    assert companies.filepath.suffix == ".csv"
    # A versioned dataset's filepath is the folder of its versions, as in Kedro.
    assert catalog["model"].filepath == PurePosixPath(tmp_path.as_posix()) / "data/m.pkl"


def test_a_remote_filepath_has_neither_protocol_nor_credentials() -> None:
    secret = "s3cr3t-Kq7"
    dataset = CSVDataset(f"s3://user:{secret}@bucket/raw/companies.csv")
    assert dataset.filepath == PurePosixPath("bucket/raw/companies.csv")
    assert dataset._filepath == dataset.filepath
    assert dataset.location == f"s3://user:{secret}@bucket/raw/companies.csv"
    assert dataset.describe()["filepath"] == "s3://***@bucket/raw/companies.csv"
    memory = TextDataset("memory://bucket/x.txt")
    assert memory.filepath == PurePosixPath("bucket/x.txt")
    assert memory.location == "memory://bucket/x.txt"


def test_a_failure_message_shows_the_location_with_its_protocol() -> None:
    catalog = DataCatalog({"remote": TextDataset("memory://hookline-missing/none.txt")})
    with pytest.raises(DatasetError) as info:
        catalog.load("remote")
    assert str(info.value).startswith(
        "Failed to load dataset 'remote' (text.TextDataset at memory://hookline-missing/none.txt)"
    )


def test_a_dataset_ported_from_kedro_keeps_its_protocol_apart() -> None:
    class KedroStyle(AbstractDataset):
        """Sets _protocol and _filepath as kedro-datasets do."""

        def __init__(self, filepath: str) -> None:
            self._protocol, _, path = filepath.partition("://")
            self._filepath = PurePosixPath(path)

        def load(self) -> Any:
            raise OSError("unreachable bucket")

        def save(self, data: Any) -> None:
            raise NotImplementedError

    dataset = KedroStyle("gcs://bucket/x.csv")
    assert dataset.filepath == PurePosixPath("bucket/x.csv")
    assert dataset.location == "gcs://bucket/x.csv"
    with pytest.raises(DatasetError, match=r"\(.*KedroStyle at gcs://bucket/x.csv\): OSError"):
        DataCatalog({"x": dataset}).load("x")


# -- in a run: what a Kedro hook sees ---------------------------------------------------------


class DynamicCatalogHooks:
    """In the style of Kedro projects' hooks: adds data to the catalog of the run through the
    mapping interface and records what the catalog shows it."""

    def __init__(self) -> None:
        self.seen: dict[str, Any] = {}

    @hook_impl
    def after_catalog_created(self, catalog: DataCatalog) -> None:
        catalog["threshold"] = 2
        self.seen["csv"] = catalog.filter(type_regex=r"\.CSVDataset$")
        self.seen["filepath"] = catalog["companies"]._filepath
        self.seen["datasets"] = sorted(vars(catalog.datasets))

    @hook_impl
    def after_node_run(self, catalog: DataCatalog) -> None:
        # As in Kedro, the node's outputs are saved after this hook.
        self.seen["exists_after_node"] = catalog.exists("big")

    @hook_impl
    def after_pipeline_run(self, catalog: DataCatalog) -> None:
        self.seen["exists_after_run"] = catalog.exists("big")


def test_a_hook_uses_the_mapping_interface_on_the_catalog_of_a_run(
    make_project: ProjectFactory,
) -> None:
    project = make_project(
        "def keep_big(companies, threshold):\n"
        "    return companies[companies['size'] > threshold]\n",
        'return {"__default__": pipeline([node(keep_big, ["companies", "threshold"], "big")])}',
        conf={
            "base/catalog.yml": "companies: {type: pandas.CSVDataset, filepath: data/c.csv}\n"
            "big: {type: pandas.CSVDataset, filepath: data/big.csv}\n",
            "base/parameters.yml": "seed: 1\n",
        },
    )
    (project / "data").mkdir()
    (project / "data" / "c.csv").write_text("name,size\na,1\nb,3\n")
    hooks = DynamicCatalogHooks()
    session = HooklineSession.create(project)
    session.load_context().hook_manager.register_hooks(hooks, source="test")
    session.run(runner=SequentialRunner())

    assert hooks.seen["csv"] == ["companies", "big"]
    assert hooks.seen["filepath"] == PurePosixPath(project.as_posix()) / "data/c.csv"
    assert isinstance(hooks.seen["filepath"], PurePosixPath)
    assert hooks.seen["datasets"] == ["big", "companies", "parameters", "params__seed", "threshold"]
    assert hooks.seen["exists_after_node"] is False
    assert hooks.seen["exists_after_run"] is True
    assert (project / "data" / "big.csv").read_text().splitlines() == ["name,size", "b,3"]
