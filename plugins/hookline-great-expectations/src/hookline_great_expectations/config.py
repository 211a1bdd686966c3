"""The plugin's settings: ``conf/<env>/great_expectations.yml``, validated, with a default.

Every key is optional; a project with no file validates nothing (and never imports Great
Expectations)::

    context_root_dir: gx        # the Great Expectations context, relative to the project
    policy: fail                # fail | warn | fail_at_end, for datasets that name none
    when: both                  # input | output | both, for datasets that name none
    non_dataframe: error        # error | skip: a configured dataset that is not a DataFrame
    unexpected_samples: 5       # unexpected values quoted per failed expectation
    data_docs: true             # build Data Docs once at the end of the run
    progress_bars: false        # Great Expectations' own progress bars, per validation
    data_source: hookline       # GX 1.x: the pandas data source the plugin manages
    legacy:                     # great_expectations 0.15.x only (the V2 API)
      datasource: files_datasource
      validation_operator: action_list_operator
    datasets:
      companies:
        suite: companies        # the V2 style: a dataset checked against an expectation suite
        when: input
      model_input_table:
        checkpoint: model_input # the V3 style: a checkpoint run on the in-memory data
        policy: fail_at_end

The environment variable ``HOOKLINE_GX_CONTEXT_ROOT_DIR`` overrides ``context_root_dir``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from hookline.plugin import ConfigError, boolean, check_keys, choice, read_section, text, whole

__all__ = [
    "ALLOWED_KEYS",
    "DATASET_KEYS",
    "DEFAULT",
    "ENV_CONTEXT_ROOT_DIR",
    "DatasetRule",
    "GreatExpectationsConfig",
    "load_config",
    "parse_config",
]

#: The name of the configuration: files ``conf/<env>/great_expectations*.yml`` are read.
CONFIG_KEY = "great_expectations"

#: Overrides ``context_root_dir`` (the "connection" of this plugin: where the context lives).
ENV_CONTEXT_ROOT_DIR = "HOOKLINE_GX_CONTEXT_ROOT_DIR"

#: What a failed validation does: stop the node, log and go on, or fail after the pipeline.
POLICIES = ("fail", "warn", "fail_at_end")
#: When a dataset is validated: as a node's input, as a node's output, or both.
WHEN = ("input", "output", "both")
#: What a configured dataset that is not a pandas DataFrame does.
NON_DATAFRAME = ("error", "skip")

#: The folders tried, in order, when ``context_root_dir`` is not set: GX 1.x's name, then
#: the one of great_expectations 0.x projects.
DEFAULT_ROOT_DIRS = ("gx", "great_expectations")

#: The keys ``great_expectations.yml`` accepts at its top level.
ALLOWED_KEYS = (
    "context_root_dir",
    "policy",
    "when",
    "non_dataframe",
    "unexpected_samples",
    "data_docs",
    "progress_bars",
    "data_source",
    "legacy",
    "datasets",
)
#: The keys of one entry under ``datasets``.
DATASET_KEYS = ("suite", "checkpoint", "when", "policy")
#: The keys under ``legacy``.
LEGACY_KEYS = ("datasource", "validation_operator")

# Named in the message about an unknown key.
_WHAT = "the great_expectations configuration"
# More sample values than a failure message can usefully quote.
_MAX_SAMPLES = 1000


@dataclass(frozen=True)
class DatasetRule:
    """How one dataset is validated.

    Attributes:
        dataset: The catalog name of the dataset.
        suite: The expectation suite it is checked against (the seed's V2 style), or None.
        checkpoint: The checkpoint run on it (the seed's V3 style), or None.
        when: ``input``, ``output`` or ``both``.
        policy: ``fail``, ``warn`` or ``fail_at_end``.
    """

    dataset: str
    suite: str | None = None
    checkpoint: str | None = None
    when: str = "both"
    policy: str = "fail"

    @property
    def kind(self) -> str:
        """``suite`` or ``checkpoint``."""
        return "suite" if self.suite is not None else "checkpoint"

    @property
    def target(self) -> str:
        """The name of the suite or checkpoint."""
        name = self.suite if self.suite is not None else self.checkpoint
        assert name is not None
        return name

    @property
    def on_input(self) -> bool:
        """Whether the dataset is validated when a node reads it."""
        return self.when in ("input", "both")

    @property
    def on_output(self) -> bool:
        """Whether the dataset is validated when a node has made it, before it is saved."""
        return self.when in ("output", "both")


@dataclass(frozen=True)
class GreatExpectationsConfig:
    """The validated settings of hookline-great-expectations.

    Attributes:
        context_root_dir: The context's folder, relative to the project unless absolute;
            ``None`` means ``gx/``, or ``great_expectations/`` when only that one exists.
        policy: The policy of datasets that set none.
        when: When datasets that set nothing are validated.
        non_dataframe: ``error`` fails the node when a configured dataset is not a pandas
            DataFrame; ``skip`` logs it once and validates nothing.
        unexpected_samples: How many unexpected values each failed expectation quotes.
        data_docs: Whether Data Docs are built once at the end of a run that validated.
        progress_bars: Whether Great Expectations draws its progress bars for each validation.
        data_source: GX 1.x: the pandas data source holding one dataframe asset per dataset
            of the suite style (created or completed at start-up).
        legacy_datasource: great_expectations 0.15.x: the ``PandasDatasource`` the V2 style
            reads in-memory batches through (created at start-up if missing).
        legacy_validation_operator: great_expectations 0.15.x: the validation operator of
            the V2 style (an ``ActionListValidationOperator`` storing results, created at
            start-up if missing).
        datasets: One rule per configured dataset.
        source: The file(s) the settings came from, named in error messages.
    """

    context_root_dir: str | None = None
    policy: str = "fail"
    when: str = "both"
    non_dataframe: str = "error"
    unexpected_samples: int = 5
    data_docs: bool = True
    progress_bars: bool = False
    data_source: str = "hookline"
    legacy_datasource: str = "files_datasource"
    legacy_validation_operator: str = "action_list_operator"
    datasets: tuple[DatasetRule, ...] = ()
    source: str = f"{CONFIG_KEY}.yml"
    # Derived lookups for the per-node hot path: dataset name -> rule.
    inputs: Mapping[str, DatasetRule] = field(init=False, repr=False, compare=False)
    outputs: Mapping[str, DatasetRule] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "inputs", {r.dataset: r for r in self.datasets if r.on_input})
        object.__setattr__(self, "outputs", {r.dataset: r for r in self.datasets if r.on_output})

    def resolve_root(self, project_path: Path | None) -> Path:
        """The folder of the Great Expectations context.

        Args:
            project_path: The project's folder; relative settings are read from it (the
                current folder when ``None``).
        """
        base = project_path if project_path is not None else Path.cwd()
        if self.context_root_dir is not None:
            return base / self.context_root_dir
        candidates = [base / name for name in DEFAULT_ROOT_DIRS]
        return next((path for path in candidates if path.is_dir()), candidates[0])

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as plain, picklable values (for worker processes)."""
        values = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for derived in ("inputs", "outputs"):
            values.pop(derived)
        values["datasets"] = [asdict(rule) for rule in self.datasets]
        return values

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> GreatExpectationsConfig:
        """Rebuild settings made by :meth:`to_dict`, ignoring keys this version lacks."""
        known = set(cls.__dataclass_fields__) - {"inputs", "outputs"}
        kept = {key: value for key, value in values.items() if key in known}
        kept["datasets"] = tuple(DatasetRule(**rule) for rule in values.get("datasets", ()))
        return cls(**kept)


#: The settings of a project with no ``great_expectations.yml``: nothing is validated.
DEFAULT = GreatExpectationsConfig()


def parse_config(
    raw: Mapping[str, Any], where: str, environ: Mapping[str, str] | None = None
) -> GreatExpectationsConfig:
    """Validate the merged contents of ``great_expectations.yml`` and return the settings.

    Args:
        raw: The mapping read from the configuration files.
        where: The file (or files) it came from, named in every error message.
        environ: The environment (``os.environ`` by default), for ``HOOKLINE_GX_CONTEXT_ROOT_DIR``.

    Raises:
        ConfigError: Naming ``where``, the key and, for an unknown key, the allowed keys.
    """
    check_keys(raw, ALLOWED_KEYS, where, _WHAT, "")
    policy = choice(raw, "policy", where, POLICIES, DEFAULT.policy)
    when = choice(raw, "when", where, WHEN, DEFAULT.when)
    samples = whole(raw, "unexpected_samples", where, DEFAULT.unexpected_samples, 0, _MAX_SAMPLES)
    legacy = raw.get("legacy") or {}
    if not isinstance(legacy, Mapping):
        raise ConfigError(
            f"{where}: key 'legacy' must be a mapping with the keys {', '.join(LEGACY_KEYS)}, "
            f"not {legacy!r}."
        )
    check_keys(legacy, LEGACY_KEYS, where, _WHAT, "legacy.")
    root = (environ if environ is not None else os.environ).get(ENV_CONTEXT_ROOT_DIR) or (
        text(raw, "context_root_dir", where, None)
    )
    return replace(
        DEFAULT,
        context_root_dir=root,
        policy=policy,
        when=when,
        non_dataframe=choice(raw, "non_dataframe", where, NON_DATAFRAME, DEFAULT.non_dataframe),
        unexpected_samples=samples,
        data_docs=boolean(raw, "data_docs", where, DEFAULT.data_docs),
        progress_bars=boolean(raw, "progress_bars", where, DEFAULT.progress_bars),
        data_source=text(raw, "data_source", where, DEFAULT.data_source) or DEFAULT.data_source,
        legacy_datasource=text(legacy, "datasource", where, DEFAULT.legacy_datasource, "legacy.")
        or DEFAULT.legacy_datasource,
        legacy_validation_operator=text(
            legacy, "validation_operator", where, DEFAULT.legacy_validation_operator, "legacy."
        )
        or DEFAULT.legacy_validation_operator,
        datasets=_datasets(raw.get("datasets"), where, policy, when),
        source=where,
    )


def load_config(config_loader: Any) -> GreatExpectationsConfig:
    """Read and validate ``great_expectations.yml`` through a hookline ``ConfigLoader``.

    Returns :data:`DEFAULT` when no file supplies the configuration.

    Raises:
        ConfigError: If the file holds an unknown key or a bad value.
    """
    section = read_section(config_loader, CONFIG_KEY)
    return parse_config(*(section or ({}, f"{CONFIG_KEY}.yml")))


def _datasets(value: Any, where: str, policy: str, when: str) -> tuple[DatasetRule, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where}: key 'datasets' must map dataset names to their settings "
            f"(suite: NAME or checkpoint: NAME), not {value!r}."
        )
    rules = []
    for name, entry in value.items():
        key = f"datasets.{name}"
        if isinstance(entry, str):
            raise ConfigError(
                f"{where}: key '{key}' must be a mapping, e.g. 'suite: {entry}' or "
                f"'checkpoint: {entry}', not the string {entry!r}."
            )
        if not isinstance(entry, Mapping):
            raise ConfigError(
                f"{where}: key '{key}' must be a mapping with 'suite' or 'checkpoint', "
                f"not {entry!r}."
            )
        check_keys(entry, DATASET_KEYS, where, _WHAT, f"{key}.")
        suite = text(entry, "suite", where, None, f"{key}.")
        checkpoint = text(entry, "checkpoint", where, None, f"{key}.")
        if (suite is None) == (checkpoint is None):
            raise ConfigError(
                f"{where}: key '{key}' needs exactly one of 'suite' (an expectation suite, the "
                "V2 style) or 'checkpoint' (a checkpoint, the V3 style)"
                + (", not both." if suite is not None else ".")
            )
        rules.append(
            DatasetRule(
                dataset=str(name),
                suite=suite,
                checkpoint=checkpoint,
                when=choice(entry, "when", where, WHEN, when, f"{key}."),
                policy=choice(entry, "policy", where, POLICIES, policy, f"{key}."),
            )
        )
    return tuple(rules)
