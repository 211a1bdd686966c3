"""hookline-great-expectations on great_expectations 0.15.50, through the same configuration as
on GX 1.x: the suite style runs the seed's V2 path (``get_batch`` +
``run_validation_operator``), the checkpoint style its V3 path (``run_checkpoint`` with a
runtime batch request), on real file contexts written by the tests.

Run by ``nox -s legacy_great_expectations`` (an environment with only the core, this plugin
and great_expectations 0.15.50: it cannot share one with mlflow 3); not collected where
GX Core 1.x is installed (see conftest.py).
"""

from __future__ import annotations

import pytest

import hookline_great_expectations
from hookline.runner import AbstractRunner
from hookline.session import RunResult
from hookline_great_expectations import ValidationFailed

from .conftest import (
    BAD_ROWS,
    ProjectFactory,
    failed,
    figures,
    ge_config,
    ran,
    run,
    start_up_error,
    stored_results,
)
from .legacy_context import build_legacy_context

pytestmark = pytest.mark.legacy_gx


def test_both_seed_apis_through_one_configuration(
    runner: AbstractRunner, ge_project: ProjectFactory
) -> None:
    project = ge_project(
        ge_config(
            {
                "companies": {"suite": "companies", "when": "input", "policy": "warn"},
                "preprocessed_companies": {
                    "checkpoint": "preprocessed_companies_checkpoint",
                    "policy": "fail_at_end",
                },
            }
        ),
        rows=BAD_ROWS,
        factor=10,
        build_context=build_legacy_context,
    )

    failure = failed(run(project, runner))

    assert ran(project) == {"preprocess", "summarize"}
    error = failure.error
    assert isinstance(error, ValidationFailed)
    assert error.at_end
    assert {(o.dataset, o.node, o.role) for o in error.outcomes} == {
        ("preprocessed_companies", "preprocess", "output"),
        ("preprocessed_companies", "summarize", "input"),
    }
    message = str(error)
    assert "checkpoint 'preprocessed_companies_checkpoint'" in message
    assert "expect_column_values_to_be_between on column 'rating'" in message
    assert "72.5" in message
    assert "-10.0" in message

    outcomes = {
        (o.dataset, o.node, o.role): o for o in hookline_great_expectations.hooks.last_outcomes
    }
    companies = outcomes[("companies", "preprocess", "input")]
    assert (companies.kind, companies.evaluated, companies.failed) == ("suite", 2, 2)
    assert "7.25" in companies.failures[1].describe()
    assert figures(failure.result.measurements, "validation.failed") == {
        ("preprocess", "companies", "input"): 2,
        ("preprocess", "preprocessed_companies", "output"): 1,
        ("summarize", "preprocessed_companies", "input"): 1,
    }

    context_root = project / "great_expectations"
    results = stored_results(context_root, failure.result.session_id)
    assert sorted(r["meta"]["expectation_suite_name"] for r in results) == [
        "companies",
        "preprocessed_companies",
        "preprocessed_companies",
    ]
    # The V2 path's batch came from the datasource the plugin added at start-up.
    assert {
        r["meta"]["batch_kwargs"]["datasource"] for r in results if "batch_kwargs" in r["meta"]
    } == {"files_datasource"}
    assert (context_root / "uncommitted" / "data_docs" / "local_site" / "index.html").is_file()
    assert not (context_root / "uncommitted" / "hookline").exists()


def test_fail_policy_stops_the_node(ge_project: ProjectFactory) -> None:
    project = ge_project(
        ge_config({"companies": {"suite": "companies"}}),
        rows=BAD_ROWS,
        build_context=build_legacy_context,
    )

    error = failed(run(project)).error

    assert isinstance(error, ValidationFailed)
    assert str(error).startswith(
        "Great Expectations validation failed: dataset 'companies' (input of node 'preprocess') "
        "failed suite 'companies': 2 of 2 expectation(s) failed\n"
    )
    assert ran(project) == set()


def test_the_v2_datasource_and_operator_are_added_once_at_start_up(
    ge_project: ProjectFactory,
) -> None:
    project = ge_project(
        ge_config({"companies": {"suite": "companies"}}), build_context=build_legacy_context
    )
    config_file = project / "great_expectations" / "great_expectations.yml"
    assert "files_datasource" not in config_file.read_text()

    assert isinstance(run(project), RunResult)
    text = config_file.read_text()
    assert "files_datasource:" in text
    assert "action_list_operator:" in text
    assert "progress_bars" not in text

    assert isinstance(run(project), RunResult)
    assert config_file.read_text() == text


def test_missing_suites_and_checkpoints_fail_before_any_node(ge_project: ProjectFactory) -> None:
    project = ge_project(
        ge_config(
            {"companies": {"suite": "companys"}, "summary": {"checkpoint": "companies_checkpoint"}}
        ),
        build_context=build_legacy_context,
    )

    error = start_up_error(project)
    assert "expectation suite(s) not found in the Great Expectations context at" in str(error)
    assert "'companys' (for dataset companies) Did you mean 'companies'?" in str(error)
    assert ran(project) == set()

    project = ge_project(
        ge_config({"companies": {"checkpoint": "companies_chekpoint"}}),
        build_context=build_legacy_context,
    )

    error = start_up_error(project)
    assert (
        "'companies_chekpoint' (for dataset companies) Did you mean 'companies_checkpoint'?"
        in str(error)
    )
    assert str(error).endswith(
        "Checkpoints in that context: companies_checkpoint, preprocessed_companies_checkpoint, "
        "raw_companies_dataset_checkpoint."
    )


@pytest.mark.parametrize(
    "relative",
    [
        "great_expectations.yml",
        "expectations/companies.json",
        "checkpoints/preprocessed_companies_checkpoint.yml",
    ],
)
def test_a_damaged_context_file_is_named_before_any_node(
    relative: str, ge_project: ProjectFactory
) -> None:
    project = ge_project(
        ge_config(
            {
                "companies": {"suite": "companies"},
                "preprocessed_companies": {"checkpoint": "preprocessed_companies_checkpoint"},
            }
        ),
        build_context=build_legacy_context,
    )
    damaged = project / "great_expectations" / relative
    text = damaged.read_text()
    # Cut in the middle of a structure: no longer valid JSON, nor YAML.
    damaged.write_text(text[: len(text) // 2] + "\n  - [unclosed: {\n")

    error = start_up_error(project)

    listed = str(error).split("damaged file(s): ", 1)[1].split(". Fix or restore them")[0]
    assert listed.startswith(f"{damaged} (")
    assert listed.count(str(project)) == 1
    assert "cannot be read" in str(error)
    assert ran(project) == set()
