"""``hookline catalog list`` and ``hookline catalog resolve``, run as a user runs them: a real
subprocess in a real project folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.support import ProjectFactory

from .conftest import hookline

NODES = """
def scale(values, factor):
    return [v * factor for v in values]

def total(values):
    return {"total": sum(values)}
"""

REGISTRY = """
return {
    "__default__": pipeline([
        node(scale, ["raw_values", "params:factor"], "scaled_values", name="scale"),
        node(total, "scaled_values", "summary_report", name="total"),
        node(total, "raw_values", "check.raw_total", name="check"),
    ]),
    "scaling": pipeline([
        node(scale, ["raw_values", "params:factor"], "scaled_values", name="scale"),
    ]),
}
"""

CATALOG = """
raw_values:
  type: json.JSONDataset
  filepath: data/raw.json
"{name}_report":
  type: json.JSONDataset
  filepath: data/reports/{name}.json
  credentials: reports_store
"{namespace}.{name}":
  type: pickle.PickleDataset
  filepath: s3://user:hunter2@bucket/{namespace}/{name}.pkl
"""

LOCAL_CATALOG = """
"{default}":
  type: pickle.PickleDataset
  filepath: data/intermediate/{default}.pkl
"""


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    return make_project(
        NODES,
        REGISTRY,
        conf={
            "base/catalog.yml": CATALOG,
            "base/parameters.yml": "factor: 10\n",
            "base/credentials.yml": "reports_store:\n  key: report-secret-key\n",
            "staging/catalog.yml": LOCAL_CATALOG,
        },
    )


def test_list_shows_every_dataset_and_what_made_it(project: Path) -> None:
    done = hookline(project, "catalog", "list")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Datasets of pipeline '__default__'"
    assert lines[1].split() == ["dataset", "type", "resolved", "by"]
    rows = [line.split() for line in lines[2:]]
    assert rows == [
        ["check.raw_total", "pickle.PickleDataset", "{namespace}.{name}"],
        ["params:factor", "parameters", "parameters"],
        ["raw_values", "json.JSONDataset", "explicit"],
        ["scaled_values", "MemoryDataset", "memory"],
        ["summary_report", "json.JSONDataset", "{name}_report"],
    ]


def test_list_as_json_with_a_pipeline_and_an_environment(project: Path) -> None:
    done = hookline(
        project, "catalog", "list", "--pipeline", "scaling", "--env", "staging", "--json"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        {"dataset": "params:factor", "type": "parameters", "resolved_by": "parameters"},
        {"dataset": "raw_values", "type": "json.JSONDataset", "resolved_by": "explicit"},
        # The environment's catch-all replaces the memory dataset.
        {"dataset": "scaled_values", "type": "pickle.PickleDataset", "resolved_by": "{default}"},
    ]


def test_resolve_prints_the_catalog_as_yaml_without_secrets(project: Path) -> None:
    done = hookline(project, "catalog", "resolve")
    assert done.returncode == 0, done.stderr
    assert "report-secret-key" not in done.stdout
    assert "hunter2" not in done.stdout
    assert yaml.safe_load(done.stdout) == {
        "raw_values": {"type": "json.JSONDataset", "filepath": "data/raw.json"},
        "check.raw_total": {
            "type": "pickle.PickleDataset",
            "filepath": "s3://***@bucket/check/raw_total.pkl",
        },
        "scaled_values": {"type": "MemoryDataset"},
        "summary_report": {
            "type": "json.JSONDataset",
            "filepath": "data/reports/summary.json",
            "credentials": "reports_store",
        },
    }


def test_resolve_as_json_in_an_environment(project: Path) -> None:
    done = hookline(
        project, "catalog", "resolve", "-e", "staging", "--pipeline", "scaling", "--json"
    )
    assert done.returncode == 0, done.stderr
    resolved = json.loads(done.stdout)
    assert resolved["scaled_values"] == {
        "type": "pickle.PickleDataset",
        "filepath": "data/intermediate/scaled_values.pkl",
    }
    assert "summary_report" not in resolved  # not a dataset of this pipeline


def test_neither_command_writes_anything(project: Path) -> None:
    for command in ("list", "resolve"):
        assert hookline(project, "catalog", command, "-e", "staging").returncode == 0
    assert not (project / "data").exists()


def test_an_unknown_pipeline_exits_2_with_the_closest_name(project: Path) -> None:
    done = hookline(project, "catalog", "list", "--pipeline", "scalin")
    assert done.returncode == 2
    assert "No pipeline named 'scalin'. Did you mean 'scaling'?" in done.stderr


AMBIGUOUS = """
"{name}_report":
  type: json.JSONDataset
  filepath: data/{name}.json
"{kind}_report":
  type: pickle.PickleDataset
  filepath: data/{kind}.pkl
"""


@pytest.mark.parametrize("command", [["run"], ["catalog", "list"], ["catalog", "resolve"]])
def test_two_patterns_matching_equally_exit_2_naming_both_and_write_nothing(
    make_project: ProjectFactory, command: list[str]
) -> None:
    project = make_project(
        NODES,
        REGISTRY,
        conf={
            "base/catalog.yml": AMBIGUOUS + "raw_values:\n  type: MemoryDataset\n",
            "base/parameters.yml": "factor: 10\n",
        },
    )
    done = hookline(project, *command)
    assert done.returncode == 2, done.stderr
    message = done.stderr
    assert "catalog.yml: dataset 'summary_report' matches catalog entries" in message
    assert "'{kind}_report' and '{name}_report'" in message
    assert not (project / "data").exists()


def test_catalog_is_listed_in_the_help() -> None:
    done = hookline(Path.cwd(), "--help")
    assert done.returncode == 0
    assert "catalog" in done.stdout
