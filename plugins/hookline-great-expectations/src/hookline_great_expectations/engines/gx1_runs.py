"""Validation definitions and checkpoints run as GX Core 1.x runs them, minus the freshness
checks it repeats on every call.

``ValidationDefinition.run`` and ``Checkpoint.run`` first check that the object is "fresh":
they read the checkpoint, each validation definition, each suite and the data source back
from the context's stores, deserialize them, compare them field by field with the objects in
memory, and read ``great_expectations.yml`` (substituting its config variables) each time a
store's name is needed. On a small DataFrame that is as long as the validation itself. The
plugin fetches every object from the context once per run, before the first node, so the check
can only find what it found then; :func:`runs_available` says whether the installed release has
the pieces this module needs, and the engine falls back to the public ``run`` methods when not.

What a validation still does here, as those methods do: validate the batch of the in-memory
DataFrame, add the same ``meta`` (validation and checkpoint ids, run id, time, batch
parameters without the DataFrame) and store the result in the context's validation results
store; for a checkpoint, build its ``CheckpointResult`` with its own result format and run its
actions. The only action held back is ``UpdateDataDocsAction`` when the plugin builds Data Docs
at the end of the run anyway (``data_docs: true``): that build renders every result the
action would have rendered, once instead of after each validation.
"""

from __future__ import annotations

import datetime
from typing import Any

from great_expectations.checkpoint.actions import UpdateDataDocsAction
from great_expectations.checkpoint.checkpoint import CheckpointResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

try:
    from great_expectations.validator.v1_validator import Validator
except ImportError:  # a 1.x release that moved it: the public run methods do the same
    Validator = None  # type: ignore[misc,assignment,unused-ignore]

__all__ = ["PreparedCheckpoint", "new_run_id", "run_definition", "runs_available"]

#: What a stored result shows in place of the DataFrame (as GX's own runs write it).
DATAFRAME_PLACEHOLDER = "<DATAFRAME>"


def runs_available(checkpoint: Any | None = None) -> bool:
    """Whether this module can run validations on the installed release (and ``checkpoint``'s
    actions, when given)."""
    if Validator is None:
        return False
    return checkpoint is None or hasattr(checkpoint, "_run_actions")


def new_run_id(run_name: str) -> RunIdentifier:
    """A run identifier for ``run_name``, timed now (UTC)."""
    return RunIdentifier(run_name=run_name, run_time=datetime.datetime.now(datetime.timezone.utc))


def run_definition(
    definition: Any,
    batch_parameters: dict[str, Any],
    run_id: RunIdentifier,
    store: Any,
    result_format: Any,
    checkpoint_id: str | None = None,
) -> tuple[ValidationResultIdentifier, Any]:
    """Validate and store as ``ValidationDefinition.run`` does; return the result's key in
    ``store`` and the result."""
    validator = Validator(
        batch_definition=definition.batch_definition,
        batch_parameters=batch_parameters,
        result_format=result_format,
    )
    result = validator.validate_expectation_suite(definition.suite, None)
    result.meta["validation_id"] = definition.id
    result.meta["checkpoint_id"] = checkpoint_id
    result.meta["run_id"] = run_id
    result.meta["validation_time"] = run_id.run_time
    result.meta["batch_parameters"] = {
        name: DATAFRAME_PLACEHOLDER if name == "dataframe" else value
        for name, value in batch_parameters.items()
    }
    suite_identifier = ExpectationSuiteIdentifier(name=definition.suite.name)
    key = ValidationResultIdentifier(
        expectation_suite_identifier=suite_identifier,
        run_id=run_id,
        batch_identifier=validator.active_batch_id,
    )
    store.store_validation_results(
        suite_validation_result=result,
        suite_validation_result_identifier=key,
        expectation_suite_identifier=suite_identifier,
    )
    return key, result


class PreparedCheckpoint:
    """A checkpoint fetched once, run as ``Checkpoint.run`` runs it without its freshness
    checks.

    Args:
        checkpoint: The checkpoint, as the context's checkpoint store returned it.
        store: The context's validation results store.
        data_docs_at_end: Whether the plugin builds Data Docs at the end of the run; if so the
            checkpoint's ``UpdateDataDocsAction``\\ s are left to that build.
    """

    def __init__(self, checkpoint: Any, store: Any, data_docs_at_end: bool) -> None:
        self.checkpoint = checkpoint
        self._store = store
        actions = list(checkpoint.actions)
        if data_docs_at_end:
            actions = [a for a in actions if not isinstance(a, UpdateDataDocsAction)]
        # A copy that holds only the actions to run per validation; the checkpoint itself,
        # as stored in the context, is not changed.
        self._with_actions = checkpoint.copy(update={"actions": actions}) if actions else None

    def run(self, batch_parameters: dict[str, Any], run_id: RunIdentifier) -> list[Any]:
        """Validate, store, and run the actions; return each validation definition's result."""
        checkpoint = self.checkpoint
        run_results = dict(
            run_definition(
                definition,
                batch_parameters,
                run_id,
                self._store,
                checkpoint.result_format,
                checkpoint_id=checkpoint.id,
            )
            for definition in checkpoint.validation_definitions
        )
        if self._with_actions is not None:
            result = CheckpointResult(
                run_id=run_id, run_results=run_results, checkpoint_config=checkpoint
            )
            self._with_actions._run_actions(checkpoint_result=result)
        return list(run_results.values())
