"""The checkpoint style on GX Core 1.x does what ``Checkpoint.run`` does: the same stored
results, the checkpoint's actions run after each validation, except ``UpdateDataDocsAction``
when the plugin builds Data Docs at the end of the run anyway. Real file contexts, real
sessions; collected only where GX Core 1.x is installed (see conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import great_expectations as gx
import pandas as pd
import pytest
from great_expectations.checkpoint import UpdateDataDocsAction
from great_expectations.core.run_identifier import RunIdentifier

from hookline.runner import SequentialRunner
from hookline.session import HooklineSession, RunResult

from .conftest import BAD_ROWS, ProjectFactory, ge_config, stored_results
from .gx1_context import add_checkpoint_with_actions, build_gx1_context

CHECKPOINT = "companies_with_actions"

#: companies as preprocess's input, preprocessed_companies as its output and summarize's input.
VALIDATIONS = 3


def run(project: Path) -> RunResult:
    return HooklineSession.create(project).run(runner=SequentialRunner())


@pytest.fixture
def data_docs_updates(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Each run of a checkpoint's ``UpdateDataDocsAction`` (the real one runs too)."""
    calls: list[Any] = []
    real_run = UpdateDataDocsAction.run

    def counting_run(self: UpdateDataDocsAction, *args: Any, **kwargs: Any) -> Any:
        calls.append(self.name)
        return real_run(self, *args, **kwargs)

    monkeypatch.setattr(UpdateDataDocsAction, "run", counting_run)
    return calls


def project_with_actions(ge_project: ProjectFactory, tmp_path: Path, data_docs: bool) -> Path:
    record = tmp_path / "record.jsonl"

    def build(project: Path) -> None:
        build_gx1_context(project)
        add_checkpoint_with_actions(project, CHECKPOINT, record)

    return ge_project(
        ge_config(
            {
                "companies": {"checkpoint": CHECKPOINT, "when": "input"},
                "preprocessed_companies": {"checkpoint": CHECKPOINT},
            },
            policy="warn",
            data_docs=data_docs,
        ),
        rows=BAD_ROWS,
        build_context=build,
    )


def recorded(tmp_path: Path) -> list[dict[str, Any]]:
    lines = (tmp_path / "record.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def result_pages(project: Path, run_name: str) -> list[Path]:
    """The Data Docs pages of the results stored under ``run_name``."""
    site = project / "gx" / "uncommitted" / "data_docs" / "local_site" / "validations"
    return [page for page in site.rglob("*.html") if run_name in page.parts]


def test_actions_run_after_each_validation_and_data_docs_are_built_once(
    ge_project: ProjectFactory, tmp_path: Path, data_docs_updates: list[Any]
) -> None:
    project = project_with_actions(ge_project, tmp_path, data_docs=True)

    result = run(project)

    assert (
        recorded(tmp_path)
        == [{"run_name": result.session_id, "success": False, "results": 1}] * VALIDATIONS
    )
    # The checkpoint's UpdateDataDocsAction is left to the build at the end of the run, which
    # renders every result it would have rendered.
    assert data_docs_updates == []
    assert len(stored_results(project / "gx", result.session_id)) == VALIDATIONS
    assert len(result_pages(project, result.session_id)) == VALIDATIONS


def test_without_the_plugins_data_docs_the_checkpoint_updates_them_itself(
    ge_project: ProjectFactory, tmp_path: Path, data_docs_updates: list[Any]
) -> None:
    project = project_with_actions(ge_project, tmp_path, data_docs=False)

    result = run(project)

    assert len(recorded(tmp_path)) == VALIDATIONS
    assert data_docs_updates == ["update_data_docs"] * VALIDATIONS
    assert len(result_pages(project, result.session_id)) == VALIDATIONS


def test_stored_results_are_those_checkpoint_run_stores(ge_project: ProjectFactory) -> None:
    project = ge_project(
        ge_config({"companies": {"checkpoint": "companies_checkpoint", "when": "input"}}),
        build_context=build_gx1_context,
    )
    by_plugin = run(project).session_id
    context = gx.get_context(mode="file", project_root_dir=str(project))
    frame = pd.read_csv(project / "data" / "01_raw" / "companies.csv")
    context.checkpoints.get("companies_checkpoint").run(
        batch_parameters={"dataframe": frame}, run_id=RunIdentifier(run_name="by-gx")
    )

    (plugin_result,) = stored_results(project / "gx", by_plugin)
    (gx_result,) = stored_results(project / "gx", "by-gx")

    # Only the run's name and times, and the load time of the batch, differ.
    for stored in (plugin_result, gx_result):
        assert stored["success"] is True
        del stored["meta"]["run_id"], stored["meta"]["validation_time"]
        del stored["meta"]["batch_markers"]["ge_load_time"]
    assert plugin_result["meta"]["checkpoint_id"] is not None
    assert plugin_result["meta"]["batch_parameters"] == {"dataframe": "<DATAFRAME>"}
    assert plugin_result == gx_result
