"""The great_expectations 0.15.x engine: the two code paths of Kedro's data validation examples.

- Suite style (``suite: NAME``), the seed's V2 API: ``context.get_batch({"dataset": df,
  "datasource": <legacy.datasource>}, suite)`` then ``context.run_validation_operator(
  <legacy.validation_operator>, assets_to_validate=[batch], run_id=RunIdentifier(run_name=
  <session id>))``. The seed passes ``{"path": ...}`` (the dataset's file); the plugin passes
  the in-memory DataFrame, which is what a node reads or made (an output is validated before it
  is saved). The ``PandasDatasource`` and the ``ActionListValidationOperator`` (storing results)
  are created at start-up when the context lacks them.
- Checkpoint style (``checkpoint: NAME``), the seed's V3 API: ``context.run_checkpoint(
  checkpoint_name=NAME, batch_request={"runtime_parameters": {"batch_data": df},
  "batch_identifiers": {<identifier>: <dataset>}}, run_name=<session id>)``, where the
  identifiers are those the checkpoint's ``RuntimeDataConnector`` declares (the seed's
  ``runtime_batch_identifier_name`` when they cannot be read).

great_expectations 0.17.12 removed ``get_batch``: on 0.16 to 0.18, only the checkpoint style runs.
"""

from __future__ import annotations

import datetime
import importlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from great_expectations.core.run_identifier import RunIdentifier

from hookline.plugin import ConfigError
from hookline_great_expectations.config import DatasetRule, GreatExpectationsConfig
from hookline_great_expectations.engines import missing_error, wanted
from hookline_great_expectations.results import Findings, summarize

__all__ = ["LegacyEngine", "open_prepared", "prepare"]

# Typed as Any: the type information installed next to this code may be GX 1.x's, which lacks
# these 0.15.x APIs.
ge: Any = importlib.import_module("great_expectations")

#: The batch identifier of the seed's checkpoint, used when the connector's cannot be read.
SEED_BATCH_IDENTIFIER = "runtime_batch_identifier_name"

_OPERATOR_CONFIG = {
    "class_name": "ActionListValidationOperator",
    "action_list": [
        {
            "name": "store_validation_result",
            "action": {"class_name": "StoreValidationResultAction"},
        },
    ],
}


class LegacyEngine:
    """Validates in-memory DataFrames with great_expectations 0.15.x, on one file context.

    Args:
        context: The file context, opened once for the run (in this process).
        config: The plugin's settings.
        suites: Suite name -> the suite, read once.
        identifiers: Checkpoint name -> the batch identifier names of its runtime connector.
    """

    version = str(ge.__version__)

    def __init__(
        self,
        context: Any,
        config: GreatExpectationsConfig,
        suites: Mapping[str, Any],
        identifiers: Mapping[str, list[str]],
    ) -> None:
        self.context = context
        self._config = config
        self._suites = dict(suites)
        self._identifiers = {name: list(names) for name, names in identifiers.items()}
        if not config.progress_bars:
            # In memory only: the project's great_expectations.yml is not saved again.
            from great_expectations.data_context.types.base import ProgressBarsConfig

            context.variables.progress_bars = ProgressBarsConfig(globally=False)

    def validate(self, rule: DatasetRule, data: Any, run_name: str) -> Findings:
        """Validate ``data`` through the seed's V2 or V3 path, storing the results."""
        samples = self._config.unexpected_samples
        if rule.checkpoint is not None:
            names = self._identifiers.get(rule.checkpoint) or [SEED_BATCH_IDENTIFIER]
            result = self.context.run_checkpoint(
                checkpoint_name=rule.checkpoint,
                batch_request={
                    "runtime_parameters": {"batch_data": data},
                    "batch_identifiers": dict.fromkeys(names, rule.dataset),
                },
                run_name=run_name,
            )
            return summarize(result.list_validation_results(), samples)
        assert rule.suite is not None
        batch = self.context.get_batch(
            {"dataset": data, "datasource": self._config.legacy_datasource},
            self._suites[rule.suite],
        )
        result = self.context.run_validation_operator(
            self._config.legacy_validation_operator,
            assets_to_validate=[batch],
            run_id=RunIdentifier(
                run_name=run_name, run_time=datetime.datetime.now(datetime.timezone.utc)
            ),
        )
        return summarize(result.list_validation_results(), samples)

    def build_data_docs(self) -> list[str]:
        """Build every Data Docs site of the context; return their index pages' URLs."""
        sites = self.context.build_data_docs()
        return [str(url) for url in sites.values()]

    def plan(self) -> dict[str, Any]:
        """What a worker needs besides the context: the checkpoints' batch identifiers."""
        return {"identifiers": dict(self._identifiers)}


def _open(root: Path) -> Any:
    return ge.data_context.DataContext(context_root_dir=str(root))


def prepare(config: GreatExpectationsConfig, root: Path) -> LegacyEngine:
    """Open the context, check every suite and checkpoint, and add the V2 datasource and
    validation operator when suites are configured and the context lacks them."""
    context = _open(root)
    suite_names = wanted(config, "suite")
    existing_suites = list(context.list_expectation_suite_names())
    missing = {name: ds for name, ds in suite_names.items() if name not in existing_suites}
    if missing:
        raise missing_error(config, "expectation suite", missing, existing_suites, root)
    checkpoint_names = wanted(config, "checkpoint")
    existing_checkpoints = [str(name) for name in context.list_checkpoints()]
    missing = {n: ds for n, ds in checkpoint_names.items() if n not in existing_checkpoints}
    if missing:
        raise missing_error(config, "checkpoint", missing, existing_checkpoints, root)
    if suite_names:
        _prepare_v2(context, config, root)
    identifiers = {name: _batch_identifiers(context, name) for name in checkpoint_names}
    return _engine(context, config, suite_names, identifiers)


def open_prepared(
    config: GreatExpectationsConfig, root: Path, plan: Mapping[str, Any]
) -> LegacyEngine:
    """Open, in a worker, what :func:`prepare` made in the main process (no writes)."""
    return _engine(_open(root), config, wanted(config, "suite"), plan["identifiers"])


def _engine(
    context: Any,
    config: GreatExpectationsConfig,
    suite_names: Mapping[str, Any],
    identifiers: Mapping[str, list[str]],
) -> LegacyEngine:
    suites = {name: context.get_expectation_suite(name) for name in suite_names}
    return LegacyEngine(context, config, suites, identifiers)


def _prepare_v2(context: Any, config: GreatExpectationsConfig, root: Path) -> None:
    if not hasattr(context, "get_batch"):
        raise ConfigError(
            f"{config.source}: great_expectations {ge.__version__} has no get_batch (removed "
            "in 0.17.12), which the suite style needs on 0.x releases. Use checkpoint: NAME "
            "for these datasets, or upgrade to GX 1.x."
        )
    datasources = {entry["name"]: entry for entry in context.list_datasources()}
    name = config.legacy_datasource
    if name not in datasources:
        context.add_datasource(
            name, class_name="PandasDatasource", module_name="great_expectations.datasource"
        )
    elif datasources[name].get("class_name") != "PandasDatasource":
        raise ConfigError(
            f"{config.source}: the datasource '{name}' of the context at {root} is a "
            f"{datasources[name].get('class_name')}, but the suite style (get_batch) needs a "
            "PandasDatasource: set legacy.datasource to a name the context does not use yet."
        )
    operator = config.legacy_validation_operator
    if operator not in context.list_validation_operator_names():
        if getattr(context.config, "validation_operators", None) is None:
            # A config_version 3 context has no validation_operators section until one is
            # added, and add_validation_operator writes into that section.
            context.config.validation_operators = {}
        context.add_validation_operator(operator, dict(_OPERATOR_CONFIG))
        context._save_project_config()


def _batch_identifiers(context: Any, checkpoint_name: str) -> list[str]:
    """The batch identifier names the checkpoint's runtime data connector declares.

    Reading the checkpoint here also makes a damaged checkpoint file an error at start-up.
    """
    config = context.get_checkpoint(checkpoint_name).config
    try:
        requests = [config.batch_request or {}]
        requests.extend(v.get("batch_request") or {} for v in config.validations or [])
        datasources = {entry["name"]: entry for entry in context.list_datasources()}
        for request in requests:
            source = datasources.get(request.get("datasource_name") or "")
            if source is None:
                continue
            connector = (source.get("data_connectors") or {}).get(
                request.get("data_connector_name") or ""
            )
            names = list((connector or {}).get("batch_identifiers") or [])
            if names:
                return [str(name) for name in names]
    except Exception:
        pass
    return [SEED_BATCH_IDENTIFIER]
