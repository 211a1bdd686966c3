"""The GX Core 1.x engine.

- Suite style (``suite: NAME``): at start-up the plugin keeps, in the context, a pandas data
  source (``data_source``, default ``hookline``) with one dataframe asset per dataset, a
  whole-dataframe batch definition on it, and a validation definition
  ``hookline.<dataset>.<suite>`` binding that batch definition to the suite. Each validation
  validates the in-memory DataFrame against the suite and stores the result in the context's
  validation results store, as ``ValidationDefinition.run(batch_parameters=..., run_id=...)``
  does.
- Checkpoint style (``checkpoint: NAME``): what ``Checkpoint.run(batch_parameters={"dataframe":
  df}, run_id=RunIdentifier(run_name=<session id>))`` does. Every validation definition of such a
  checkpoint must validate a dataframe asset, so that the DataFrame is what it validates.

Both run through :mod:`.gx1_runs` (the same work without the per-call freshness checks) when the
installed release has what it needs, else through the public ``run`` methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.exceptions.exceptions import DataContextError

from hookline.plugin import ConfigError
from hookline_great_expectations.config import DatasetRule, GreatExpectationsConfig
from hookline_great_expectations.engines import gx1_runs, missing_error, wanted
from hookline_great_expectations.results import Findings, summarize

__all__ = ["Gx1Engine", "open_prepared", "prepare"]

#: The name of the whole-dataframe batch definition on each dataset's asset.
BATCH_DEFINITION = "hookline"
#: Results carry the unexpected values (up to 20 per expectation) from SUMMARY up.
RESULT_FORMAT: Literal["SUMMARY"] = "SUMMARY"


def validation_definition_name(rule: DatasetRule) -> str:
    """The name of the validation definition the plugin keeps for a suite-style dataset."""
    return f"hookline.{rule.dataset}.{rule.suite}"


class Gx1Engine:
    """Validates in-memory DataFrames with GX Core 1.x, on one file context.

    Args:
        context: The file context, opened once for the run (in this process).
        config: The plugin's settings.
        validation_definitions: Suite-style dataset -> its validation definition.
        checkpoints: Checkpoint name -> the checkpoint.
    """

    version = str(gx.__version__)

    def __init__(
        self,
        context: Any,
        config: GreatExpectationsConfig,
        validation_definitions: Mapping[str, Any],
        checkpoints: Mapping[str, Any],
    ) -> None:
        self.context = context
        self._config = config
        self._definitions = dict(validation_definitions)
        self._checkpoints = dict(checkpoints)
        self._store = context.validation_results_store
        self._prepared = {
            name: gx1_runs.PreparedCheckpoint(checkpoint, self._store, config.data_docs)
            for name, checkpoint in self._checkpoints.items()
            if gx1_runs.runs_available(checkpoint)
        }
        self._fast_definitions = gx1_runs.runs_available()
        if not config.progress_bars:
            # In memory only: nothing saves the variables after this point.
            context.variables.progress_bars = ProgressBarsConfig(globally=False)

    def validate(self, rule: DatasetRule, data: Any, run_name: str) -> Findings:
        """Validate ``data`` against the rule's suite or checkpoint, storing the results."""
        run_id = gx1_runs.new_run_id(run_name)
        batch_parameters = {"dataframe": data}
        samples = self._config.unexpected_samples
        if rule.checkpoint is not None:
            prepared = self._prepared.get(rule.checkpoint)
            if prepared is not None:
                return summarize(prepared.run(batch_parameters, run_id), samples)
            result = self._checkpoints[rule.checkpoint].run(
                batch_parameters=batch_parameters, run_id=run_id
            )
            return summarize(result.run_results.values(), samples)
        definition = self._definitions[rule.dataset]
        if self._fast_definitions:
            _, result = gx1_runs.run_definition(
                definition, batch_parameters, run_id, self._store, RESULT_FORMAT
            )
        else:
            result = definition.run(
                batch_parameters=batch_parameters, run_id=run_id, result_format=RESULT_FORMAT
            )
        return summarize([result], samples)

    def build_data_docs(self) -> list[str]:
        """Build every Data Docs site of the context; return their index pages' URLs."""
        sites = self.context.build_data_docs()
        return [str(url) for url in sites.values()]

    def plan(self) -> dict[str, Any]:
        """The names a worker looks up: validation definitions and checkpoints."""
        return {
            "validation_definitions": {
                dataset: definition.name for dataset, definition in self._definitions.items()
            },
            "checkpoints": sorted(self._checkpoints),
        }


def _open(root: Path) -> Any:
    return gx.get_context(mode="file", context_root_dir=str(root))


def prepare(config: GreatExpectationsConfig, root: Path) -> Gx1Engine:
    """Open the context, check every suite and checkpoint, and create the data source,
    assets, batch definitions and validation definitions the suite style needs."""
    context = _open(root)
    suites = _suites(context, config, root)
    checkpoints = _checkpoints(context, config, root)
    definitions = _validation_definitions(context, config, suites)
    return Gx1Engine(context, config, definitions, checkpoints)


def open_prepared(
    config: GreatExpectationsConfig, root: Path, plan: Mapping[str, Any]
) -> Gx1Engine:
    """Open, in a worker, what :func:`prepare` made in the main process (no writes)."""
    context = _open(root)
    definitions = {
        dataset: context.validation_definitions.get(name)
        for dataset, name in plan["validation_definitions"].items()
    }
    checkpoints = {name: context.checkpoints.get(name) for name in plan["checkpoints"]}
    return Gx1Engine(context, config, definitions, checkpoints)


def _suites(context: Any, config: GreatExpectationsConfig, root: Path) -> dict[str, Any]:
    names = wanted(config, "suite")
    found: dict[str, Any] = {}
    missing: dict[str, list[str]] = {}
    for name, datasets in names.items():
        try:
            found[name] = context.suites.get(name)
        except DataContextError:
            missing[name] = datasets
    if missing:
        existing = [suite.name for suite in context.suites.all()]
        raise missing_error(config, "expectation suite", missing, existing, root)
    return found


def _checkpoints(context: Any, config: GreatExpectationsConfig, root: Path) -> dict[str, Any]:
    names = wanted(config, "checkpoint")
    found: dict[str, Any] = {}
    missing: dict[str, list[str]] = {}
    for name, datasets in names.items():
        try:
            found[name] = context.checkpoints.get(name)
        except DataContextError:
            missing[name] = datasets
    if missing:
        existing = [checkpoint.name for checkpoint in context.checkpoints.all()]
        raise missing_error(config, "checkpoint", missing, existing, root)
    for name, checkpoint in found.items():
        definitions = list(checkpoint.validation_definitions)
        if not definitions:
            raise ConfigError(
                f"{config.source}: checkpoint '{name}' in {root} has no validation definitions."
            )
        for definition in definitions:
            asset = definition.batch_definition.data_asset
            if getattr(asset, "type", None) != "dataframe":
                raise ConfigError(
                    f"{config.source}: checkpoint '{name}' (for dataset "
                    f"{', '.join(names[name])}) validates the {asset.type} asset "
                    f"'{asset.name}' (validation definition '{definition.name}'), but "
                    "hookline passes each dataset as batch_parameters={'dataframe': df}: every "
                    "validation definition of the checkpoint must use a batch definition of a "
                    "dataframe asset (data_source.add_dataframe_asset(...)."
                    "add_batch_definition_whole_dataframe(...))."
                )
    return found


def _validation_definitions(
    context: Any, config: GreatExpectationsConfig, suites: Mapping[str, Any]
) -> dict[str, Any]:
    rules = [rule for rule in config.datasets if rule.suite is not None]
    if not rules:
        return {}
    source = _data_source(context, config)
    definitions: dict[str, Any] = {}
    for rule in rules:
        assert rule.suite is not None
        suite = suites[rule.suite]
        batch_definition = _batch_definition(source, rule.dataset, config)
        name = validation_definition_name(rule)
        try:
            definition = context.validation_definitions.get(name)
        except DataContextError:
            definition = None
        if definition is not None and (
            definition.suite.id != suite.id or definition.batch_definition.id != batch_definition.id
        ):
            # The suite or the asset was deleted and made again since: bind the new ones.
            context.validation_definitions.delete(name)
            definition = None
        if definition is None:
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch_definition, suite=suite)
            )
        definitions[rule.dataset] = definition
    return definitions


def _data_source(context: Any, config: GreatExpectationsConfig) -> Any:
    try:
        source = context.data_sources.get(config.data_source)
    except (KeyError, LookupError):
        return context.data_sources.add_pandas(name=config.data_source)
    if getattr(source, "type", None) != "pandas":
        raise ConfigError(
            f"{config.source}: the data source '{config.data_source}' of the Great Expectations "
            f"context is a {getattr(source, 'type', type(source).__name__)} data source; "
            "hookline-great-expectations needs a pandas one for in-memory DataFrames. Set "
            "data_source to a name the context does not use yet."
        )
    return source


def _batch_definition(source: Any, dataset: str, config: GreatExpectationsConfig) -> Any:
    try:
        asset = source.get_asset(dataset)
    except LookupError:
        asset = source.add_dataframe_asset(name=dataset)
    if getattr(asset, "type", None) != "dataframe":
        raise ConfigError(
            f"{config.source}: the asset '{dataset}' of data source '{config.data_source}' is a "
            f"{asset.type} asset, not a dataframe asset; set data_source to a name the context "
            "does not use yet."
        )
    try:
        return asset.get_batch_definition(BATCH_DEFINITION)
    except (KeyError, LookupError):
        return asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)
