"""hookline-great-expectations on GX Core 1.x: real file contexts written by the tests, real
sessions and runners, the plugin loaded from its entry point as a user gets it.

Both styles (a dataset mapped to a suite, or to a checkpoint), the three policies, inputs and
outputs, missing suites, checkpoints and datasets, and data that is not a DataFrame. Collected
only where GX Core 1.x is installed (see conftest.py).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import great_expectations as gx
import pytest

import hookline_great_expectations
from hookline.runner import AbstractRunner
from hookline.session import HooklineSession, RunFailed, RunResult
from hookline_great_expectations import NotADataFrameError, ValidationFailed, ValidationOutcome

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
from .gx1_context import build_gx1_context


def succeeded(outcome: RunResult | RunFailed) -> RunResult:
    if isinstance(outcome, RunFailed):
        raise AssertionError(f"the run failed: {outcome}") from outcome.error
    return outcome


def outcomes() -> list[ValidationOutcome]:
    """What the plugin (the entry point's instance) validated in the last run, all processes."""
    return hookline_great_expectations.hooks.last_outcomes


def plugin_logs(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    """The plugin's log messages at ``level``."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "hookline_great_expectations" and r.levelno == level
    ]


def by_subject(items: list[ValidationOutcome]) -> dict[tuple[str, str, str], ValidationOutcome]:
    return {(o.dataset, o.node, o.role): o for o in items}


# -- under every runner -------------------------------------------------------------------------


def test_both_styles_warn_and_fail_at_end_under_every_runner(
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
        build_context=build_gx1_context,
    )

    failure = failed(run(project, runner))

    # Every node ran and saved (warn and fail_at_end go on); the run failed after them.
    assert ran(project) == {"preprocess", "summarize"}
    assert (project / "data" / "02_intermediate" / "preprocessed_companies.csv").exists()
    error = failure.error
    assert isinstance(error, ValidationFailed)
    assert error.at_end
    assert {(o.dataset, o.node, o.role) for o in error.outcomes} == {
        ("preprocessed_companies", "preprocess", "output"),
        ("preprocessed_companies", "summarize", "input"),
    }
    message = str(error)
    assert "dataset 'preprocessed_companies' (output of node 'preprocess')" in message
    assert "checkpoint 'preprocessed_companies_checkpoint'" in message
    assert "expect_column_values_to_be_between on column 'rating'" in message
    assert "72.5" in message
    assert "-10.0" in message

    seen = by_subject(outcomes())
    assert set(seen) == {
        ("companies", "preprocess", "input"),
        ("preprocessed_companies", "preprocess", "output"),
        ("preprocessed_companies", "summarize", "input"),
    }
    companies = seen[("companies", "preprocess", "input")]
    assert (companies.kind, companies.target, companies.policy) == ("suite", "companies", "warn")
    assert (companies.evaluated, companies.failed) == (2, 2)
    assert {f.column for f in companies.failures} == {"'id'", "'rating'"}

    # The figures reached the run's measurements, from whichever process validated.
    measurements = failure.result.measurements
    assert figures(measurements, "validation.expectations") == {
        ("preprocess", "companies", "input"): 2,
        ("preprocess", "preprocessed_companies", "output"): 2,
        ("summarize", "preprocessed_companies", "input"): 2,
    }
    assert figures(measurements, "validation.failed") == {
        ("preprocess", "companies", "input"): 2,
        ("preprocess", "preprocessed_companies", "output"): 1,
        ("summarize", "preprocessed_companies", "input"): 1,
    }

    # Results were stored in the context under the session id, and Data Docs built once.
    context_root = project / "gx"
    results = stored_results(context_root, failure.result.session_id)
    assert len(results) == 3
    assert all(result["success"] is False for result in results)
    assert (context_root / "uncommitted" / "data_docs" / "local_site" / "index.html").is_file()
    assert hookline_great_expectations.hooks.last_data_docs == [
        (context_root / "uncommitted" / "data_docs" / "local_site" / "index.html").as_uri()
    ]
    # The worker processes' outcome files are gone.
    assert not (context_root / "uncommitted" / "hookline").exists()


def test_fail_policy_stops_the_node_under_every_runner(
    runner: AbstractRunner, ge_project: ProjectFactory
) -> None:
    project = ge_project(
        ge_config({"companies": {"suite": "companies", "policy": "fail"}}),
        rows=BAD_ROWS,
        build_context=build_gx1_context,
    )

    failure = failed(run(project, runner))

    # The error keeps its type and its outcomes, even when raised in a worker process.
    error = failure.error
    assert isinstance(error, ValidationFailed)
    assert not error.at_end
    (outcome,) = error.outcomes
    assert (outcome.dataset, outcome.node, outcome.role) == ("companies", "preprocess", "input")
    assert str(error) == (
        "Great Expectations validation failed: dataset 'companies' (input of node 'preprocess') "
        "failed suite 'companies': 2 of 2 expectation(s) failed\n"
        "  - expect_column_values_to_not_be_null on column 'id': 1 of 4 value(s) unexpected; "
        "e.g. nan\n"
        "  - expect_column_values_to_be_between on column 'rating' (min_value=0.0, "
        "max_value=5.0): 2 of 4 value(s) unexpected; e.g. 7.25, -1.0"
    )
    assert ran(project) == set()
    assert not (project / "data" / "02_intermediate" / "preprocessed_companies.csv").exists()
    # The failed run's result is stored, and Data Docs show it.
    assert len(stored_results(project / "gx", failure.result.session_id)) == 1
    assert len(hookline_great_expectations.hooks.last_data_docs) == 1
    assert failure.failed_in is not None
    assert "GreatExpectationsHooks" in failure.failed_in


# -- policies, inputs and outputs ---------------------------------------------------------------


def test_datasets_that_meet_their_expectations_pass_in_both_styles(
    ge_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    project = ge_project(
        ge_config(
            {
                "companies": {"checkpoint": "companies_checkpoint"},
                "preprocessed_companies": {"suite": "preprocessed_companies"},
            },
            data_docs=False,
        ),
        build_context=build_gx1_context,
    )

    with caplog.at_level(logging.WARNING, logger="hookline_great_expectations"):
        result = succeeded(run(project))

    assert result.outputs == {"summary": {"rows": 4}}
    assert plugin_logs(caplog, logging.WARNING) == []
    assert figures(result.measurements, "validation.failed") == {
        ("preprocess", "companies", "input"): 0,
        ("preprocess", "preprocessed_companies", "output"): 0,
        ("summarize", "preprocessed_companies", "input"): 0,
    }
    assert all(o.success and o.evaluated == 2 for o in outcomes())
    assert hookline_great_expectations.hooks.last_data_docs == []


def test_warn_logs_each_failure_and_the_run_succeeds(
    ge_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    project = ge_project(
        ge_config({"companies": {"suite": "companies"}}, policy="warn"),
        rows=BAD_ROWS,
        build_context=build_gx1_context,
    )

    with caplog.at_level(logging.INFO):
        result = succeeded(run(project))

    assert result.outputs == {"summary": {"rows": 4}}
    # Great Expectations' own INFO lines (hundreds per run) stay out of the run's log.
    assert [r for r in caplog.records if r.name.startswith("great_expectations")] == []
    warnings = plugin_logs(caplog, logging.WARNING)
    assert len(warnings) == 1
    assert (
        "dataset 'companies' (input of node 'preprocess') failed suite 'companies'" in warnings[0]
    )
    assert "policy warn: the run goes on" in warnings[0]
    infos = plugin_logs(caplog, logging.INFO)
    assert "Great Expectations: 1 validation(s), 1 failed (warn: 1)" in infos
    docs = (project / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").as_uri()
    assert f"Great Expectations Data Docs: {docs}" in infos


def test_a_failed_output_with_policy_fail_is_not_saved(ge_project: ProjectFactory) -> None:
    project = ge_project(
        ge_config(
            {"preprocessed_companies": {"suite": "preprocessed_companies", "when": "output"}}
        ),
        factor=10,
        build_context=build_gx1_context,
    )

    error = failed(run(project)).error

    assert isinstance(error, ValidationFailed)
    assert "dataset 'preprocessed_companies' (output of node 'preprocess') failed suite" in str(
        error
    )
    assert ran(project) == {"preprocess"}
    assert not (project / "data" / "02_intermediate" / "preprocessed_companies.csv").exists()


def test_fail_at_end_runs_every_node_then_lists_every_failure(ge_project: ProjectFactory) -> None:
    project = ge_project(
        ge_config(
            {
                "companies": {"suite": "companies", "when": "input"},
                "preprocessed_companies": {
                    "checkpoint": "preprocessed_companies_checkpoint",
                    "when": "input",
                },
            },
            policy="fail_at_end",
        ),
        rows=BAD_ROWS,
        factor=10,
        build_context=build_gx1_context,
    )

    failure = failed(run(project))

    assert ran(project) == {"preprocess", "summarize"}
    error = failure.error
    assert isinstance(error, ValidationFailed)
    assert [(o.dataset, o.node, o.role) for o in error.outcomes] == [
        ("companies", "preprocess", "input"),
        ("preprocessed_companies", "summarize", "input"),
    ]
    assert str(error).startswith(
        "Great Expectations validation failed for 2 dataset validation(s) with policy fail_at_end:"
    )
    assert failure.resume_from == []  # every node completed: nothing to resume


def test_when_chooses_inputs_or_outputs(ge_project: ProjectFactory) -> None:
    project = ge_project(
        ge_config(
            {
                "companies": {"suite": "companies", "when": "output"},  # never an output
                "preprocessed_companies": {"suite": "preprocessed_companies", "when": "input"},
            }
        ),
        build_context=build_gx1_context,
    )

    succeeded(run(project))

    assert [(o.dataset, o.node, o.role) for o in outcomes()] == [
        ("preprocessed_companies", "summarize", "input")
    ]


# -- start-up errors ------------------------------------------------------------------------------


def test_a_missing_suite_fails_before_any_node(ge_project: ProjectFactory) -> None:
    project = ge_project(
        ge_config({"companies": {"suite": "companys"}, "summary": {"suite": "nope"}}),
        build_context=build_gx1_context,
    )

    error = start_up_error(project)
    assert str(error) == (
        f"{project / 'conf' / 'base' / 'great_expectations.yml'}: expectation suite(s) not found "
        f"in the Great Expectations context at {project / 'gx'}: 'companys' (for dataset "
        "companies) Did you mean 'companies'?; 'nope' (for dataset summary). Expectation suites "
        "in that context: companies, preprocessed_companies."
    )
    assert ran(project) == set()


def test_a_missing_checkpoint_fails_before_any_node(ge_project: ProjectFactory) -> None:
    project = ge_project(
        ge_config({"preprocessed_companies": {"checkpoint": "preprocessed_checkpoint"}}),
        build_context=build_gx1_context,
    )

    error = start_up_error(project)
    message = str(error)
    assert "checkpoint(s) not found in the Great Expectations context" in message
    assert "'preprocessed_checkpoint' (for dataset preprocessed_companies)" in message
    assert message.endswith(
        "Checkpoints in that context: companies_checkpoint, preprocessed_companies_checkpoint."
    )
    assert ran(project) == set()


def test_an_unknown_dataset_fails_before_any_node(ge_project: ProjectFactory) -> None:
    project = ge_project(
        ge_config({"compnies": {"suite": "companies"}}), build_context=build_gx1_context
    )

    error = start_up_error(project)
    assert str(error) == (
        f"{project / 'conf' / 'base' / 'great_expectations.yml'}: dataset(s) configured for "
        "validation are not in the catalog and no node makes them: 'compnies'. Did you mean "
        "'companies'? Datasets of this project: companies, preprocessed_companies, summary."
    )
    assert ran(project) == set()


def test_a_memory_dataset_of_a_node_left_out_by_a_filter_is_not_unknown(
    ge_project: ProjectFactory,
) -> None:
    project = ge_project(
        ge_config({"companies": {"suite": "companies"}, "summary": {"suite": "companies"}}),
        build_context=build_gx1_context,
    )

    # Only preprocess runs: 'summary' is made by summarize, which this run leaves out.
    session = HooklineSession.create(project)
    session.run(node_names=["preprocess"])

    assert ran(project) == {"preprocess"}


def test_a_missing_context_fails_before_any_node(ge_project: ProjectFactory) -> None:
    project = ge_project(ge_config({"companies": {"suite": "companies"}}), build_context=None)

    error = start_up_error(project)
    assert f"no Great Expectations context at {project / 'gx'}" in str(error)
    assert ran(project) == set()


def test_a_checkpoint_over_a_file_asset_is_refused(ge_project: ProjectFactory) -> None:
    def context_with_a_file_checkpoint(project: Path) -> None:
        build_gx1_context(project)
        context = gx.get_context(mode="file", project_root_dir=str(project))
        files = context.data_sources.add_pandas_filesystem(
            name="files", base_directory=str(project / "data")
        )
        batch = files.add_csv_asset(name="raw").add_batch_definition_path(
            "companies", path="01_raw/companies.csv"
        )
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(
                name="raw_files", data=batch, suite=context.suites.get("companies")
            )
        )
        context.checkpoints.add(gx.Checkpoint(name="files", validation_definitions=[definition]))

    project = ge_project(
        ge_config({"companies": {"checkpoint": "files"}}),
        build_context=context_with_a_file_checkpoint,
    )

    error = start_up_error(project)
    assert "checkpoint 'files' (for dataset companies) validates the csv asset 'raw'" in str(error)


# -- data that is not a DataFrame ---------------------------------------------------------------


def test_a_dataset_that_is_not_a_dataframe_is_a_clear_error(ge_project: ProjectFactory) -> None:
    project = ge_project(
        ge_config({"summary": {"suite": "companies", "when": "output"}}),
        build_context=build_gx1_context,
    )

    error = failed(run(project)).error

    assert isinstance(error, NotADataFrameError)
    assert str(error) == (
        "Dataset 'summary' (output of node 'summarize') is a dict, not a pandas DataFrame, so "
        "Great Expectations cannot validate it against suite 'companies'. Set 'non_dataframe: "
        f"skip' in {project / 'conf' / 'base' / 'great_expectations.yml'} to skip such datasets, "
        "or remove datasets.summary from it."
    )


def test_a_dataset_that_is_not_a_dataframe_is_skipped_when_configured(
    ge_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    project = ge_project(
        ge_config({"summary": {"suite": "companies"}}, non_dataframe="skip"),
        build_context=build_gx1_context,
    )

    with caplog.at_level(logging.WARNING, logger="hookline_great_expectations"):
        result = succeeded(run(project))

    assert result.outputs == {"summary": {"rows": 4}}
    assert plugin_logs(caplog, logging.WARNING) == [
        "Great Expectations: dataset 'summary' (output of node 'summarize') is a dict, not a "
        "pandas DataFrame: not validated (non_dataframe: skip)"
    ]
    assert outcomes() == []


# -- one context per run, prepared once ------------------------------------------------------------


def test_the_context_is_opened_once_per_run_and_prepared_once(
    ge_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = ge_project(
        ge_config(
            {
                "companies": {"suite": "companies"},
                "preprocessed_companies": {"checkpoint": "preprocessed_companies_checkpoint"},
            }
        ),
        build_context=build_gx1_context,
    )
    opened: list[Any] = []
    real_get_context = gx.get_context

    def counting_get_context(*args: Any, **kwargs: Any) -> Any:
        opened.append(kwargs)
        return real_get_context(*args, **kwargs)

    monkeypatch.setattr(gx, "get_context", counting_get_context)

    succeeded(run(project))
    assert len(outcomes()) == 3
    assert len(opened) == 1

    # A second run finds everything prepared: it writes nothing to the context's configuration.
    context_root = project / "gx"
    config_files = [context_root / "great_expectations.yml"]
    config_files += sorted((context_root / "validation_definitions").glob("*.json"))
    before = {path: path.read_bytes() for path in config_files}
    assert context_root / "validation_definitions" / "hookline.companies.companies.json" in before

    succeeded(run(project))

    assert len(opened) == 2
    assert {path: path.read_bytes() for path in config_files} == before
    assert "progress_bars" not in (context_root / "great_expectations.yml").read_text()


def test_a_suite_made_again_is_bound_again(ge_project: ProjectFactory) -> None:
    project = ge_project(
        ge_config({"companies": {"suite": "companies"}}, policy="warn"),
        build_context=build_gx1_context,
    )
    succeeded(run(project))
    context = gx.get_context(mode="file", project_root_dir=str(project))
    context.suites.delete("companies")
    suite = context.suites.add(gx.ExpectationSuite(name="companies"))
    suite.add_expectation(gx.expectations.ExpectColumnToExist(column="no_such_column"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="no_such_column"))

    succeeded(run(project))

    (outcome,) = outcomes()
    assert (outcome.evaluated, outcome.failed) == (2, 2)
    failures = {failure.expectation: failure for failure in outcome.failures}
    exists = failures["expect_column_to_exist"]
    not_null = failures["expect_column_values_to_not_be_null"]
    assert exists.describe() == "expect_column_to_exist on column 'no_such_column'"
    # An expectation that cannot be evaluated says why.
    assert not_null.describe().startswith(
        "expect_column_values_to_not_be_null on column 'no_such_column': could not be evaluated: "
    )
    assert "no_such_column" in not_null.describe().split("could not be evaluated: ")[1]


# -- no configuration ------------------------------------------------------------------------------


def test_without_configuration_great_expectations_is_never_imported(
    ge_project: ProjectFactory,
) -> None:
    project = ge_project(None, build_context=None)
    code = textwrap.dedent(
        f"""
        import sys
        from hookline.session import HooklineSession
        result = HooklineSession.create({str(project)!r}).run()
        assert result.outputs == {{"summary": {{"rows": 4}}}}, result.outputs
        print("great_expectations" in sys.modules)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("style", ["suite", "checkpoint"])
def test_without_the_fast_path_the_public_run_methods_run(
    style: str, ge_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A GX 1.x release without great_expectations.validator.v1_validator: the plugin falls
    # back to ValidationDefinition.run and Checkpoint.run, with the same findings and stored
    # results.
    from hookline_great_expectations.engines import gx1_runs

    monkeypatch.setattr(gx1_runs, "Validator", None)
    target = "companies" if style == "suite" else "companies_checkpoint"
    project = ge_project(
        ge_config({"companies": {style: target, "when": "input"}}, policy="warn"),
        rows=BAD_ROWS,
        build_context=build_gx1_context,
    )

    result = succeeded(run(project))

    (outcome,) = outcomes()
    assert (outcome.evaluated, outcome.failed) == (2, 2)
    (stored,) = stored_results(project / "gx", result.session_id)
    assert stored["meta"]["validation_id"] is not None
