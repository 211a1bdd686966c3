"""Interpolation as Kedro's OmegaConfigLoader resolves it: ``${key}``, ``${globals:...}``,
``${runtime_params:...}``, ``${oc.env:...}`` in credentials only, custom resolvers; and each
bad interpolation as one error naming the file and the key."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hookline.config import ConfigLoader
from hookline.errors import ConfigError

from .conftest import write

SECRET = "hunter2-Zq9-planted-secret"


def error_of(loader: ConfigLoader, key: str) -> str:
    with pytest.raises(ConfigError) as info:
        loader[key]
    return str(info.value)


# -- what resolves ---------------------------------------------------------------------------


def test_key_interpolation_within_a_configuration(conf: Path) -> None:
    write(
        conf,
        "base/catalog.yml",
        """
        _root: data/01_raw
        _csv: {type: pandas.CSVDataset, load_args: {sep: ","}}
        companies:
          type: ${_csv.type}
          load_args: ${_csv.load_args}
          filepath: ${_root}/companies.csv
        """,
    )
    assert ConfigLoader(conf)["catalog"] == {
        "companies": {
            "type": "pandas.CSVDataset",
            "load_args": {"sep": ","},
            "filepath": "data/01_raw/companies.csv",
        }
    }


def test_underscore_keys_are_dropped_except_in_parameters(conf: Path) -> None:
    write(conf, "base/catalog.yml", "_anchor: 1\na: 2\n")
    write(conf, "base/parameters.yml", "_private: 1\na: 2\n")
    loader = ConfigLoader(conf)
    assert loader["catalog"] == {"a": 2}
    assert loader["parameters"] == {"_private": 1, "a": 2}


def test_an_interpolation_sees_its_own_environment_only(conf: Path) -> None:
    # As in Kedro, each environment is resolved before the environments are merged.
    write(conf, "base/parameters.yml", "size: 1\ncopy: ${size}\n")
    write(conf, "local/parameters.yml", "size: 2\n")
    assert ConfigLoader(conf)["parameters"] == {"size": 2, "copy": 1}


def test_globals(conf: Path) -> None:
    write(conf, "base/globals.yml", "paths: {raw: data/raw}\nbucket: b\n_hidden: h\n")
    write(conf, "local/globals.yml", "paths: {raw: local/raw}\n")
    write(
        conf,
        "base/catalog.yml",
        """
        a:
          filepath: ${globals:paths.raw}/a.csv
          bucket: ${globals:bucket}
          fallback: ${globals:missing,plan_b}
          whole: ${globals:paths}
        """,
    )
    loader = ConfigLoader(conf)
    assert loader["globals"] == {"paths": {"raw": "local/raw"}, "bucket": "b"}
    assert loader["catalog"] == {
        "a": {
            "filepath": "local/raw/a.csv",
            "bucket": "b",
            "fallback": "plan_b",
            "whole": {"raw": "local/raw"},
        }
    }


def test_globals_follow_the_configured_pattern(conf: Path) -> None:
    write(conf, "base/shared/values.yml", "x: 1\n")
    write(conf, "base/parameters.yml", "x: ${globals:x}\n")
    loader = ConfigLoader(conf, config_patterns={"globals": ["shared/*.yml"]})
    assert loader["parameters"] == {"x": 1}


def test_runtime_params(conf: Path) -> None:
    write(
        conf,
        "base/parameters.yml",
        """
        model: {seed: 1, copy: "${model.seed}"}
        rate: ${runtime_params:rate,0.5}
        """,
    )
    write(
        conf, "base/catalog.yml", "a: {filepath: 'data/${runtime_params:run.name,default}.csv'}\n"
    )
    loader = ConfigLoader(conf, runtime_params={"model.seed": 5, "run.name": "today"})
    # Runtime parameters are laid over the files before interpolation, as in Kedro.
    assert loader["parameters"] == {
        "model": {"seed": 5, "copy": 5},
        "rate": 0.5,
        "run": {"name": "today"},
    }
    assert loader["catalog"] == {"a": {"filepath": "data/today.csv"}}
    assert ConfigLoader(conf)["catalog"] == {"a": {"filepath": "data/default.csv"}}


def test_oc_env_in_credentials(conf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HL_TEST_USER", "ada")
    monkeypatch.delenv("HL_TEST_UNSET", raising=False)
    write(
        conf,
        "local/credentials.yml",
        "db: {user: '${oc.env:HL_TEST_USER}', port: '${oc.env:HL_TEST_UNSET,5432}'}\n",
    )
    assert ConfigLoader(conf)["credentials"] == {"db": {"user": "ada", "port": "5432"}}


def test_custom_resolvers(conf: Path) -> None:
    write(conf, "base/parameters.yml", "total: ${hl_add:2,3}\nname: ${hl_upper:ada}\n")
    loader = ConfigLoader(conf, custom_resolvers={"hl_add": lambda a, b: a + b})
    # What a hook does in after_context_created (kedro-pandera registers its resolver so).
    loader._register_new_resolvers({"hl_upper": str.upper, "hl_add": lambda a, b: a * b})
    assert loader["parameters"] == {"total": 5, "name": "ADA"}  # the first hl_add is kept


def test_a_custom_oc_env_reads_environment_variables_everywhere(
    conf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from omegaconf.resolvers import oc

    monkeypatch.setenv("HL_TEST_HOST", "db.example")
    write(conf, "base/parameters.yml", "host: ${oc.env:HL_TEST_HOST}\n")
    assert ConfigLoader(conf, custom_resolvers={"oc.env": oc.env})["parameters"] == {
        "host": "db.example"
    }
    # ...for that loader only.
    assert "credentials only" in error_of(ConfigLoader(conf), "parameters")


def test_two_loaders_keep_their_own_globals(tmp_path: Path) -> None:
    loaders = []
    for name in ("one", "two"):
        conf = tmp_path / name
        write(conf, "base/globals.yml", f"name: {name}\n")
        write(conf, "base/parameters.yml", "name: ${globals:name}\n")
        loaders.append(ConfigLoader(conf))
    assert [loader["parameters"]["name"] for loader in loaders] == ["one", "two"]


def test_scalars_read_as_omegaconf_reads_them(conf: Path) -> None:
    write(conf, "base/parameters.yml", "day: 2024-01-01\nbig: 1e5\nsmall: 1.5e-3\nint: 10\n")
    assert ConfigLoader(conf)["parameters"] == {
        "day": "2024-01-01",
        "big": 100000.0,
        "small": 0.0015,
        "int": 10,
    }


def test_omegaconf_is_imported_only_for_an_interpolation(conf: Path) -> None:
    write(conf, "base/parameters.yml", "a: 1\n")
    write(conf, "base/catalog.yml", "b: ${a}\na: 2\n")
    code = (
        "import sys\nfrom hookline.config import ConfigLoader\n"
        f"loader = ConfigLoader({str(conf)!r})\n"
        "loader['parameters']\nprint('omegaconf' in sys.modules)\n"
        "loader['catalog']\nprint('omegaconf' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


# -- bad interpolations: one error naming the file and the key --------------------------------


@pytest.mark.parametrize(
    ("file", "text", "key", "message"),
    [
        (
            "base/catalog.yml",
            "a: {type: '${hl_no_such:1}'}\n",
            "a.type",
            "unknown resolver 'hl_no_such'",
        ),
        ("base/parameters.yml", "a: ${b}\nb: ${a}\n", "a", "interpolation cycle"),
        ("base/parameters.yml", "a: ${b}\nb: {c: '${a}'}\n", "b.c", "interpolation cycle"),
        (
            "base/catalog.yml",
            "a: {filepath: '${globals:root}/a.csv'}\n",
            "a.filepath",
            "globals key 'root' is not defined in globals.yml",
        ),
        (
            "base/parameters.yml",
            "db: {host: '${oc.env:HOME}'}\n",
            "db.host",
            "does in credentials only",
        ),
        ("base/parameters.yml", "a: [1, '${nope.x}']\n", "a[1]", "refers to 'nope.x'"),
        ("base/catalog.yml", "a: 'x${oops'\n", "a", "not a valid interpolation"),
        (
            "base/parameters.yml",
            "a: ${runtime_params:seed}\n",
            "a",
            "runtime parameter 'seed' was not given",
        ),
        (
            "base/globals.yml",
            "a: ${runtime_params:seed,1}\n",
            "a",
            "cannot be used in globals.yml",
        ),
        ("base/globals.yml", "a: ${globals:b,1}\n", "a", "cannot be used in globals.yml"),
        ("base/credentials.yml", "a: {k: '${oc.env:HL_UNSET_FOR_TEST}'}\n", "a.k", "is not set"),
    ],
)
def test_bad_interpolation(
    conf: Path, monkeypatch: pytest.MonkeyPatch, file: str, text: str, key: str, message: str
) -> None:
    monkeypatch.delenv("HL_UNSET_FOR_TEST", raising=False)
    path = write(conf, file, text)
    name = Path(file).stem
    error = error_of(ConfigLoader(conf), name)
    assert error.startswith(f"{path}: key '{key}': "), error
    assert message in error
    assert "\n" not in error


def test_unknown_resolver_suggests_and_says_how_to_add_one(conf: Path) -> None:
    write(conf, "base/parameters.yml", "a: ${hl_ad:1,2}\n")
    error = error_of(
        ConfigLoader(conf, custom_resolvers={"hl_add": lambda a, b: a + b}), "parameters"
    )
    assert "Did you mean 'hl_add'?" in error
    assert "CONFIG_LOADER_ARGS['custom_resolvers']" in error
    assert "_register_new_resolvers" in error


def test_the_error_names_the_file_of_the_key(conf: Path) -> None:
    write(conf, "base/catalog.yml", "a: 1\n")
    other = write(conf, "base/catalog/more.yml", "b: ${nope}\n")
    assert error_of(ConfigLoader(conf), "catalog").startswith(f"{other}: key 'b': ")


def test_a_key_omegaconf_cannot_hold(conf: Path) -> None:
    path = write(conf, "base/parameters.yml", "~: 1\nb: ${a}\na: 2\n")
    error = error_of(ConfigLoader(conf), "parameters")
    assert error.startswith(str(path))
    assert "NoneType" in error


def test_a_failing_resolver_never_shows_a_credential(conf: Path) -> None:
    def leaky(value: Any) -> str:
        raise ValueError(f"cannot decode {value}")

    write(conf, "base/credentials.yml", f"db: {{password: '${{hl_leaky:{SECRET}}}'}}\n")
    write(conf, "base/parameters.yml", "a: ${hl_leaky:visible}\n")
    loader = ConfigLoader(conf, custom_resolvers={"hl_leaky": leaky})
    error = error_of(loader, "credentials")
    assert SECRET not in error
    assert re.search(r"credentials.yml: key 'db.password': a resolver raised ValueError$", error)
    # Elsewhere the resolver's message helps.
    assert error_of(loader, "parameters").endswith("ValueError: cannot decode visible")


def test_bad_interpolations_never_show_a_credential(conf: Path) -> None:
    bodies = [
        f"db: {{password: '{SECRET}${{oops'}}\n",
        f"db: {{password: '{SECRET}${{nope}}'}}\n",
        f"db: {{password: '{SECRET}${{hl_unknown:x}}'}}\n",
        f"db: {{password: '{SECRET}${{globals:none}}'}}\n",
    ]
    for body in bodies:
        write(conf, "base/credentials.yml", body)
        error = error_of(ConfigLoader(conf), "credentials")
        assert SECRET not in error, body
        assert "credentials.yml: key 'db.password'" in error, error


@pytest.mark.parametrize(
    ("resolvers", "message"),
    [
        ({"globals": str}, r"custom_resolvers\['globals'\] .* the config loader's own resolver"),
        ({"hl_x": "not callable"}, r"custom_resolvers\['hl_x'\] .* must be a function, not str"),
        ({"": str}, r"custom_resolvers .* '' is not a resolver name"),
    ],
)
def test_bad_custom_resolvers(conf: Path, resolvers: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ConfigLoader(conf, custom_resolvers=resolvers)
    with pytest.raises(ConfigError, match=message):
        ConfigLoader(conf)._register_new_resolvers(resolvers)


def test_a_loaders_custom_resolvers_are_its_own(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for conf in (first, second):
        write(conf, "base/parameters.yml", "a: ${hl_only_first:x}\n")
    assert ConfigLoader(first, custom_resolvers={"hl_only_first": str.upper})["parameters"] == {
        "a": "X"
    }
    assert "unknown resolver 'hl_only_first'" in error_of(ConfigLoader(second), "parameters")


# The call Kedro projects make, which OmegaConf 2.4 deprecates for register_resolver.
@pytest.mark.filterwarnings("ignore:register_new_resolver.. is deprecated")
def test_a_resolver_registered_with_omegaconf_directly_works(conf: Path) -> None:
    from omegaconf import OmegaConf

    # Kedro projects often register resolvers so, in settings.py.
    OmegaConf.register_new_resolver("hl_direct", lambda x: f"<{x}>", replace=True)
    try:
        write(conf, "base/parameters.yml", "a: ${hl_direct:x}\n")
        assert ConfigLoader(conf)["parameters"] == {"a": "<x>"}
    finally:
        OmegaConf.clear_resolver("hl_direct")
