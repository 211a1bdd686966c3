"""Which files make up a configuration (Kedro's config_patterns), how environments merge
(merge_strategy), and Kedro 0.18's ``config_loader.get("spark*", "spark*/**")``."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookline.config import ConfigLoader
from hookline.errors import ConfigError

from .conftest import write


def relative(conf: Path, files: list[Path]) -> list[str]:
    return [path.relative_to(conf).as_posix() for path in files]


# -- config_patterns -------------------------------------------------------------------------


def test_default_patterns_are_kedros(conf: Path) -> None:
    loader = ConfigLoader(conf)
    assert loader.config_patterns == {
        "catalog": ["catalog*", "catalog*/**", "**/catalog*"],
        "parameters": ["parameters*", "parameters*/**", "**/parameters*"],
        "credentials": ["credentials*", "credentials*/**", "**/credentials*"],
        "globals": ["globals.yml"],
    }


def test_catalog_files_at_any_depth_json_included_hidden_excluded(conf: Path) -> None:
    write(conf, "base/catalog.yml", "a: 1\n")
    write(conf, "base/pipelines/ds/catalog.yml", "b: 2\n")
    write(conf, "base/pipelines/ds/catalog_more.json", '{"c": 3}\n')
    write(conf, "base/catalog_parts/x/y.yaml", "d: 4\n")
    write(conf, "base/.hidden/catalog.yml", "e: 5\n")
    write(conf, "base/pipelines/.catalog.yml", "f: 6\n")
    write(conf, "base/pipelines/ds/catalog.txt", "g: 7\n")
    write(conf, "base/pipelines/ds/parameters.yml", "h: 8\n")
    loader = ConfigLoader(conf)
    assert loader["catalog"] == {"a": 1, "b": 2, "c": 3, "d": 4}
    assert relative(conf, loader.files("catalog")) == [
        "base/catalog.yml",
        "base/catalog_parts/x/y.yaml",
        "base/pipelines/ds/catalog.yml",
        "base/pipelines/ds/catalog_more.json",
    ]
    assert loader["parameters"] == {"h": 8}


def test_globals_read_globals_yml_only(conf: Path) -> None:
    write(conf, "base/globals.yml", "a: 1\n")
    write(conf, "base/globals_more.yml", "b: 2\n")
    assert ConfigLoader(conf)["globals"] == {"a": 1}


def test_a_name_without_patterns_reads_name_star_files_and_folders(conf: Path) -> None:
    write(conf, "base/spark.yml", "a: 1\n")
    write(conf, "base/spark_extra.yaml", "b: 2\n")
    write(conf, "base/spark/deep/more.yml", "c: 3\n")
    write(conf, "base/pipelines/spark.yml", "d: 4\n")  # no **/ pattern for such a name
    loader = ConfigLoader(conf)
    assert loader["spark"] == {"a": 1, "b": 2, "c": 3}
    assert "spark" not in loader.config_patterns


def test_patterns_given_to_the_loader(conf: Path) -> None:
    write(conf, "base/spark.yml", "a: 1\n")
    write(conf, "base/jobs/spark_conf.yml", "b: 2\n")
    write(conf, "base/catalog.yml", "c: 3\n")
    write(conf, "base/data_catalog.yml", "d: 4\n")
    loader = ConfigLoader(
        conf,
        config_patterns={"spark": ["spark*", "**/spark*"], "catalog": ["*catalog*"]},
    )
    assert loader["spark"] == {"a": 1, "b": 2}
    assert loader["catalog"] == {"c": 3, "d": 4}
    assert loader.config_patterns["parameters"] == [
        "parameters*",
        "parameters*/**",
        "**/parameters*",
    ]


def test_patterns_added_after_creation_apply(conf: Path) -> None:
    # kedro-mlflow adds its patterns in after_context_created, then reads its configuration.
    write(conf, "base/mlflow.yml", "a: 1\n")
    write(conf, "base/tracking/mlflow_server.yml", "b: 2\n")
    loader = ConfigLoader(conf)
    assert loader["mlflow"] == {"a": 1}
    loader.config_patterns.update({"mlflow": ["mlflow*", "mlflow*/**", "**/mlflow*"]})
    assert loader["mlflow"] == {"a": 1, "b": 2}
    assert relative(conf, loader.files("mlflow")) == [
        "base/mlflow.yml",
        "base/tracking/mlflow_server.yml",
    ]


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        ({"spark": "spark*"}, r"config_patterns\['spark'\] .* must be a list of glob patterns"),
        (
            {"spark": ["spark*", ""]},
            r"config_patterns\['spark'\] .* glob patterns \(non-empty strings\) only",
        ),
        (["spark*"], r"config_patterns .* must be a dict"),
    ],
)
def test_bad_patterns(conf: Path, patterns: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        ConfigLoader(conf, config_patterns=patterns)  # type: ignore[arg-type]


# -- merge_strategy ------------------------------------------------------------------------


def test_merge_strategies_per_name(conf: Path) -> None:
    write(conf, "base/parameters.yml", "model: {seed: 1, size: 2}\n")
    write(conf, "local/parameters.yml", "model: {seed: 7}\n")
    write(conf, "base/spark.yml", "spark: {a: 1, b: 2}\n")
    write(conf, "local/spark.yml", "spark: {b: 3}\n")
    default = ConfigLoader(conf)
    assert default["parameters"] == {"model": {"seed": 7, "size": 2}}  # hookline: soft
    assert default["spark"] == {"spark": {"b": 3}}  # Kedro's destructive
    swapped = ConfigLoader(conf, merge_strategy={"parameters": "destructive", "spark": "SOFT"})
    assert swapped["parameters"] == {"model": {"seed": 7}}
    assert swapped["spark"] == {"spark": {"a": 1, "b": 3}}


def test_soft_merge_replaces_lists_and_scalars(conf: Path) -> None:
    write(conf, "base/spark.yml", "a: {list: [1, 2], x: 1, deep: {k: 1, j: 2}}\n")
    write(conf, "local/spark.yml", "a: {list: [3], x: {now: mapping}, deep: {k: 9}}\n")
    loader = ConfigLoader(conf, merge_strategy={"spark": "soft"})
    assert loader["spark"] == {
        "a": {"list": [3], "x": {"now": "mapping"}, "deep": {"k": 9, "j": 2}}
    }


def test_bad_merge_strategy(conf: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"merge_strategy\['parameters'\] .* 'soft' or 'destructive', not 'deep'"
    ):
        ConfigLoader(conf, merge_strategy={"parameters": "deep"})


# -- Kedro 0.18's glob form ----------------------------------------------------------------


def test_get_with_glob_patterns_reads_those_files(conf: Path) -> None:
    write(conf, "base/spark.yml", "spark.driver.memory: 2g\nspark.app: x\n")
    write(conf, "base/spark/executor.yml", "spark.executor.cores: 2\n")
    write(conf, "local/spark.yml", "spark.app: local\n")
    write(conf, "base/sparkling.txt", "nope: 1\n")
    loader = ConfigLoader(conf)
    assert loader.get("spark*", "spark*/**") == {
        "spark.driver.memory": "2g",
        "spark.app": "local",
        "spark.executor.cores": 2,
    }
    assert loader.get("spark*") == {"spark.driver.memory": "2g", "spark.app": "local"}
    assert loader.get("nothing*", "nothing*/**") == {}


def test_get_with_glob_patterns_refuses_a_key_in_two_files(conf: Path) -> None:
    first = write(conf, "base/spark.yml", "a: 1\n")
    second = write(conf, "base/spark/more.yml", "a: 2\n")
    with pytest.raises(ConfigError) as info:
        ConfigLoader(conf).get("spark*", "spark*/**")
    assert str(first) in str(info.value)
    assert str(second) in str(info.value)


def test_get_with_a_name_takes_one_default(conf: Path) -> None:
    loader = ConfigLoader(conf)
    assert loader.get("spark", {"x": 1}) == {"x": 1}
    with pytest.raises(TypeError, match="a name and a default"):
        loader.get("spark", {}, {})
