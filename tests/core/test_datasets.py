"""Datasets on real files: round trips, atomic saves, versioning, secrets, lazy imports."""

from __future__ import annotations

import gzip
import json
import os
import pickle
import re
import stat
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import pandas as pd
import pytest

from hookline.datasets import (
    DATASET_TYPES,
    VERSION_FORMAT,
    AbstractDataset,
    MemoryDataset,
    Version,
    atomic_write,
    dataset_type_name,
    generate_timestamp,
    resolve_dataset_type,
)
from hookline.datasets.json import JSONDataset
from hookline.datasets.pandas import CSVDataset, ParquetDataset
from hookline.datasets.pickle import PickleDataset
from hookline.datasets.text import TextDataset
from hookline.datasets.yaml import YAMLDataset
from hookline.errors import DatasetError

SECRET = "hunter2-Zq9-planted-secret"
CORE_SRC = Path(__file__).resolve().parents[2] / "core" / "src"


def _frame() -> pd.DataFrame:
    frame: pd.DataFrame = pd.DataFrame(
        {"id": [1, 2, 3], "name": ["a", "b", "c"], "score": [0.5, 1.5, 2.5]}
    )
    return frame


def _leftovers(folder: Path) -> list[str]:
    """Files that a save could have left behind: anything starting with a dot."""
    return sorted(p.name for p in folder.rglob(".*"))


class _Unpicklable:
    def __reduce__(self) -> Any:
        raise TypeError("this object refuses to be pickled")


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("cannot render this cell")

    __repr__ = __str__
    __format__ = lambda self, spec: str(self)  # noqa: E731


# -- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("factory", "data"),
    [
        (lambda p: PickleDataset(p / "obj.pkl"), {"a": [1, 2, {"b": (3, 4)}], "c": None}),
        (lambda p: JSONDataset(p / "obj.json"), {"a": [1, 2.5, "é"], "b": {"c": None}}),
        (lambda p: YAMLDataset(p / "obj.yml"), {"a": [1, 2.5, "é"], "b": {"c": None}}),
        (lambda p: TextDataset(p / "obj.txt"), "line one\nligne deux é\n"),
    ],
    ids=["pickle", "json", "yaml", "text"],
)
def test_file_datasets_round_trip(factory: Any, data: Any, tmp_path: Path) -> None:
    dataset = factory(tmp_path / "sub" / "folder")
    assert not dataset.exists()
    dataset.save(data)
    assert dataset.exists()
    assert dataset.load() == data
    # A second dataset object on the same file reads what the first wrote.
    assert factory(tmp_path / "sub" / "folder").load() == data
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("cls", [CSVDataset, ParquetDataset], ids=["csv", "parquet"])
def test_pandas_datasets_round_trip(cls: type[CSVDataset], tmp_path: Path) -> None:
    dataset = cls(tmp_path / f"frame.{cls.__name__.lower()}")
    frame = _frame()
    dataset.save(frame)
    pd.testing.assert_frame_equal(dataset.load(), frame)


def test_csv_default_save_args_drop_the_index_and_load_args_apply(tmp_path: Path) -> None:
    path = tmp_path / "frame.csv"
    CSVDataset(path).save(_frame())
    assert path.read_text().splitlines()[0] == "id,name,score"
    loaded = CSVDataset(path, load_args={"usecols": ["name"]}).load()
    assert list(loaded.columns) == ["name"]


def test_csv_keeps_compression_inferred_from_the_name(tmp_path: Path) -> None:
    # The temporary file keeps the target's suffixes, so pandas still infers gzip.
    path = tmp_path / "frame.csv.gz"
    CSVDataset(path).save(_frame())
    assert path.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(path.read_bytes()).startswith(b"id,name,score")
    pd.testing.assert_frame_equal(CSVDataset(path).load(), _frame())


def test_pandas_datasets_refuse_what_is_not_a_frame(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"can only save a pandas DataFrame, got list"):
        CSVDataset(tmp_path / "x.csv").save([1, 2])
    assert list(tmp_path.iterdir()) == []


def test_text_dataset_refuses_bytes(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="can only save a str, got bytes"):
        TextDataset(tmp_path / "x.txt").save(b"bytes")


def test_json_save_args_and_encoding(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    JSONDataset(path, save_args={"indent": None, "ensure_ascii": False}).save({"k": "é"})
    assert path.read_text(encoding="utf-8") == '{"k": "é"}'
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café".encode("latin-1"))
    dataset = TextDataset(latin, fs_args={"open_args_load": {"encoding": "latin-1"}})
    assert dataset.load() == "café"


def test_pickle_backend_must_be_importable(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="Pickle backend 'no_such_module_xyz'"):
        PickleDataset(tmp_path / "x.pkl", backend="no_such_module_xyz")
    with pytest.raises(DatasetError, match="has no load"):
        PickleDataset(tmp_path / "x.pkl", backend="textwrap").save(1)


def test_loading_a_missing_file_names_it(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(DatasetError, match=re.escape(f"File {path} does not exist")):
        JSONDataset(path).load()


def test_filepath_and_kedro_alias(tmp_path: Path) -> None:
    dataset = CSVDataset(tmp_path / "a.csv")
    assert dataset.filepath == PurePosixPath(tmp_path / "a.csv")
    assert isinstance(dataset.filepath, PurePosixPath)
    assert dataset._filepath == dataset.filepath
    assert dataset.location == str(tmp_path / "a.csv")
    assert MemoryDataset().filepath is None
    assert MemoryDataset().location is None


def test_a_dataset_ported_from_kedro_may_set_its_own_filepath_and_skip_init() -> None:
    class KedroStyle(AbstractDataset):
        def __init__(self, filepath: str) -> None:
            self._filepath = filepath  # what Kedro datasets do

        def load(self) -> Any:
            return 1

        def save(self, data: Any) -> None:
            pass

    dataset = KedroStyle("data/x.bin")
    assert dataset.filepath == PurePosixPath("data/x.bin")
    assert dataset._filepath == "data/x.bin"
    assert dataset.location == "data/x.bin"
    assert dataset.metadata == {}
    assert dataset.exists() is False


# -- atomic writes -------------------------------------------------------------------------


def test_atomic_write_replaces_the_file_and_creates_folders(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.bin"
    atomic_write(target, lambda tmp: tmp.write_bytes(b"first"))
    atomic_write(target, lambda tmp: tmp.write_bytes(b"second"))
    assert target.read_bytes() == b"second"
    assert _leftovers(tmp_path) == []


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.bin"
    target.write_bytes(b"precious")
    seen: list[Path] = []

    def write(tmp: Path) -> None:
        seen.append(tmp)
        tmp.write_bytes(b"half")
        raise OSError("disk on fire")

    with pytest.raises(OSError, match="disk on fire"):
        atomic_write(target, write)
    assert target.read_bytes() == b"precious"
    assert len(seen) == 1
    assert seen[0].parent == tmp_path
    assert not seen[0].exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_atomic_write_leaves_no_temp_file_on_keyboard_interrupt(tmp_path: Path) -> None:
    def write(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "x", write)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_saved_files_get_the_usual_permissions(tmp_path: Path) -> None:
    # mkstemp would create 0600 files; a saved dataset must be as readable as open() makes it.
    old = os.umask(0o022)
    try:
        JSONDataset(tmp_path / "x.json").save([1])
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "x.json").stat().st_mode) == 0o644


def test_pickle_failing_half_way_keeps_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    dataset = PickleDataset(path)
    dataset.save({"version": 1})
    before = path.read_bytes()
    # Large enough that the pickler has flushed frames to the file before it fails.
    with pytest.raises(TypeError, match="refuses to be pickled"):
        dataset.save([b"x" * 500_000, _Unpicklable()])
    assert path.read_bytes() == before
    assert dataset.load() == {"version": 1}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pkl"]


def test_json_failing_half_way_keeps_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    dataset = JSONDataset(path)
    dataset.save({"ok": True})
    before = path.read_bytes()
    with pytest.raises(TypeError, match="not JSON serializable"):
        dataset.save({"big": ["y" * 1000] * 1000, "bad": object()})
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["doc.json"]


def test_csv_writer_raising_keeps_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "frame.csv"
    dataset = CSVDataset(path)
    dataset.save(_frame())
    before = path.read_bytes()
    bad = pd.DataFrame({"v": ["fine"] * 50_000 + [_Unprintable()]})
    with pytest.raises(RuntimeError, match="cannot render this cell"):
        dataset.save(bad)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frame.csv"]


def test_parquet_writer_raising_keeps_the_previous_file(tmp_path: Path) -> None:
    path = tmp_path / "frame.parquet"
    dataset = ParquetDataset(path)
    dataset.save(_frame())
    before = path.read_bytes()
    # pyarrow cannot convert an arbitrary object column.
    with pytest.raises(Exception, match=r"(?i)object|convert|type"):
        dataset.save(pd.DataFrame({"v": [object(), object()]}))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frame.parquet"]


# -- versioning ----------------------------------------------------------------------------


def test_generate_timestamp_has_the_version_format() -> None:
    stamp = generate_timestamp()
    assert VERSION_FORMAT == "%Y-%m-%dT%H.%M.%S.%fZ"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d\.\d\d\.\d\d\.\d{6}Z", stamp)


def test_versioned_save_then_load_newest(tmp_path: Path) -> None:
    path = tmp_path / "cars.json"
    JSONDataset(path, version=Version(None, "2024-01-01T00.00.00.000000Z")).save({"v": 1})
    JSONDataset(path, version=Version(None, "2024-06-01T00.00.00.000000Z")).save({"v": 2})
    assert (path / "2024-01-01T00.00.00.000000Z" / "cars.json").is_file()
    assert (path / "2024-06-01T00.00.00.000000Z" / "cars.json").is_file()
    latest = JSONDataset(path, versioned=True)
    assert latest.load() == {"v": 2}
    assert latest.list_versions() == ["2024-01-01T00.00.00.000000Z", "2024-06-01T00.00.00.000000Z"]
    assert latest.resolve_load_path() == str(path / "2024-06-01T00.00.00.000000Z" / "cars.json")
    assert latest.exists()


def test_versioned_save_without_save_version_uses_a_fresh_timestamp(tmp_path: Path) -> None:
    dataset = TextDataset(tmp_path / "note.txt", versioned=True)
    assert not dataset.exists()
    dataset.save("one")
    dataset.save("two")
    versions = dataset.list_versions()
    assert len(versions) == 2
    assert all(re.fullmatch(r"\d{4}-.*Z", v) for v in versions)
    assert dataset.load() == "two"


def test_load_after_save_reads_the_version_just_saved(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    JSONDataset(path, version=Version(None, "2099-01-01T00.00.00.000000Z")).save("future")
    run = JSONDataset(path, version=Version(None, "2024-01-01T00.00.00.000000Z"))
    run.save("this run")
    assert run.load() == "this run"
    assert JSONDataset(path, versioned=True).load() == "future"


def test_pinned_load_version(tmp_path: Path) -> None:
    path = tmp_path / "m.pkl"
    for number, version in enumerate(
        ["2024-01-01T00.00.00.000000Z", "2024-02-01T00.00.00.000000Z"]
    ):
        PickleDataset(path, version=Version(None, version)).save(number)
    pinned = PickleDataset(path, version=Version("2024-01-01T00.00.00.000000Z", None))
    assert pinned.load() == 0
    assert pinned.exists()


def test_pinned_version_that_does_not_exist_lists_the_existing_ones(tmp_path: Path) -> None:
    path = tmp_path / "m.pkl"
    PickleDataset(path, version=Version(None, "2024-01-01T00.00.00.000000Z")).save(0)
    missing = PickleDataset(path, version=Version("1999-01-01T00.00.00.000000Z", None))
    assert not missing.exists()
    with pytest.raises(DatasetError) as info:
        missing.load()
    message = str(info.value)
    assert "'1999-01-01T00.00.00.000000Z'" in message
    assert "existing versions: 2024-01-01T00.00.00.000000Z" in message


def test_versioned_load_with_nothing_saved(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match=r"No version of .* has been saved yet"):
        JSONDataset(tmp_path / "x.json", versioned=True).load()


def test_a_save_version_is_never_overwritten(tmp_path: Path) -> None:
    dataset = JSONDataset(tmp_path / "x.json", version=Version(None, "2024-01-01T00.00.00.000000Z"))
    dataset.save(1)
    with pytest.raises(DatasetError, match="already exists"):
        dataset.save(2)
    assert dataset.load() == 1


def test_a_failed_versioned_save_leaves_no_version_behind(tmp_path: Path) -> None:
    dataset = PickleDataset(
        tmp_path / "m.pkl", version=Version(None, "2024-01-01T00.00.00.000000Z")
    )
    with pytest.raises(TypeError):
        dataset.save(_Unpicklable())
    assert list((tmp_path / "m.pkl").iterdir()) == []
    assert dataset.list_versions() == []


@pytest.mark.parametrize("bad", ["../escape", "a/b", "..", ""])
def test_versions_are_single_folder_names(bad: str, tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="single folder name"):
        JSONDataset(tmp_path / "x.json", version=Version(bad, None))


# -- remote files through fsspec ---------------------------------------------------------


@pytest.fixture
def memory_url() -> Iterator[str]:
    import fsspec

    root = f"memory://hookline-test-{uuid.uuid4().hex}"
    yield root
    fs = fsspec.filesystem("memory")
    if fs.exists(root):
        fs.rm(root, recursive=True)


def test_remote_round_trip_and_versions(memory_url: str) -> None:
    frame = _frame()
    dataset = CSVDataset(f"{memory_url}/frame.csv")
    assert not dataset.exists()
    dataset.save(frame)
    assert dataset.exists()
    pd.testing.assert_frame_equal(dataset.load(), frame)

    url = f"{memory_url}/doc.json"
    JSONDataset(url, version=Version(None, "2024-01-01T00.00.00.000000Z")).save(1)
    JSONDataset(url, version=Version(None, "2024-02-01T00.00.00.000000Z")).save(2)
    latest = JSONDataset(url, versioned=True)
    assert latest.list_versions() == ["2024-01-01T00.00.00.000000Z", "2024-02-01T00.00.00.000000Z"]
    assert latest.load() == 2
    assert JSONDataset(url, version=Version("2024-01-01T00.00.00.000000Z", None)).load() == 1


def test_remote_failing_save_keeps_the_remote_file(memory_url: str) -> None:
    import fsspec

    url = f"{memory_url}/m.pkl"
    dataset = PickleDataset(url)
    dataset.save("old")
    with pytest.raises(TypeError):
        dataset.save([b"x" * 500_000, _Unpicklable()])
    assert pickle.loads(fsspec.filesystem("memory").cat_file(url)) == "old"


def test_credentials_and_fs_args_reach_the_file_system(memory_url: str) -> None:
    dataset = TextDataset(
        f"{memory_url}/t.txt", credentials={"token": SECRET}, fs_args={"skip_instance_cache": True}
    )
    dataset.save("x")
    fs = dataset._filesystem()
    assert fs.storage_options["token"] == SECRET
    assert SECRET not in repr(dataset)
    assert SECRET not in json.dumps(dataset.describe())


# -- secrets ---------------------------------------------------------------------------------


def test_describe_and_repr_never_show_credentials(tmp_path: Path) -> None:
    dataset = CSVDataset(
        f"s3://user:{SECRET}@bucket/data.csv",
        credentials={"key": "AKIA-planted", "secret": SECRET},
        load_args={"storage_options": {"secret": SECRET}, "sep": ";"},
        save_args={"password": SECRET},
        fs_args={"client_kwargs": {"token": SECRET}},
    )
    shown = json.dumps(dataset.describe()) + repr(dataset)
    assert SECRET not in shown
    assert "AKIA-planted" not in shown
    assert dataset.describe()["load_args"]["sep"] == ";"
    assert dataset.describe()["filepath"] == "s3://***@bucket/data.csv"
    assert (
        dataset._redact(f"boom {SECRET} at s3://user:{SECRET}@bucket")
        == "boom *** at s3://***@bucket"
    )


# -- MemoryDataset -------------------------------------------------------------------------


def test_memory_dataset_assigns_by_default_even_dataframes() -> None:
    frame = _frame()
    dataset = MemoryDataset(frame)
    assert dataset.load() is frame
    other: dict[str, int] = {}
    dataset.save(other)
    assert dataset.load() is other


@pytest.mark.parametrize("mode", ["copy", "deepcopy"])
def test_memory_dataset_copy_mode_isolates_saver_and_loader(mode: str) -> None:
    data = {"a": [1, 2]}
    dataset = MemoryDataset(data, copy_mode=mode)
    data["a"].append(3)
    loaded = dataset.load()
    assert loaded == {"a": [1, 2]}
    loaded["a"].append(99)
    assert dataset.load() == {"a": [1, 2]}
    frame = _frame()
    dataset.save(frame)
    assert dataset.load() is not frame
    pd.testing.assert_frame_equal(dataset.load(), frame)


def test_memory_dataset_empty_none_and_release() -> None:
    dataset = MemoryDataset()
    assert not dataset.exists()
    with pytest.raises(DatasetError, match="has no data"):
        dataset.load()
    dataset.save(None)
    assert dataset.exists()
    assert dataset.load() is None
    dataset.release()
    assert not dataset.exists()
    with pytest.raises(DatasetError):
        dataset.load()


def test_memory_dataset_describe_shows_the_type_not_the_value() -> None:
    dataset = MemoryDataset({"password": SECRET}, metadata={"owner": "me"})
    assert dataset.describe() == {"data": "dict", "copy_mode": None}
    assert SECRET not in repr(dataset)
    assert dataset.metadata == {"owner": "me"}


def test_memory_dataset_rejects_an_unknown_copy_mode() -> None:
    with pytest.raises(DatasetError, match="Unknown copy_mode 'clone'"):
        MemoryDataset(copy_mode="clone")


# -- the registry ----------------------------------------------------------------------------


def test_every_short_name_resolves_to_a_dataset_class() -> None:
    for short in DATASET_TYPES:
        cls = resolve_dataset_type(short)
        assert issubclass(cls, AbstractDataset)
        assert dataset_type_name(cls) == short


def test_lazy_class_attributes() -> None:
    import hookline.datasets as datasets

    assert datasets.CSVDataset is CSVDataset
    with pytest.raises(AttributeError, match="NoSuchDataset"):
        _ = datasets.NoSuchDataset


@pytest.mark.parametrize(
    ("typo", "suggestion"),
    [
        ("pandas.CSVDataSet", "pandas.CSVDataset"),
        ("CSVDataset", "pandas.CSVDataset"),
        ("pandas.ParquetDatset", "pandas.ParquetDataset"),
        ("MemoryDataSet", "MemoryDataset"),
    ],
)
def test_unknown_type_suggests_the_closest(typo: str, suggestion: str) -> None:
    with pytest.raises(DatasetError) as info:
        resolve_dataset_type(typo)
    assert f"Unknown dataset type '{typo}'. Did you mean '{suggestion}'?" in str(info.value)


def test_dotted_paths_resolve_and_are_checked() -> None:
    assert resolve_dataset_type("hookline.datasets.text.TextDataset") is TextDataset
    with pytest.raises(DatasetError, match="not a dataset class"):
        resolve_dataset_type("pathlib.Path")
    with pytest.raises(DatasetError, match=r"Unknown dataset type 'no_such_pkg\.Thing'"):
        resolve_dataset_type("no_such_pkg.Thing")
    with pytest.raises(DatasetError, match=r"Unknown dataset type 'pathlib\.NoSuchClass'"):
        resolve_dataset_type("pathlib.NoSuchClass")


def test_importing_and_building_never_imports_pandas_pyarrow_or_fsspec(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        import hookline.catalog, hookline.config, hookline.datasets
        from hookline.catalog import DataCatalog
        from hookline.datasets import resolve_dataset_type
        for short in hookline.datasets.DATASET_TYPES:
            resolve_dataset_type(short)
        catalog = DataCatalog.from_config(
            {{
                "a": {{"type": "pandas.CSVDataset", "filepath": "a.csv"}},
                "b": {{"type": "pandas.ParquetDataset", "filepath": "b.parquet"}},
                "c": {{"type": "json.JSONDataset", "filepath": "c.json", "versioned": True}},
                "d": {{"type": "MemoryDataset"}},
            }},
            project_path={str(tmp_path)!r},
        )
        catalog.save("d", 1)
        catalog.load("d")
        print(sorted(m for m in ("pandas", "pyarrow", "fsspec") if m in sys.modules))
        """
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(CORE_SRC), os.environ.get("PYTHONPATH", "")]),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


class NeedsAbsentModule(TextDataset):
    REQUIRED_MODULES = ("hookline_no_such_module",)
    INSTALL_COMMAND = "pip install hookline-no-such-module"


def test_a_dataset_whose_required_module_is_missing_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as caught:
        NeedsAbsentModule(tmp_path / "a.txt")
    assert str(caught.value) == (
        "NeedsAbsentModule needs the 'hookline_no_such_module' package; install it with: "
        "pip install hookline-no-such-module"
    )


def test_the_pandas_datasets_require_pandas_and_pyarrow_for_parquet() -> None:
    assert CSVDataset.REQUIRED_MODULES == ("pandas",)
    assert ParquetDataset.REQUIRED_MODULES == ("pandas", "pyarrow")


class WatchesReleases(MemoryDataset):
    def __init__(self) -> None:
        super().__init__(copy_mode="copy")
        self.releases = 0

    def release(self) -> None:
        self.releases += 1
        super().release()


def test_memory_data_moves_as_is_between_processes_without_copy_or_release() -> None:
    dataset = WatchesReleases()
    data = {"rows": [1, 2]}
    dataset.hold(data)
    assert dataset.held() is data
    assert dataset.load() == data
    assert dataset.load() is not data
    dataset.clear()
    assert not dataset.exists()
    assert dataset.releases == 0
    with pytest.raises(DatasetError, match="MemoryDataset has no data"):
        dataset.held()
