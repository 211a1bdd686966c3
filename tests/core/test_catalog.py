"""DataCatalog: building from YAML config, loading and saving by name, errors, parameters."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import pytest

from hookline.catalog import DataCatalog
from hookline.datasets import AbstractDataset, MemoryDataset, Version
from hookline.datasets.base import FileDataset
from hookline.datasets.json import JSONDataset
from hookline.datasets.pandas import CSVDataset
from hookline.errors import DatasetError

SECRET = "hunter2-Zq9-planted-secret"


class LeakyDataset(FileDataset):
    """A dataset whose failures quote its credentials, as a careless library might."""

    def __init__(self, filepath: str, *, credentials: dict[str, Any] | None = None) -> None:
        if credentials and credentials.get("fail_init"):
            raise ValueError(f"cannot log in with {credentials['token']}")
        super().__init__(filepath, credentials=credentials)

    def _read(self, path: Path) -> Any:
        raise PermissionError(f"denied for token {self._credentials['token']}")

    def _write(self, data: Any, path: Path) -> None:
        raise PermissionError(f"denied for token {self._credentials['token']}")


class AnyKwargsDataset(AbstractDataset):
    """A dataset taking any keyword, so the catalog cannot check its arguments up front."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs

    def load(self) -> Any:
        return self.kwargs

    def save(self, data: Any) -> None:
        raise NotImplementedError


LEAKY = f"{LeakyDataset.__module__}.LeakyDataset"
ANY_KWARGS = f"{AnyKwargsDataset.__module__}.AnyKwargsDataset"


# -- from_config ---------------------------------------------------------------------------


def test_from_config_builds_datasets_relative_to_the_project(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "_csv": {"type": "pandas.CSVDataset", "load_args": {"sep": ";"}},
            "companies": {
                "type": "pandas.CSVDataset",
                "filepath": "data/01_raw/companies.csv",
                "save_args": {"sep": ";"},
                "metadata": {"owner": "data team"},
            },
            "absolute": {"type": "json.JSONDataset", "filepath": str(tmp_path / "abs.json")},
            "remote": {"type": "text.TextDataset", "filepath": "memory://bucket/x.txt"},
            "scratch": {"type": "MemoryDataset", "copy_mode": "copy"},
            "custom": {"type": "hookline.datasets.pickle.PickleDataset", "filepath": "m.pkl"},
        },
        project_path=tmp_path,
    )
    assert catalog.list() == ["companies", "absolute", "remote", "scratch", "custom"]
    companies = catalog.get_dataset("companies")
    assert isinstance(companies, CSVDataset)
    assert companies.filepath == PurePosixPath(tmp_path / "data/01_raw/companies.csv")
    assert companies.metadata == {"owner": "data team"}
    assert catalog._get_dataset("absolute").filepath == PurePosixPath(tmp_path / "abs.json")
    assert catalog.get_dataset("remote").filepath == PurePosixPath("bucket/x.txt")
    assert catalog.get_dataset("remote").location == "memory://bucket/x.txt"
    assert catalog.get_dataset("custom")._filepath == PurePosixPath(tmp_path / "m.pkl")

    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    catalog.save("companies", frame)
    assert (tmp_path / "data/01_raw/companies.csv").read_text().splitlines()[0] == "a;b"
    pd.testing.assert_frame_equal(
        DataCatalog.from_config(
            {"c": {"type": "pandas.CSVDataset", "filepath": "data/01_raw/companies.csv",
                   "load_args": {"sep": ";"}}},
            project_path=tmp_path,
        ).load("c"),
        frame,
    )  # fmt: skip


def test_empty_config() -> None:
    assert len(DataCatalog.from_config(None)) == 0
    assert DataCatalog.from_config({}).list() == []


def test_unknown_type_names_entry_source_and_close_types() -> None:
    with pytest.raises(DatasetError) as info:
        DataCatalog.from_config(
            {"companies": {"type": "pandas.CSVDataSet", "filepath": "x.csv"}},
            source="conf/base/catalog.yml",
        )
    message = str(info.value)
    assert message.startswith("conf/base/catalog.yml: catalog entry 'companies': ")
    assert "Unknown dataset type 'pandas.CSVDataSet'. Did you mean 'pandas.CSVDataset'?" in message


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("just a string", "catalog entry 'x' must be a mapping with a 'type' key, not a str"),
        ({"filepath": "a.csv"}, "catalog entry 'x' has no 'type'"),
        (
            {"type": "pandas.CSVDataset", "filpath": "a.csv"},
            "catalog entry 'x' (pandas.CSVDataset): unknown argument 'filpath'. "
            "Did you mean 'filepath'?",
        ),
        ({"type": "pandas.CSVDataset"}, "(pandas.CSVDataset): missing argument 'filepath'"),
        ({"type": "MemoryDataset", "versioned": True}, "(MemoryDataset): unknown argument"),
        ({"type": "MemoryDataset", "copy_mode": "clone"}, "Unknown copy_mode 'clone'"),
        ({"type": "json.JSONDataset", "filepath": "a", "load_args": [1]}, "'load_args' must be a"),
        ({"type": "pathlib.PurePath"}, "is not a dataset class"),
    ],
)
def test_bad_entries_name_file_and_entry(entry: Any, expected: str) -> None:
    with pytest.raises(DatasetError) as info:
        DataCatalog.from_config({"x": entry})
    assert str(info.value).startswith("catalog.yml: catalog entry 'x'")
    assert expected in str(info.value)


def test_a_class_taking_any_keyword_gets_them_all(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"x": {"type": ANY_KWARGS, "anything": 1, "versioned": True}}, save_version="v1"
    )
    assert catalog.load("x") == {"anything": 1, "versioned": True, "version": Version(None, "v1")}


# -- credentials ---------------------------------------------------------------------------


def test_credentials_are_looked_up_by_name(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"t": {"type": "text.TextDataset", "filepath": "memory://hl-cat/t.txt",
               "credentials": "mem", "fs_args": {"skip_instance_cache": True}}},
        {"mem": {"token": SECRET}},
    )  # fmt: skip
    dataset = catalog.get_dataset("t")
    assert isinstance(dataset, FileDataset)
    assert dataset._filesystem().storage_options["token"] == SECRET
    shown = repr(catalog) + repr(dataset) + json.dumps(dataset.describe())
    assert SECRET not in shown


@pytest.mark.parametrize(
    ("credentials_value", "credentials", "expected"),
    [
        ("db", {"dbx": {"password": SECRET}}, "uses credentials 'db', which are not in"),
        ("db", {"db": SECRET}, "credentials 'db' (used by catalog entry 'x' in catalog.yml)"),
        ("db", {"db": [SECRET]}, "must be a mapping of keys to values, not a list"),
        (["x", SECRET], {}, "'credentials' must be the name of an entry of credentials.yml"),
        (12345678, {}, "not a int"),
    ],
)
def test_bad_credentials_never_show_a_value(
    credentials_value: Any, credentials: dict[str, Any], expected: str
) -> None:
    with pytest.raises(DatasetError) as info:
        DataCatalog.from_config(
            {"x": {"type": "json.JSONDataset", "filepath": "x.json",
                   "credentials": credentials_value}},
            credentials,
        )  # fmt: skip
    message = str(info.value)
    assert expected in message
    assert SECRET not in message
    assert "12345678" not in message


def test_missing_credentials_name_suggests_close_names() -> None:
    with pytest.raises(DatasetError) as info:
        DataCatalog.from_config(
            {"x": {"type": "json.JSONDataset", "filepath": "x.json", "credentials": "s3_prod"}},
            {"s3_prd": {"key": SECRET}},
            credentials_source="conf/local/credentials.yml",
        )
    assert str(info.value) == (
        "catalog.yml: catalog entry 'x' uses credentials 's3_prod', which are not in "
        "conf/local/credentials.yml (known: s3_prd). Did you mean 's3_prd'?"
    )


def test_a_secret_quoted_by_a_failing_dataset_is_hidden(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as info:
        DataCatalog.from_config(
            {"x": {"type": LEAKY, "filepath": "x", "credentials": "c"}},
            {"c": {"token": SECRET, "fail_init": True}},
        )
    assert "cannot log in with ***" in str(info.value)
    assert SECRET not in str(info.value)
    assert info.value.__cause__ is None  # the original would print the secret in a traceback

    catalog = DataCatalog.from_config(
        {"x": {"type": LEAKY, "filepath": str(tmp_path / "x"), "credentials": "c"}},
        {"c": {"token": SECRET}},
    )
    for action in (lambda: catalog.load("x"), lambda: catalog.save("x", 1)):
        with pytest.raises(DatasetError) as failure:
            action()
        assert "PermissionError: denied for token ***" in str(failure.value)
        assert SECRET not in str(failure.value)
        assert failure.value.__cause__ is None


# -- versions ------------------------------------------------------------------------------


def test_versioned_entries_save_the_run_version_and_load_pinned_ones(tmp_path: Path) -> None:
    config = {"model": {"type": "pickle.PickleDataset", "filepath": "m.pkl", "versioned": True}}
    first = DataCatalog.from_config(
        config, save_version="2024-01-01T00.00.00.000000Z", project_path=tmp_path
    )
    first.save("model", "first")
    second = DataCatalog.from_config(
        config, save_version="2024-02-01T00.00.00.000000Z", project_path=tmp_path
    )
    second.save("model", "second")
    assert (tmp_path / "m.pkl" / "2024-02-01T00.00.00.000000Z" / "m.pkl").is_file()
    assert DataCatalog.from_config(config, project_path=tmp_path).load("model") == "second"
    pinned = DataCatalog.from_config(
        config, load_versions={"model": "2024-01-01T00.00.00.000000Z"}, project_path=tmp_path
    )
    assert pinned.load("model") == "first"

    missing = DataCatalog.from_config(
        config, load_versions={"model": "2023"}, project_path=tmp_path
    )
    with pytest.raises(DatasetError) as info:
        missing.load("model")
    message = str(info.value)
    assert message.startswith("Failed to load dataset 'model' (pickle.PickleDataset at ")
    assert "Load version '2023'" in message
    assert "2024-01-01T00.00.00.000000Z, 2024-02-01T00.00.00.000000Z" in message


def test_load_versions_must_name_versioned_entries() -> None:
    config = {
        "model": {"type": "pickle.PickleDataset", "filepath": "m.pkl", "versioned": True},
        "plain": {"type": "pickle.PickleDataset", "filepath": "p.pkl"},
    }
    with pytest.raises(DatasetError, match=r"given for 'modl', which is not in catalog\.yml\. Did"):
        DataCatalog.from_config(config, load_versions={"modl": "v"})
    with pytest.raises(DatasetError, match=r"'plain', which is not versioned in catalog\.yml"):
        DataCatalog.from_config(config, load_versions={"plain": "v"})


@pytest.mark.parametrize("versioned", ["no", "false", "yes", 1, [True]])
@pytest.mark.parametrize("load_versions", [None, {"x": "2024-01-01T00.00.00.000000Z"}])
def test_versioned_must_be_true_or_false(versioned: Any, load_versions: Any) -> None:
    # "no" is a non-empty string: taken by its truth value it would mean versioned.
    config = {"x": {"type": "text.TextDataset", "filepath": "x.txt", "versioned": versioned}}
    with pytest.raises(DatasetError) as info:
        DataCatalog.from_config(config, load_versions=load_versions, source="conf/base/catalog.yml")
    assert str(info.value) == (
        "conf/base/catalog.yml: catalog entry 'x': 'versioned' must be true or false, "
        f"not a {type(versioned).__name__}"
    )


# -- load / save / errors ------------------------------------------------------------------


def test_unknown_names_suggest_close_ones() -> None:
    catalog = DataCatalog({"companies": MemoryDataset(1)})
    for action in (
        lambda: catalog.load("compnies"),
        lambda: catalog.save("compnies", 1),
        lambda: catalog.release("compnies"),
        lambda: catalog.get_dataset("compnies"),
    ):
        with pytest.raises(DatasetError) as info:
            action()
        assert (
            str(info.value) == "Dataset 'compnies' is not in the catalog. Did you mean 'companies'?"
        )
        assert info.value.__cause__ is None
    assert catalog.exists("compnies") is False  # as in Kedro: an unknown name has no data


def test_dataset_failures_are_wrapped_with_name_type_and_path(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    catalog = DataCatalog({"doc": JSONDataset(path), "empty": MemoryDataset()})
    with pytest.raises(DatasetError) as info:
        catalog.load("doc")
    message = str(info.value)
    assert message.startswith(f"Failed to load dataset 'doc' (json.JSONDataset at {path}): ")
    assert "JSONDecodeError: Expecting property name" in message
    assert isinstance(info.value.__cause__, json.JSONDecodeError)

    with pytest.raises(DatasetError, match=r"^Failed to save dataset 'doc' \(json.JSONDataset at .*"
                       r"TypeError: Object of type set is not JSON serializable"):  # fmt: skip
        catalog.save("doc", {1, 2})
    assert path.read_text() == "{not json"

    with pytest.raises(DatasetError) as empty:
        catalog.load("empty")
    assert str(empty.value) == (
        "Failed to load dataset 'empty' (MemoryDataset): "
        "MemoryDataset has no data: nothing was saved to it (or released)"
    )


def test_add_replace_and_feed_dict() -> None:
    catalog = DataCatalog()
    first = MemoryDataset(1)
    catalog.add("a", first)
    with pytest.raises(DatasetError, match="'a' is already in the catalog"):
        catalog.add("a", MemoryDataset(2))
    assert catalog.load("a") == 1
    catalog.add("a", MemoryDataset(2), replace=True)
    assert catalog.load("a") == 2
    with pytest.raises(DatasetError, match="a list is not a dataset"):
        catalog.add("b", [1, 2])  # type: ignore[arg-type]
    custom = MemoryDataset("kept")
    catalog.add_feed_dict({"a": 3, "c": custom}, replace=True)
    assert catalog.load("a") == 3
    assert catalog.get_dataset("c") is custom
    with pytest.raises(DatasetError, match="already in the catalog"):
        catalog.add_feed_dict({"a": 4})  # as in Kedro, replacing must be asked for
    assert catalog.load("a") == 3


def test_add_parameters_registers_every_key_path() -> None:
    catalog = DataCatalog()
    params = {"model_options": {"test_size": 0.2, "features": ["a", "b"], "inner": {"k": None}},
              "seed": 1}  # fmt: skip
    catalog.add_parameters(params)
    assert sorted(catalog.list()) == [
        "parameters",
        "params:model_options",
        "params:model_options.features",
        "params:model_options.inner",
        "params:model_options.inner.k",
        "params:model_options.test_size",
        "params:seed",
    ]
    assert catalog.load("parameters") == params
    assert catalog.load("params:model_options.test_size") == 0.2
    assert catalog.load("params:model_options.inner.k") is None
    assert catalog.load("params:model_options")["features"] == ["a", "b"]
    assert catalog.is_memory("params:seed")

    catalog.add_parameters({"seed": 2})
    assert sorted(catalog.list()) == ["parameters", "params:seed"]
    assert catalog.load("params:seed") == 2
    with pytest.raises(DatasetError, match="Did you mean 'params:seed'"):
        catalog.load("params:sed")


def test_queries(tmp_path: Path) -> None:
    catalog = DataCatalog(
        {
            "raw": JSONDataset(tmp_path / "raw.json"),
            "mem": MemoryDataset(),
            "model": MemoryDataset(1),
        }
    )
    assert "raw" in catalog
    assert "nope" not in catalog
    assert list(catalog) == ["raw", "mem", "model"]
    assert catalog.list("^m") == ["mem", "model"]
    with pytest.raises(DatasetError, match="Invalid regular expression"):
        catalog.list("(")
    assert not catalog.is_memory("raw")
    assert catalog.is_memory("mem")
    assert catalog.is_memory("not-registered")
    assert not catalog.exists("raw")
    catalog.save("raw", [1])
    assert catalog.exists("raw")
    assert not catalog.exists("mem")
    catalog.release("model")
    assert not catalog.exists("model")
    assert (
        repr(catalog)
        == "DataCatalog({raw: json.JSONDataset, mem: MemoryDataset, model: MemoryDataset})"
    )


def test_shallow_copy_shares_datasets_but_not_names() -> None:
    catalog = DataCatalog({"a": MemoryDataset(1)})
    copied = catalog.shallow_copy()
    copied.add("b", MemoryDataset(2))
    assert "b" not in catalog
    assert copied.get_dataset("a") is catalog.get_dataset("a")


# -- the hot path --------------------------------------------------------------------------


def test_memory_load_hands_back_the_same_object() -> None:
    frame = pd.DataFrame({"a": range(1000)})
    catalog = DataCatalog()
    catalog.add_feed_dict({"frame": frame})
    assert catalog.load("frame") is frame
    catalog.save("frame", frame)
    assert catalog.load("frame") is frame


def test_memory_load_and_save_are_cheap() -> None:
    # A generous bound (the target is ~2 microseconds): it catches logging, locking or copying
    # creeping onto the hot path, not a slow machine.
    catalog = DataCatalog({"x": MemoryDataset(0)})
    rounds = 50_000
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for i in range(rounds):
            catalog.save("x", i)
            catalog.load("x")
        best = min(best, (time.perf_counter() - start) / rounds)
    assert best < 20e-6, f"{best * 1e6:.2f} microseconds per save+load"


def test_threads_use_different_datasets_concurrently() -> None:
    names = [f"d{i}" for i in range(8)]
    catalog = DataCatalog({name: MemoryDataset() for name in names})
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            for i in range(5_000):
                catalog.save(name, (name, i))
                assert catalog.load(name) == (name, i)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(name,)) for name in names]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(catalog.load(name) == (name, 4_999) for name in names)


def test_failure_message_format_is_stable() -> None:
    class Failing(AbstractDataset):
        def load(self) -> Any:
            raise KeyError("column 'x'")

        def save(self, data: Any) -> None:
            raise ValueError("")

    catalog = DataCatalog({"f": Failing()})
    name = f"{Failing.__module__}.{Failing.__qualname__}"
    with pytest.raises(
        DatasetError, match=re.escape(f"Failed to load dataset 'f' ({name}): KeyError")
    ):
        catalog.load("f")
    with pytest.raises(
        DatasetError, match=re.escape(f"Failed to save dataset 'f' ({name}): ValueError")
    ):
        catalog.save("f", 1)
