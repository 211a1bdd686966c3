"""kedro-datasets' own classes in a hookline catalog: named by dotted path or by their short
name, with their arguments, versioning and factories, under the runners and the hooks.

Runs where kedro-datasets is installed (``nox -s kedro_parity``); the core's test environment
has neither Kedro nor kedro-datasets, and tests/core/test_kedro_style_datasets.py covers the
same behaviour there with a class of its own.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pd = pytest.importorskip("pandas")
kedro_pandas = pytest.importorskip("kedro_datasets.pandas")

from hookline import DataCatalog, node, pipeline  # noqa: E402
from hookline.datasets import CSVDataset, KedroStyleDataset, dataset_type_name  # noqa: E402
from hookline.hooks.manager import create_hook_manager  # noqa: E402
from hookline.runner import ParallelRunner, SequentialRunner  # noqa: E402
from hookline.testing import RecordingHooks  # noqa: E402

KEDRO_CSV = "kedro_datasets.pandas.CSVDataset"
FRAME = {"id": [1, 2, 3], "price": [10.5, 20.0, 30.25]}


def add_tax(table: Any) -> Any:
    return table.assign(price=table["price"] * 1.2)


def wrapped(catalog: DataCatalog, name: str) -> Any:
    dataset = catalog.get_dataset(name)
    assert isinstance(dataset, KedroStyleDataset)
    return dataset.wrapped


def test_hooklines_short_name_wins_and_the_dotted_path_reaches_kedro_datasets(
    tmp_path: Path,
) -> None:
    catalog = DataCatalog.from_config(
        {
            "ours": {"type": "pandas.CSVDataset", "filepath": "ours.csv"},
            "theirs": {"type": KEDRO_CSV, "filepath": "theirs.csv"},
        },
        project_path=tmp_path,
    )
    assert isinstance(catalog.get_dataset("ours"), CSVDataset)
    assert isinstance(wrapped(catalog, "theirs"), kedro_pandas.CSVDataset)
    assert str(catalog.get_dataset("theirs").filepath) == str(tmp_path / "theirs.csv")
    assert dataset_type_name(catalog.get_dataset("theirs")) == (
        "kedro_datasets.pandas.csv_dataset.CSVDataset"
    )


def test_a_short_name_only_kedro_datasets_has_resolves_there(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"table": {"type": "pandas.JSONDataset", "filepath": "table.json"}},
        project_path=tmp_path,
    )
    assert isinstance(wrapped(catalog, "table"), kedro_pandas.JSONDataset)
    catalog.save("table", pd.DataFrame(FRAME))
    pd.testing.assert_frame_equal(catalog.load("table"), pd.DataFrame(FRAME))


def test_arguments_reach_the_kedro_datasets_class(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "prices": {
                "type": KEDRO_CSV,
                "filepath": "memory://bucket/prices.csv",
                "load_args": {"sep": ";"},
                "save_args": {"sep": ";", "index": False},
                "credentials": "bucket",
                "metadata": {"owner": "pricing"},
            }
        },
        {"bucket": {"skip_instance_cache": True}},
        project_path=tmp_path,
    )
    inner = wrapped(catalog, "prices")
    assert inner._storage_options == {"skip_instance_cache": True}
    assert catalog.get_dataset("prices").metadata == {"owner": "pricing"}
    assert not catalog.exists("prices")
    catalog.save("prices", pd.DataFrame(FRAME))
    assert catalog.exists("prices")
    assert inner._fs.cat_file(str(inner._filepath)).decode().splitlines()[0] == "id;price"
    pd.testing.assert_frame_equal(catalog.load("prices"), pd.DataFrame(FRAME))


def test_versioned_true_gives_the_class_its_own_versioning(tmp_path: Path) -> None:
    entry = {"type": KEDRO_CSV, "filepath": "data/prices.csv", "versioned": True,
             "save_args": {"index": False}}  # fmt: skip
    for version, price in (("2026-12-01T00.00.00.000Z", 1.0), ("2026-12-02T00.00.00.000Z", 2.0)):
        DataCatalog.from_config(
            {"prices": entry}, save_version=version, project_path=tmp_path
        ).save("prices", pd.DataFrame({"price": [price]}))
    folder = tmp_path / "data" / "prices.csv"
    assert sorted(p.name for p in folder.iterdir()) == [
        "2026-12-01T00.00.00.000Z",
        "2026-12-02T00.00.00.000Z",
    ]
    newest = DataCatalog.from_config({"prices": entry}, project_path=tmp_path)
    assert newest.load("prices")["price"].tolist() == [2.0]
    pinned = DataCatalog.from_config(
        {"prices": entry},
        load_versions={"prices": "2026-12-01T00.00.00.000Z"},
        project_path=tmp_path,
    )
    assert pinned.load("prices")["price"].tolist() == [1.0]
    assert pinned.get_dataset("prices").resolve_load_path() == str(  # type: ignore[attr-defined]
        folder / "2026-12-01T00.00.00.000Z" / "prices.csv"
    )


def test_a_factory_pattern_with_a_kedro_datasets_class(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {
            "{name}_table": {
                "type": KEDRO_CSV,
                "filepath": "data/{name}.csv",
                "save_args": {"index": False},
            }
        },
        project_path=tmp_path,
    )
    catalog.save("cars_table", pd.DataFrame(FRAME))
    assert (tmp_path / "data" / "cars.csv").read_text().splitlines()[0] == "id,price"


def test_the_excel_dataset_by_its_short_name(tmp_path: Path) -> None:
    pytest.importorskip("openpyxl")
    catalog = DataCatalog.from_config(
        {
            "sheet": {
                "type": "pandas.ExcelDataset",
                "filepath": "sheet.xlsx",
                "load_args": {"sheet_name": "prices"},
                "save_args": {"sheet_name": "prices", "index": False},
            }
        },
        project_path=tmp_path,
    )
    assert isinstance(wrapped(catalog, "sheet"), kedro_pandas.ExcelDataset)
    catalog.save("sheet", pd.DataFrame(FRAME))
    pd.testing.assert_frame_equal(catalog.load("sheet"), pd.DataFrame(FRAME))


@pytest.mark.parametrize(
    "runner", [SequentialRunner(), ParallelRunner(max_workers=2)], ids=["sequential", "parallel"]
)
def test_every_dataset_hook_fires_for_kedro_datasets_classes(tmp_path: Path, runner: Any) -> None:
    hooks = RecordingHooks(tmp_path / "hooks.jsonl")
    entries = {
        "raw": {"type": KEDRO_CSV, "filepath": "raw.csv", "save_args": {"index": False}},
        "taxed": {"type": KEDRO_CSV, "filepath": "taxed.csv", "save_args": {"index": False}},
    }
    catalog = DataCatalog.from_config(entries, project_path=tmp_path)
    catalog.save("raw", pd.DataFrame(FRAME))
    pipe = pipeline([node(add_tax, "raw", "taxed", name="add_tax")])
    runner.run(pipe, catalog, create_hook_manager((hooks,), load_entry_points=False), "sid")
    taxed = DataCatalog.from_config(entries, project_path=tmp_path).load("taxed")
    assert taxed["price"].tolist() == pytest.approx([12.6, 24.0, 36.3])
    assert [call for call in hooks.calls if "dataset" in call[0]] == [
        ("before_dataset_loaded", "raw"),
        ("after_dataset_loaded", "raw"),
        ("before_dataset_saved", "taxed"),
        ("after_dataset_saved", "taxed"),
    ]
