"""A real GX Core 1.x file context for the tests, made through the Great Expectations API.

Suites ``companies`` and ``preprocessed_companies``; checkpoints ``companies_checkpoint`` and
``preprocessed_companies_checkpoint``, each with one validation definition over a dataframe
asset of the data source ``checkpoint_frames`` (so ``batch_parameters={"dataframe": df}``
selects the data), and no actions; :func:`add_checkpoint_with_actions` adds one with actions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import great_expectations as gx
from great_expectations import expectations as gxe
from great_expectations.checkpoint import CheckpointResult, UpdateDataDocsAction
from great_expectations.checkpoint.actions import ActionContext, ValidationAction

#: Suite name -> its expectations.
SUITES = {
    "companies": lambda: [
        gxe.ExpectColumnValuesToNotBeNull(column="id"),
        gxe.ExpectColumnValuesToBeBetween(column="rating", min_value=0, max_value=5),
    ],
    "preprocessed_companies": lambda: [
        gxe.ExpectColumnValuesToBeBetween(column="rating", min_value=0, max_value=5),
        gxe.ExpectTableRowCountToBeBetween(min_value=1, max_value=1000),
    ],
}

#: Checkpoint name -> the suite its validation definition uses.
CHECKPOINTS = {
    "companies_checkpoint": "companies",
    "preprocessed_companies_checkpoint": "preprocessed_companies",
}


def build_gx1_context(project: Path) -> Path:
    """Create ``<project>/gx`` with the suites and checkpoints above; return its folder."""
    context = gx.get_context(mode="file", project_root_dir=str(project))
    suites = {}
    for name, expectations in SUITES.items():
        suite = context.suites.add(gx.ExpectationSuite(name=name))
        for expectation in expectations():
            suite.add_expectation(expectation)
        suites[name] = suite
    source = context.data_sources.add_pandas(name="checkpoint_frames")
    for name, suite_name in CHECKPOINTS.items():
        batch = source.add_dataframe_asset(name=name).add_batch_definition_whole_dataframe("whole")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=batch, suite=suites[suite_name])
        )
        context.checkpoints.add(gx.Checkpoint(name=name, validation_definitions=[definition]))
    return Path(context.root_directory)


class RecordAction(ValidationAction):
    """A checkpoint action that appends, to the file ``path``, one JSON line per run: the run
    name, the success and the number of results it was given (registered with Great
    Expectations by defining it, as a user's custom action is)."""

    type: Literal["hookline_test_record"] = "hookline_test_record"
    path: str

    def run(
        self, checkpoint_result: CheckpointResult, action_context: ActionContext | None = None
    ) -> dict[str, Any]:
        """Append the line."""
        line = {
            "run_name": checkpoint_result.run_id.run_name,
            "success": checkpoint_result.success,
            "results": len(checkpoint_result.run_results),
        }
        with Path(self.path).open("a") as record:
            record.write(json.dumps(line) + "\n")
        return {}


def add_checkpoint_with_actions(project: Path, name: str, record: Path) -> None:
    """Add checkpoint ``name`` to the project's context: the ``companies`` suite over a new
    dataframe asset, with an ``UpdateDataDocsAction`` and a :class:`RecordAction` writing to
    ``record``."""
    context = gx.get_context(mode="file", project_root_dir=str(project))
    source = context.data_sources.get("checkpoint_frames")
    batch = source.add_dataframe_asset(name=name).add_batch_definition_whole_dataframe("whole")
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch, suite=context.suites.get("companies"))
    )
    context.checkpoints.add(
        gx.Checkpoint(
            name=name,
            validation_definitions=[definition],
            actions=[
                RecordAction(name="record", path=str(record)),
                UpdateDataDocsAction(name="update_data_docs"),
            ],
        )
    )
