"""The regression guard on real validations: hookline-great-expectations validates a dataset
against a GX Core 1.x suite in every run, and the run whose data fails where its baseline's
passed names the dataset as a validation regression. Collected only where GX Core 1.x is
installed (see conftest.py)."""

from __future__ import annotations

from pathlib import Path

from hookline.runner import SequentialRunner
from hookline.session import HooklineSession, RunResult

from .conftest import BAD_ROWS, ProjectFactory, figures, ge_config, write_companies
from .gx1_context import build_gx1_context

#: The suite validates ``companies`` as the input of ``preprocess``; ``warn`` lets a run whose
#: data fails complete, and only a completed run is compared with its baseline.
GE_YML = ge_config({"companies": {"suite": "companies", "when": "input"}}, policy="warn")


def run(project: Path) -> RunResult:
    return HooklineSession.create(project).run(runner=SequentialRunner())


def validation_regressions(result: RunResult) -> list[tuple[str | None, str | None, float, float]]:
    """(node, dataset, failed expectations, baseline) of each validation regression."""
    assert result.regressions is not None, "the run history is off"
    return [
        (r.node, r.dataset, r.value, r.baseline)
        for r in result.regressions.found
        if r.kind == "validation"
    ]


def test_data_failing_its_suite_where_the_baseline_passed_is_a_regression(
    ge_project: ProjectFactory,
) -> None:
    project = ge_project(GE_YML, build_context=build_gx1_context)
    for _ in range(2):  # the baseline: the suite passes
        passed = run(project)
        assert figures(passed.measurements, "validation.failed") == {
            ("preprocess", "companies", "input"): 0
        }
        assert validation_regressions(passed) == []

    write_companies(project, BAD_ROWS)
    result = run(project)

    failed = figures(result.measurements, "validation.failed")[("preprocess", "companies", "input")]
    assert failed > 0
    assert result.regressions is not None
    assert result.regressions.baseline_runs == 2
    assert validation_regressions(result) == [("preprocess", "companies", failed, 0.0)]
    # Published like any measurement, so that MLflow, StatsD and the history keep it.
    regressions = [m for m in result.measurements if m.name == "regression.validation"]
    assert [(m.node, m.dataset, m.value) for m in regressions] == [("preprocess", "companies", 1.0)]


def test_data_that_keeps_passing_is_no_regression(ge_project: ProjectFactory) -> None:
    project = ge_project(GE_YML, build_context=build_gx1_context)
    for _ in range(2):
        run(project)

    result = run(project)

    assert result.regressions is not None
    assert result.regressions.baseline_runs == 2
    assert validation_regressions(result) == []
