"""Catalog types map to what hookline resolves; comments, quotes and anchors stay."""

from __future__ import annotations

from hookline.porting.catalog_types import edit_catalog, hookline_type

CATALOG = """\
# Every kind of entry a Kedro catalog has.
_csv: &csv
  type: pandas.CSVDataset  # hookline's own, same arguments
  load_args: {sep: ","}

companies:
  <<: *csv
  filepath: data/01_raw/companies.csv

shuttles:
  type: 'pandas.ExcelDataset'   # no hookline counterpart
  filepath: data/01_raw/shuttles.xlsx

reviews:
  type: kedro_datasets.pandas.CSVDataset
  filepath: data/01_raw/reviews.csv

"{name}_model":
  type: pickle.PickleDataset
  filepath: data/06_models/{name}.pkl
  versioned: true

remote_pickle:
  type: pickle.PickleDataset
  filepath: data/x.pkl
  protocol_only_kedro_takes: 5

"{default}":
  type: MemoryDataset

cached:
  type: CachedDataset
  dataset: {type: pandas.CSVDataset, filepath: data/c.csv}

own:
  type: shop.datasets.ShopDataset

templated:
  type: ${_dataset_type}
"""


def test_each_entry_gets_the_type_hookline_resolves_and_the_rest_of_the_file_stays() -> None:
    edit = edit_catalog(CATALOG, "conf/base/catalog.yml")
    assert edit.text == (
        CATALOG.replace("'pandas.ExcelDataset'", "'kedro_datasets.pandas.ExcelDataset'")
        .replace("type: kedro_datasets.pandas.CSVDataset", "type: pandas.CSVDataset")
        .replace(
            "type: pickle.PickleDataset\n  filepath: data/x.pkl",
            "type: kedro_datasets.pickle.PickleDataset\n  filepath: data/x.pkl",
        )
    )
    assert [(c.line, c.description) for c in edit.changes] == [
        (11, "type pandas.ExcelDataset -> kedro_datasets.pandas.ExcelDataset"),
        (15, "type kedro_datasets.pandas.CSVDataset -> pandas.CSVDataset"),
        (24, "type pickle.PickleDataset -> kedro_datasets.pickle.PickleDataset"),
    ]
    [finding] = edit.not_ported
    assert (finding.file, finding.line, finding.api) == (
        "conf/base/catalog.yml",
        32,
        "kedro.io.CachedDataset",
    )
    assert "'cached'" in finding.action


def test_type_mapping_follows_kedros_lookup_order() -> None:
    assert hookline_type("MemoryDataset", {"copy_mode"}) == "MemoryDataset"
    assert hookline_type("kedro.io.MemoryDataset", set()) == "MemoryDataset"
    assert hookline_type("SharedMemoryDataset", set()) is None
    assert hookline_type("pandas.ParquetDataset", {"filepath", "credentials"}) == (
        "pandas.ParquetDataset"
    )
    assert hookline_type("polars.CSVDataset", {"filepath"}) == "kedro_datasets.polars.CSVDataset"
    assert hookline_type("kedro_datasets.polars.CSVDataset", set()) == (
        "kedro_datasets.polars.CSVDataset"
    )
    assert hookline_type("my_pkg.io.Thing", {"x"}) == "my_pkg.io.Thing"


def test_a_catalog_that_is_not_a_mapping_is_left_alone() -> None:
    assert edit_catalog("[]\n", "c.yml").text == "[]\n"
