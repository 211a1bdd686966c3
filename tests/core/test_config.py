"""ConfigLoader on real configuration folders, and parse_runtime_params."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hookline.config import ConfigLoader, parse_runtime_params
from hookline.errors import ConfigError

from .conftest import write

SECRET = "hunter2-Zq9-planted-secret"


# -- layers --------------------------------------------------------------------------------


def test_layers_base_local_env_replace_top_level_keys(conf: Path) -> None:
    write(conf, "base/catalog.yml", "a: {type: MemoryDataset}\nb: {type: MemoryDataset, x: 1}\n")
    write(conf, "local/catalog.yml", "b: {type: MemoryDataset}\n")
    write(conf, "prod/catalog.yml", "c: {type: MemoryDataset}\n")
    assert ConfigLoader(conf)["catalog"] == {
        "a": {"type": "MemoryDataset"},
        "b": {"type": "MemoryDataset"},  # replaced whole, not merged
    }
    loader = ConfigLoader(conf, env="prod")
    assert [layer.name for layer in loader.layers] == ["base", "local", "prod"]
    assert sorted(loader["catalog"]) == ["a", "b", "c"]
    assert loader.origin("catalog", "a") == conf / "base" / "catalog.yml"
    assert loader.origin("catalog", "b") == conf / "local" / "catalog.yml"
    assert loader.origin("catalog", "c") == conf / "prod" / "catalog.yml"
    assert loader.origin("catalog", "zzz") is None


def test_parameters_are_deep_merged_across_layers(conf: Path) -> None:
    write(conf, "base/parameters.yml", "model: {test_size: 0.2, seed: 1, features: [a, b]}\nk: 1\n")
    write(conf, "local/parameters.yml", "model: {seed: 7}\n")
    write(conf, "test/parameters.yml", "model: {features: [c]}\n")
    assert ConfigLoader(conf, env="test")["parameters"] == {
        "model": {"test_size": 0.2, "seed": 7, "features": ["c"]},
        "k": 1,
    }


def test_local_is_optional_and_env_local_or_base_adds_nothing(conf: Path) -> None:
    write(conf, "base/parameters.yml", "a: 1\n")
    assert [p.name for p in ConfigLoader(conf).layers] == ["base"]
    assert [p.name for p in ConfigLoader(conf, env="local").layers] == ["base"]
    assert [p.name for p in ConfigLoader(conf, env="base").layers] == ["base"]


def test_a_missing_env_lists_the_existing_ones(conf: Path) -> None:
    (conf / "local").mkdir()
    (conf / "production").mkdir()
    with pytest.raises(ConfigError) as info:
        ConfigLoader(conf, env="prodution")
    message = str(info.value)
    assert "Environment 'prodution' does not exist" in message
    assert "base, local, production" in message
    assert "Did you mean 'production'?" in message


def test_missing_folders(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"Configuration folder .*nowhere does not exist"):
        ConfigLoader(tmp_path / "nowhere")
    (tmp_path / "conf" / "local").mkdir(parents=True)
    with pytest.raises(
        ConfigError, match=r"conf/base does not exist \(environments in .*: local\)"
    ):
        ConfigLoader(tmp_path / "conf")


def test_file_patterns(conf: Path) -> None:
    write(conf, "base/catalog.yml", "a: 1\n")
    write(conf, "base/catalog_extra.yaml", "b: 2\n")
    write(conf, "base/catalog/deep/er/more.yml", "c: 3\n")
    write(conf, "base/catalog/notes.txt", "d: 4\n")
    write(conf, "base/parameters.yml", "e: 5\n")
    write(conf, "base/.catalog_hidden.yml", "f: 6\n")
    loader = ConfigLoader(conf)
    assert loader["catalog"] == {"a": 1, "b": 2, "c": 3}
    assert [p.relative_to(conf).as_posix() for p in loader.files("catalog")] == [
        "base/catalog.yml",
        "base/catalog/deep/er/more.yml",
        "base/catalog_extra.yaml",
    ]


def test_missing_key_gives_empty_or_default(conf: Path) -> None:
    loader = ConfigLoader(conf)
    assert loader["mlflow"] == {}
    assert loader.get("mlflow") is None
    assert loader.get("mlflow", {"x": 1}) == {"x": 1}
    assert "mlflow" not in loader
    write(conf, "base/mlflow.yml", "")
    assert ConfigLoader(conf).get("mlflow") == {}
    assert "mlflow" in ConfigLoader(conf)


def test_results_are_copies(conf: Path) -> None:
    write(conf, "base/parameters.yml", "model: {seed: 1}\n")
    loader = ConfigLoader(conf)
    loader["parameters"]["model"]["seed"] = 99
    loader.get("parameters")["model"]["seed"] = 98
    assert loader["parameters"] == {"model": {"seed": 1}}


def test_same_key_in_two_files_of_one_layer(conf: Path) -> None:
    first = write(conf, "base/catalog.yml", "companies: {type: MemoryDataset}\n")
    second = write(conf, "base/catalog/more.yml", "companies: {type: MemoryDataset}\n")
    with pytest.raises(ConfigError) as info:
        ConfigLoader(conf)["catalog"]
    message = str(info.value)
    assert "'companies'" in message
    assert "'base' environment" in message
    assert str(first) in message
    assert str(second) in message


def test_anchors_and_merge_keys(conf: Path) -> None:
    write(
        conf,
        "base/catalog.yml",
        """
        _csv: &csv
          type: pandas.CSVDataset
          load_args: {sep: ","}
        companies:
          <<: *csv
          filepath: data/companies.csv
          type: pandas.ParquetDataset
        """,
    )
    companies = ConfigLoader(conf)["catalog"]["companies"]
    assert companies == {
        "type": "pandas.ParquetDataset",
        "load_args": {"sep": ","},
        "filepath": "data/companies.csv",
    }


# -- YAML errors ---------------------------------------------------------------------------


def test_yaml_syntax_error_names_file_line_and_column(conf: Path) -> None:
    path = write(conf, "base/catalog.yml", "a:\n  type: x\n  b: [1, 2\nc: 3\n")
    with pytest.raises(ConfigError) as info:
        ConfigLoader(conf)["catalog"]
    message = str(info.value)
    assert message.startswith(f"{path}:4:2: ")
    assert "\n" not in message


def test_tab_indentation_error_position(conf: Path) -> None:
    path = write(conf, "base/parameters.yml", "a: 1\n\tb: 2\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}:2:1: .*tab"):
        ConfigLoader(conf)["parameters"]


def test_duplicate_key_in_one_mapping(conf: Path) -> None:
    path = write(conf, "base/parameters.yml", "model:\n  seed: 1\n  seed: 2\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}:3:3: duplicate key 'seed'$"):
        ConfigLoader(conf)["parameters"]


@pytest.mark.parametrize("body", ["- a\n- b\n", "just text\n", "42\n"])
def test_top_level_must_be_a_mapping(conf: Path, body: str) -> None:
    path = write(conf, "base/catalog.yml", body)
    with pytest.raises(
        ConfigError, match=rf"^{re.escape(str(path))}: the top level must be a mapping"
    ):
        ConfigLoader(conf)["catalog"]


def test_unsafe_tags_are_refused(conf: Path) -> None:
    path = write(conf, "base/parameters.yml", "a: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(
        ConfigError, match=rf"^{re.escape(str(path))}:1:4: could not determine a constructor"
    ):
        ConfigLoader(conf)["parameters"]


def test_not_utf8(conf: Path) -> None:
    path = conf / "base" / "parameters.yml"
    path.write_bytes(b"a: \xff\xfe\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}: not UTF-8 text$"):
        ConfigLoader(conf)["parameters"]


# -- environment variables -----------------------------------------------------------------


def test_env_interpolation(conf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HL_HOST", "db.example")
    monkeypatch.delenv("HL_PORT", raising=False)
    write(
        conf,
        "base/credentials.yml",
        """
        db:
          url: "postgres://${oc.env:HL_HOST}:${oc.env:HL_PORT,5432}/x"
          hosts: ["${oc.env:HL_HOST}", plain]
          empty: "${oc.env:HL_PORT,}"
          quoted: "${oc.env:HL_PORT,'a b'}"
          untouched: '\\${other:thing}'  # escaped: a literal ${
        """,
    )
    assert ConfigLoader(conf)["credentials"] == {
        "db": {
            "url": "postgres://db.example:5432/x",
            "hosts": ["db.example", "plain"],
            "empty": "",
            "quoted": "a b",
            "untouched": "${other:thing}",
        }
    }


def test_unset_env_var_names_file_key_and_variable(
    conf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HL_MISSING_TOKEN", raising=False)
    path = write(conf, "base/credentials.yml", "api:\n  keys: [ok, '${oc.env:HL_MISSING_TOKEN}']\n")
    with pytest.raises(ConfigError) as info:
        ConfigLoader(conf)["credentials"]
    message = str(info.value)
    assert message.startswith(f"{path}: key 'api.keys[1]': environment variable 'HL_MISSING_TOKEN'")
    assert "is not set" in message


# -- runtime parameters --------------------------------------------------------------------


def test_runtime_params_override_last(conf: Path) -> None:
    write(conf, "base/parameters.yml", "model: {test_size: 0.2, seed: 1}\nname: x\n")
    write(conf, "local/parameters.yml", "model: {seed: 2}\n")
    loader = ConfigLoader(conf, runtime_params={"model.seed": 3, "name": "y", "new.deep.key": True})
    assert loader["parameters"] == {
        "model": {"test_size": 0.2, "seed": 3},
        "name": "y",
        "new": {"deep": {"key": True}},
    }
    assert loader.origin("parameters", "model") == conf / "local" / "parameters.yml"
    assert loader.origin("parameters", "new") is None


def test_runtime_params_without_parameter_files(conf: Path) -> None:
    assert ConfigLoader(conf, runtime_params={"a": 1})["parameters"] == {"a": 1}


def test_runtime_param_below_a_scalar_is_an_error(conf: Path) -> None:
    path = write(conf, "base/parameters.yml", "name: x\n")
    loader = ConfigLoader(conf, runtime_params={"name.first": "y"})
    with pytest.raises(ConfigError) as info:
        loader["parameters"]
    assert str(info.value) == (
        f"Runtime parameter 'name.first': parameter 'name' (from {path}) is a str, not a mapping"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.b=1,c=x", {"a.b": 1, "c": "x"}),
        ("flag=true, ratio = 0.5 ,none=null", {"flag": True, "ratio": 0.5, "none": None}),
        ("url=http://h:80/p,eq=a=b", {"url": "http://h:80/p", "eq": "a=b"}),
        ("empty=,list=[1", {"empty": "", "list": "[1"}),
        ("m=k: v", {"m": "k: v"}),
        ("", {}),
        ("a=1,", {"a": 1}),
    ],
)
def test_parse_runtime_params(text: str, expected: dict[str, Any]) -> None:
    assert parse_runtime_params(text) == expected


def test_parse_runtime_params_malformed_item() -> None:
    with pytest.raises(
        ConfigError, match=r"^Runtime parameter 'oops' is not of the form key=value$"
    ):
        parse_runtime_params("a=1,oops,b=2")
    with pytest.raises(ConfigError) as info:
        parse_runtime_params(f"={SECRET}")
    assert SECRET not in str(info.value)


@given(
    st.dictionaries(
        st.from_regex(r"[a-z][a-z0-9_]{0,8}(\.[a-z][a-z0-9_]{0,8}){0,2}", fullmatch=True),
        st.integers(-(10**9), 10**9) | st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True),
        max_size=6,
    )
)
def test_parse_runtime_params_round_trips(params: dict[str, Any]) -> None:
    reserved = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}
    params = {k: v for k, v in params.items() if not (isinstance(v, str) and v.lower() in reserved)}
    text = ",".join(f"{key}={value}" for key, value in params.items())
    assert parse_runtime_params(text) == params


# -- secrets -------------------------------------------------------------------------------


def test_repr_and_errors_never_show_a_secret(conf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(conf, "base/credentials.yml", f"db:\n  password: {SECRET}\n")
    loader = ConfigLoader(conf, runtime_params={"token": SECRET})
    assert loader["credentials"]["db"]["password"] == SECRET
    assert SECRET not in repr(loader)
    assert "base" in repr(loader)

    bad_files = [
        f'db: {{password: "{SECRET}", user: [x\n',  # unterminated flow
        f"db:\n  password: {SECRET}\n  password: {SECRET}\n",  # duplicate key
        f"db:\n  password: {SECRET}\n bad_indent: 1\n",
        f"- {SECRET}\n",  # not a mapping
        f"db:\n  password: '{SECRET}'\n  host: ${{oc.env:HL_UNSET_FOR_TEST}}\n",
        f"db: {SECRET}: nested\n",
    ]
    monkeypatch.delenv("HL_UNSET_FOR_TEST", raising=False)
    for body in bad_files:
        write(conf, "base/credentials.yml", body)
        with pytest.raises(ConfigError) as info:
            ConfigLoader(conf)["credentials"]
        assert SECRET not in str(info.value), body
        assert "credentials.yml" in str(info.value)
