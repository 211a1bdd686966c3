"""Hook classes written for Kedro (tests/kedro_compat/hooks/) run on hookline with only their
import line changed, under every runner, and do their job: each test reads what its hook
recorded and what it changed in the run."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas
import pytest

from hookline.errors import DatasetError
from hookline.runner import AbstractRunner
from hookline.session import HooklineSession, RunFailed, RunResult
from tests.kedro_compat.scenario import (
    ALL_HOOKS,
    BAD_COMPANIES_CSV,
    Scenario,
    write_hookline_scenario,
)

RUNTIME_PARAMS = {"currency": "USD", "app_name": "rating"}

#: What config_loader["spark"] gives: base/spark.yml resolved, with local/spark.yml over it.
SPARK_CONF = [
    ["spark.app.name", "rating"],
    ["spark.driver.memory", "2g"],
    ["spark.master", "local[2]"],
    ["spark.sql.shuffle.partitions", 8],
]


def run(scenario: Scenario, runner: AbstractRunner) -> RunResult:
    """Run the scenario's default pipeline as `hookline run --params currency=USD,...` does."""
    session = HooklineSession.create(scenario.project, extra_params=RUNTIME_PARAMS)
    return session.run(runner=runner)


@pytest.fixture(scope="module")
def runs() -> dict[str, tuple[Scenario, RunResult]]:
    """The scenario's run by each runner, made by the first test that asks for it: every
    test below reads a different hook's records of the same run."""
    return {}


@pytest.fixture
def ran(
    request: pytest.FixtureRequest,
    runner: AbstractRunner,
    runs: dict[str, tuple[Scenario, RunResult]],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Scenario, RunResult]:
    """The scenario with every hook installed, run with ``runner``."""
    name = request.node.callspec.params["runner"]
    if name not in runs:
        scenario = write_hookline_scenario(tmp_path_factory.mktemp(f"scenario-{name}"))
        runs[name] = scenario, run(scenario, runner)
    return runs[name]


def test_dataset_statistics_hook_reads_the_catalog_as_a_mapping(
    ran: tuple[Scenario, RunResult],
) -> None:
    scenario, _ = ran
    listing = scenario.record_of("statistics.catalog")
    names = set(listing["names"])
    assert {"companies", "rated_companies", "summary", "parameters", "params:threshold"} <= names
    assert listing["iterated"] == listing["names"]
    assert listing["length"] == listing["values"] == len(listing["names"])
    assert listing["items_match"] is True
    assert listing["classes"]["companies"] == "CSVDataset"
    assert listing["classes"]["summary"] == "JSONDataset"
    assert listing["classes"]["params:threshold"] == "MemoryDataset"
    assert "params:threshold" in listing["parameters"]
    assert "companies" not in listing["parameters"]
    assert "params:threshold" in listing["memory"]
    assert "companies" not in listing["memory"]
    assert listing["contains_companies"] is True
    assert listing["get_missing"] is None
    assert listing["companies_type"] == "hookline.datasets.pandas.CSVDataset"
    assert listing["get_type_missing"] is None
    assert listing["get_is_getitem"] is True


def test_dataset_statistics_hook_counts_rows_of_outputs_and_persisted_datasets(
    ran: tuple[Scenario, RunResult],
) -> None:
    scenario, _ = ran
    rows = {entry["node"]: entry["rows"] for entry in scenario.records("statistics.node")}
    # count's output, an int, has no length.
    assert rows == {"rate": {"rated_companies": 3}, "summarise": {"summary": 4}, "count": {}}
    profiles = scenario.record_of("statistics.persisted")["profiles"]
    assert profiles["companies"] == {
        "rows": 3,
        "type": "CSVDataset",
        "filepath_class": "PurePosixPath",
        "file_name": "companies.csv",
    }
    assert profiles["rated_companies"]["rows"] == 3
    assert profiles["summary"]["file_name"] == "summary.json"


def test_run_status_hook_reads_run_params_as_kedro_fills_them(
    ran: tuple[Scenario, RunResult], runner: AbstractRunner
) -> None:
    scenario, result = ran
    assert scenario.record_of("status.context") == {
        "hook": "status.context",
        "project": scenario.project.name,
        "package": scenario.package,
        "env": None,
        # --params reach the parameters, as Kedro's runtime_params do.
        "params": {
            "threshold": 3.5,
            "report": {"title": "Top companies", "currency": "USD"},
            **RUNTIME_PARAMS,
        },
        "threshold": 3.5,
    }
    started = scenario.record_of("status.started")
    params = started["run_params"]
    assert params["run_id"] == params["session_id"] == result.session_id
    assert params["project_path"] == scenario.project.as_posix()
    assert params["env"] is None
    assert params["pipeline_name"] is None
    assert params["pipeline_names"] is None
    assert params["runtime_params"] == params["extra_params"] == RUNTIME_PARAMS
    # As Kedro's: getattr(runner, "__name__", str(runner)), for an instance its str().
    assert re.fullmatch(
        rf"<hookline\.runner\.\w+\.{type(runner).__name__} object at 0x\w+>", params["runner"]
    )
    for empty_list in ("tags", "from_nodes", "to_nodes", "node_names", "from_inputs"):
        assert params[empty_list] == [], empty_list
    assert params["to_outputs"] == []
    assert params["load_versions"] == {}
    assert params["namespaces"] == []
    assert params["namespace"] is None
    assert params["only_missing_outputs"] is False
    assert params["kedro_version"].startswith("1.7")
    assert started["nodes"] == ["count", "rate", "summarise"]
    finished = scenario.record_of("status.finished")
    assert finished == {
        "hook": "status.finished",
        "run_id": result.session_id,
        "outcome": "succeeded",
        "outputs": ["snapshot_size"],
    }


def test_schema_hook_registers_its_resolver_and_validates_node_inputs(
    ran: tuple[Scenario, RunResult],
) -> None:
    scenario, _ = ran
    expected = {"id": "int64", "rating": "float64"}
    declared = scenario.record_of("schema.declared")["schemas"]
    # companies_snapshot is the companies dataset under a second name (the dynamic hook).
    assert declared.get("companies") == expected
    checked = sorted(
        (e["node"], e["dataset"], e["problems"]) for e in scenario.records("schema.checked")
    )
    assert checked == [("count", "companies_snapshot", []), ("rate", "companies", [])]


def test_schema_hook_stops_a_run_whose_input_breaks_its_schema(
    tmp_path: Path, runner: AbstractRunner
) -> None:
    scenario = write_hookline_scenario(tmp_path, companies_csv=BAD_COMPANIES_CSV)
    # Two nodes read the bad file (as companies and as companies_snapshot): whichever the
    # runner starts first stops the run.
    with pytest.raises(
        RunFailed, match=r"Dataset '(companies|companies_snapshot)' fails its schema"
    ):
        run(scenario, runner)
    # pandas reads a column of text as "object" (pandas 2) or "str" (pandas 3).
    text_dtype = str(pandas.read_csv(io.StringIO(BAD_COMPANIES_CSV)).dtypes["rating"])
    problem = f"column 'rating' is {text_dtype}, expected float64"
    checked = scenario.records("schema.checked")
    assert checked
    assert all(entry["problems"] == [problem] for entry in checked), checked
    finished = scenario.record_of("status.finished")
    assert finished["outcome"] == "failed"
    assert problem in finished["error"]


def test_spark_hook_reads_the_spark_config_resolved(ran: tuple[Scenario, RunResult]) -> None:
    scenario, _ = ran
    assert scenario.record_of("spark.session") == {
        "hook": "spark.session",
        "app_name": scenario.project.name,
        "package_name": scenario.package,
        "env": None,
        "conf": SPARK_CONF,
    }


def test_dynamic_catalog_hook_feeds_data_the_nodes_use(ran: tuple[Scenario, RunResult]) -> None:
    scenario, result = ran
    added = scenario.record_of("dynamic.added")
    assert added["exchange_rates_class"] == "MemoryDataset"
    assert added["exchange_rates"] == {"EUR": 1.0, "USD": 1.25}
    assert added["snapshot_is_companies"] is True
    assert {"exchange_rates", "companies_snapshot"} <= set(added["listed"])
    # Companies 1 and 3 pass the threshold: (10.0 + 30.0) at the hook's USD rate.
    assert scenario.output("08_reporting/summary.json") == {
        "title": "Top companies",
        "currency": "USD",
        "top_ids": [1, 3],
        "revenue": 50.0,
    }
    assert result.outputs == {"snapshot_size": 3}


def test_without_the_dynamic_hook_its_datasets_are_missing_inputs(
    tmp_path: Path, runner: AbstractRunner
) -> None:
    # As in Kedro, free inputs are checked after before_pipeline_run (where a hook may add
    # them), and a missing one ends the run through on_pipeline_error.
    hooks = {name: hook for name, hook in ALL_HOOKS.items() if name != "dynamic_catalog"}
    scenario = write_hookline_scenario(tmp_path, hooks)
    missing = "['companies_snapshot', 'exchange_rates'] are not in the catalog"
    with pytest.raises(DatasetError, match=re.escape(missing)):
        run(scenario, runner)
    assert scenario.record_of("status.finished")["outcome"] == "failed"
    assert scenario.records("statistics.node") == []


def test_kedro_018_hook_adds_datasets_and_reads_config_by_glob(
    ran: tuple[Scenario, RunResult],
) -> None:
    scenario, _ = ran
    assert scenario.record_of("legacy.config") == {"hook": "legacy.config", "spark": SPARK_CONF}
    catalog = scenario.record_of("legacy.catalog")
    assert {"companies", "rated_companies", "summary", "params:threshold"} <= set(catalog["listed"])
    assert "params:threshold" in catalog["parameters"]
    assert "companies" not in catalog["parameters"]
    assert catalog["added"] == ["companies_copy", "run_label", "threshold_copy"]
    assert catalog["copy_has_added"] is True
    assert catalog["copy_is_shallow"] is True
    # Every node, in whichever process ran it, sees what the hook added.
    seen = sorted(
        (e["node"], e["run_label"], e["threshold_copy"]) for e in scenario.records("legacy.node")
    )
    assert seen == [
        ("count", "nightly", 3.5),
        ("rate", "nightly", 3.5),
        ("summarise", "nightly", 3.5),
    ]
