"""Dataset classes written for Kedro, named by dotted path in catalog.yml.

Kedro is not installed here: the classes below have Kedro's dataset interface without
importing it (as a project's own dataset would), and a package named ``kedro_datasets``
written to disk stands in for kedro-datasets to check how short type names resolve. The real
kedro-datasets classes are exercised in tests/kedro_parity/test_kedro_datasets_classes.py.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from hookline import DataCatalog, node, pipeline
from hookline.datasets import (
    CSVDataset,
    KedroStyleDataset,
    Version,
    dataset_type_name,
    resolve_dataset_type,
)
from hookline.errors import DatasetError
from hookline.hooks.manager import create_hook_manager
from hookline.runner import ParallelRunner, SequentialRunner
from hookline.testing import RecordingHooks
from tests.support import ProjectFactory

from .conftest import hookline


class JSONLinesDataset:
    """Kedro 0.19+'s interface: public load and save, _describe, _exists, _release."""

    def __init__(
        self,
        filepath: str,
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        version: Any = None,
    ) -> None:
        self._filepath = PurePosixPath(filepath)
        self._protocol = "file"
        self._load_args = load_args or {}
        self._save_args = save_args or {}
        self._credentials = credentials or {}
        self._version = version
        self.metadata = metadata
        self.released = 0

    def _path(self, version: str | None) -> Path:
        if self._version is None:
            return Path(str(self._filepath))
        if version is None:  # the newest, as Kedro's versioned datasets load
            version = sorted(p.name for p in Path(str(self._filepath)).iterdir())[-1]
        return Path(str(self._filepath)) / version / self._filepath.name

    def _get_load_path(self) -> Path:
        """What Kedro's versioned datasets name the file they load."""
        return self._path(None if self._version is None else self._version.load)

    def load(self) -> list[Any]:
        text = self._get_load_path().read_text()
        rows = [json.loads(line) for line in text.splitlines()]
        return rows[: self._load_args["limit"]] if "limit" in self._load_args else rows

    def save(self, data: list[Any]) -> None:
        path = self._path(None if self._version is None else self._version.save)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(row, **self._save_args) + "\n" for row in data))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "password": "never-shown", "version": None}

    def _exists(self) -> bool:
        return Path(str(self._filepath)).exists()

    def _release(self) -> None:
        self.released += 1


class OlderStyleDataset:
    """Kedro 0.18's interface: _load and _save (Kedro's base class made them public)."""

    def __init__(self, value: int = 0) -> None:
        self._value = value

    def _load(self) -> int:
        return self._value

    def _save(self, data: int) -> None:
        self._value = data

    def _describe(self) -> dict[str, Any]:
        return {"value": self._value}


class NotADataset:
    """Loads but cannot save, and describes nothing."""

    def load(self) -> int:
        return 1


HERE = __name__


def double_rows(rows: list[dict[str, int]]) -> list[dict[str, int]]:
    return [{"x": row["x"] * 2} for row in rows]


def test_a_kedro_style_class_is_wrapped_and_gets_its_arguments(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "rows": {
                "type": f"{HERE}.JSONLinesDataset",
                "filepath": "data/rows.jsonl",
                "load_args": {"limit": 2},
                "save_args": {"sort_keys": True},
                "credentials": "store",
                "metadata": {"owner": "ann"},
            }
        },
        {"store": {"token": "tok-secret-1"}},
        project_path=tmp_path,
    )
    dataset = catalog.get_dataset("rows")
    assert isinstance(dataset, KedroStyleDataset)
    inner = dataset.wrapped
    assert isinstance(inner, JSONLinesDataset)
    assert inner._credentials == {"token": "tok-secret-1"}
    assert dataset.metadata == {"owner": "ann"}
    assert str(dataset.filepath) == str(tmp_path / "data" / "rows.jsonl")
    assert dataset_type_name(dataset) == f"{HERE}.JSONLinesDataset"
    assert not catalog.exists("rows")
    catalog.save("rows", [{"x": 1, "a": 0}, {"x": 2}, {"x": 3}])
    assert catalog.exists("rows")
    assert (tmp_path / "data" / "rows.jsonl").read_text().startswith('{"a": 0, "x": 1}')
    assert catalog.load("rows") == [{"x": 1, "a": 0}, {"x": 2}]
    catalog.release("rows")
    assert inner.released == 1
    # _describe is shown with secret-looking values hidden.
    assert dataset.describe()["password"] == "***"
    assert "never-shown" not in repr(dataset)


def test_an_older_kedro_style_class_with_underscored_methods(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config({"n": {"type": f"{HERE}.OlderStyleDataset", "value": 4}})
    assert catalog.load("n") == 4
    catalog.save("n", 5)
    assert catalog.load("n") == 5
    assert catalog.exists("n") is False  # no exists of its own: it cannot tell
    catalog.release("n")  # no release of its own: nothing to do


def test_versioned_true_passes_a_version_with_kedros_fields(tmp_path: Path) -> None:
    entry = {"type": f"{HERE}.JSONLinesDataset", "filepath": "rows.jsonl", "versioned": True}
    first = DataCatalog.from_config(
        {"rows": entry}, save_version="2026-12-01T00.00.00.000Z", project_path=tmp_path
    )
    inner = first.get_dataset("rows").wrapped  # type: ignore[attr-defined]
    # Kedro's classes take `version` alone: `versioned` is not passed on.
    assert inner._version == Version(None, "2026-12-01T00.00.00.000Z")
    assert (inner._version.load, inner._version.save) == (None, "2026-12-01T00.00.00.000Z")
    first.save("rows", [{"x": 1}])
    DataCatalog.from_config(
        {"rows": entry}, save_version="2026-12-02T00.00.00.000Z", project_path=tmp_path
    ).save("rows", [{"x": 2}])
    pinned = DataCatalog.from_config(
        {"rows": entry},
        load_versions={"rows": "2026-12-01T00.00.00.000Z"},
        project_path=tmp_path,
    )
    assert pinned.load("rows") == [{"x": 1}]
    newest = DataCatalog.from_config({"rows": entry}, project_path=tmp_path)
    assert newest.load("rows") == [{"x": 2}]
    expected = tmp_path / "rows.jsonl" / "2026-12-01T00.00.00.000Z" / "rows.jsonl"
    assert pinned.get_dataset("rows").resolve_load_path() == str(expected)  # type: ignore[attr-defined]


def test_a_kedro_style_class_in_a_factory_pattern(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"{name}_rows": {"type": f"{HERE}.JSONLinesDataset", "filepath": "{name}.jsonl"}},
        project_path=tmp_path,
    )
    catalog.save("cars_rows", [{"x": 1}])
    assert (tmp_path / "cars.jsonl").is_file()


@pytest.mark.parametrize("runner", [SequentialRunner(), ParallelRunner(max_workers=2)])
def test_every_dataset_hook_fires_for_a_kedro_style_dataset(
    tmp_path: Path, runner: Any, recording_hooks: RecordingHooks
) -> None:
    entry = {"type": f"{HERE}.JSONLinesDataset"}
    catalog = DataCatalog.from_config(
        {
            "source": {**entry, "filepath": "source.jsonl"},
            "doubled": {**entry, "filepath": "doubled.jsonl"},
        },
        project_path=tmp_path,
    )
    catalog.save("source", [{"x": 1}, {"x": 2}])
    pipe = pipeline([node(double_rows, "source", "doubled", name="double")])
    manager = create_hook_manager((recording_hooks,), load_entry_points=False)
    runner.run(pipe, catalog, manager, "sid")
    assert DataCatalog.from_config(
        {"doubled": {**entry, "filepath": "doubled.jsonl"}}, project_path=tmp_path
    ).load("doubled") == [{"x": 2}, {"x": 4}]
    calls = [call for call in recording_hooks.calls if "dataset" in call[0]]
    assert calls == [
        ("before_dataset_loaded", "source"),
        ("after_dataset_loaded", "source"),
        ("before_dataset_saved", "doubled"),
        ("after_dataset_saved", "doubled"),
    ]


# -- resolving type names --------------------------------------------------------------------


@pytest.fixture
def fake_kedro_datasets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A package named ``kedro_datasets`` on the path, with a Kedro-style
    ``pandas.ExcelDataset`` and a ``pandas.CSVDataset`` of its own."""
    package = tmp_path / "fake_site" / "kedro_datasets"
    (package / "pandas").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "pandas" / "__init__.py").write_text(
        textwrap.dedent(
            """
            class _Kedroish:
                def __init__(self, filepath=""):
                    self._filepath = filepath
                def load(self):
                    return "loaded " + self._filepath
                def save(self, data):
                    pass
                def _describe(self):
                    return {"filepath": self._filepath}

            class ExcelDataset(_Kedroish):
                pass

            class CSVDataset(_Kedroish):
                pass
            """
        )
    )
    monkeypatch.syspath_prepend(str(package.parent))
    yield package
    for name in [n for n in sys.modules if n.split(".")[0] == "kedro_datasets"]:
        del sys.modules[name]


def test_a_kedro_datasets_short_name_resolves_when_installed(fake_kedro_datasets: Path) -> None:
    excel = resolve_dataset_type("pandas.ExcelDataset")
    assert excel.__module__ == "kedro_datasets.pandas"
    assert resolve_dataset_type("kedro_datasets.pandas.ExcelDataset") is excel
    catalog = DataCatalog.from_config({"sheet": {"type": "pandas.ExcelDataset", "filepath": "s"}})
    assert catalog.load("sheet") == "loaded s"


def test_hooklines_short_names_keep_meaning_hooklines_datasets(fake_kedro_datasets: Path) -> None:
    assert resolve_dataset_type("pandas.CSVDataset") is CSVDataset
    # The full path still reaches kedro-datasets' own class.
    kedros = resolve_dataset_type("kedro_datasets.pandas.CSVDataset")
    assert kedros.__module__ == "kedro_datasets.pandas"
    # A project's own dotted path is not taken for a kedro-datasets name.
    assert resolve_dataset_type(f"{HERE}.OlderStyleDataset") is OlderStyleDataset
    assert resolve_dataset_type("hookline.datasets.text.TextDataset").__name__ == "TextDataset"


def test_a_kedro_datasets_name_without_kedro_datasets_says_what_to_install() -> None:
    with pytest.raises(DatasetError) as info:
        resolve_dataset_type("pandas.ExcelDataset")
    assert "Unknown dataset type 'pandas.ExcelDataset'" in str(info.value)
    assert "kedro-datasets" in str(info.value)


def test_a_dotted_type_that_is_not_a_dataset_names_the_file_and_entry() -> None:
    with pytest.raises(DatasetError) as info:
        DataCatalog.from_config(
            {"counts": {"type": f"{HERE}.NotADataset"}}, source="conf/base/catalog.yml"
        )
    message = str(info.value)
    assert message.startswith("conf/base/catalog.yml: catalog entry 'counts': Dataset type")
    assert "is not a dataset class" in message
    assert "Kedro's dataset interface" in message


NODES = """
def copy(x):
    return x
"""

REGISTRY = """
return {"__default__": pipeline([
    node(copy, "params:x", "first", name="copy"),
    node(copy, "first", "second", name="copy_again"),
])}
"""


def test_the_cli_exits_2_and_writes_nothing_for_a_type_that_is_not_a_dataset(
    make_project: ProjectFactory,
) -> None:
    project = make_project(
        NODES,
        REGISTRY,
        conf={
            "base/parameters.yml": "x: 1\n",
            "base/catalog.yml": (
                "first:\n  type: pickle.PickleDataset\n  filepath: data/first.pkl\n"
                "second:\n  type: pathlib.PurePosixPath\n"
            ),
        },
    )
    done = hookline(project, "run")
    assert done.returncode == 2, done.stderr
    assert "catalog.yml: catalog entry 'second'" in done.stderr
    assert "'pathlib.PurePosixPath' is not a dataset class" in done.stderr
    assert not (project / "data").exists()
