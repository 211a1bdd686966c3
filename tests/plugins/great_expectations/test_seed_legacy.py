"""The seed's DataValidationHooks classes (Kedro's hook examples) run on hookline with
great_expectations 0.15.50: the V3 class after changing only its import lines; the V2 class
also needs one keyword corrected, because as written it passes ``session_id=`` to
``run_validation_operator``, which no Great Expectations release accepts.

The classes are registered the way the seed says, in the project's ``settings.HOOKS``, and
create their own context with ``DataContext()``, which finds ``great_expectations/`` from the
current folder: the tests run from the project's folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hookline.session import HooklineSession, RunFailed

from .conftest import CATALOG, ROWS, SETTINGS, ProjectFactory, ran, stored_results
from .legacy_context import build_legacy_context

pytestmark = pytest.mark.legacy_gx


def seed_project(ge_project: ProjectFactory, module: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose settings register the seed class of ``module``, run from its folder."""
    project = ge_project(None, rows=ROWS, build_context=lambda p: build_legacy_context(p, True))
    settings = next((project / "src").glob("*/settings.py"))
    settings.write_text(
        f"{SETTINGS}\nfrom tests.plugins.great_expectations.{module} import DataValidationHooks\n"
        "HOOKS = (DataValidationHooks(),)\n"
    )
    # The seed's V2 class validates an output by reading its file before hookline saves it:
    # it reads what an earlier run saved.
    previous = project / "data" / "02_intermediate" / "preprocessed_companies.csv"
    previous.parent.mkdir(parents=True)
    previous.write_text((project / "data" / "01_raw" / "companies.csv").read_text())
    monkeypatch.chdir(project)
    assert "filepath: data/02_intermediate/preprocessed_companies.csv" in CATALOG
    return project


def test_the_v3_class_runs_with_only_its_import_lines_changed(
    ge_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = seed_project(ge_project, "seed_v3_hooks", monkeypatch)

    result = HooklineSession.create(project).run()

    assert result.outputs == {"summary": {"rows": 4}}
    (stored,) = stored_results(project / "great_expectations", result.session_id)
    assert stored["meta"]["checkpoint_name"] == "raw_companies_dataset_checkpoint"
    assert stored["meta"]["active_batch_definition"]["batch_identifiers"] == {
        "runtime_batch_identifier_name": "companies"
    }
    assert stored["success"] is True


def test_the_v2_class_as_written_fails_on_its_session_id_keyword(
    ge_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = seed_project(ge_project, "seed_v2_hooks", monkeypatch)

    with pytest.raises(RunFailed) as caught:
        HooklineSession.create(project).run()

    error = caught.value.error
    assert isinstance(error, TypeError)
    assert "got an unexpected keyword argument 'session_id'" in str(error)
    assert ran(project) == set()


def test_the_v2_class_runs_with_run_id_instead_of_session_id(
    ge_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = seed_project(ge_project, "seed_v2_fixed_hooks", monkeypatch)

    result = HooklineSession.create(project).run()

    assert result.outputs == {"summary": {"rows": 4}}
    assert ran(project) == {"preprocess", "summarize"}
    stored = stored_results(project / "great_expectations", result.session_id)
    # companies as preprocess's input; preprocessed_companies as its output and summarize's input.
    assert sorted(r["meta"]["expectation_suite_name"] for r in stored) == [
        "preprocessed_companies_dataset_expectation",
        "preprocessed_companies_dataset_expectation",
        "raw_companies_dataset_expectation",
    ]
    assert {r["meta"]["batch_kwargs"]["path"] for r in stored} == {
        str(project / "data" / "01_raw" / "companies.csv"),
        str(project / "data" / "02_intermediate" / "preprocessed_companies.csv"),
    }
