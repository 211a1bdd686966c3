"""The plugin's settings: ``conf/<env>/mlflow.yml``, validated, with an embedded default.

Every key is optional; a project with no ``mlflow.yml`` gets :data:`DEFAULT`, which tracks
into a SQLite store in the project (``sqlite:///<project>/mlflow.db``)::

    tracking_uri: sqlite:///mlflow.db  # relative paths are relative to the project;
                                       # MLFLOW_TRACKING_URI overrides it
    experiment_name: null              # default: the project's name; MLFLOW_EXPERIMENT_NAME
                                       # overrides it
    run_name: "{session_id}"           # placeholders: session_id, pipeline_name, env,
                                       # project_name, runner
    tags: {team: forecasting}          # added to every run
    nested: false                      # an active MLflow run in the process: log into it
                                       # (false) or start a child run under it (true)
    long_params: truncate              # a parameter value over MLflow's limit: truncate,
                                       # fail (before the first node), or tag (log it as a tag)
    on_unreachable: fail               # the tracking store cannot be reached at start: fail
                                       # (before the first node) or continue (untracked, one
                                       # warning)
    async_logging: true                # send from a background thread, flushed before the
                                       # run ends; false: every hook sends before it returns
    wait_for_server: 15                # seconds a run's end waits for a tracking server
                                       # that stopped answering mid-run
    spool_dir: mlflow_spool            # where what it never received is kept (relative to
                                       # the project); `hookline mlflow replay` sends it
    credentials: mlflow_server         # an entry of credentials.yml with username/password
                                       # or token (the environment wins over it)
    secret_keys: [signature]           # more words that make a parameter key secret
    record:                            # what is recorded (all true by default)
      params: true
      run_params: true
      git: true
      pipeline: true
      node_durations: true
      measurements: true
    datasets:                          # what some datasets are, as catalog metadata would say
      model_metrics: {log_as: metric}
      regressor: {log_as: model, flavor: sklearn, input_example: X_test}
      report: {log_as: artifact, artifact_path: reports}

A dataset is declared either here or in its catalog entry, under ``metadata: {mlflow:
{...}}`` with the same keys; ``mlflow.yml`` wins where both declare one.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from hookline.plugin import (
    ConfigError,
    boolean,
    check_keys,
    choice,
    did_you_mean,
    has_userinfo,
    is_secret_key,
    mapping,
    number,
    read_section,
    runner_name,
    shown_pipeline_name,
    text,
)

#: The name of the configuration: files ``conf/<env>/mlflow*.yml`` are read.
CONFIG_KEY = "mlflow"

#: The keys ``mlflow.yml`` accepts at its top level.
ALLOWED_KEYS = (
    "tracking_uri",
    "experiment_name",
    "run_name",
    "tags",
    "nested",
    "long_params",
    "on_unreachable",
    "async_logging",
    "wait_for_server",
    "spool_dir",
    "credentials",
    "secret_keys",
    "record",
    "datasets",
)

#: What ``long_params`` accepts.
LONG_PARAM_POLICIES = ("truncate", "fail", "tag")
#: What ``on_unreachable`` accepts.
UNREACHABLE_POLICIES = ("fail", "continue")
#: The keys of ``record``.
RECORD_KEYS = ("params", "run_params", "git", "pipeline", "node_durations", "measurements")
#: The placeholders ``run_name`` may use.
RUN_NAME_FIELDS = ("session_id", "pipeline_name", "env", "project_name", "runner")
#: What a dataset may be logged as.
LOG_AS = ("metric", "model", "artifact")
#: The keys of a dataset declaration, by ``log_as``.
DATASET_KEYS: dict[str, tuple[str, ...]] = {
    "metric": ("log_as", "key", "step"),
    "model": (
        "log_as",
        "flavor",
        "name",
        "input_example",
        "signature",
        "registered_model_name",
        "save_args",
    ),
    "artifact": ("log_as", "artifact_path"),
}
#: The keys of a ``credentials.yml`` entry named by ``credentials``, and the environment
#: variables MLflow reads them from.
CREDENTIAL_ENV_VARS = {
    "username": "MLFLOW_TRACKING_USERNAME",
    "password": "MLFLOW_TRACKING_PASSWORD",
    "token": "MLFLOW_TRACKING_TOKEN",
}

_FLAVOR_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class DatasetSpec:
    """How one dataset is recorded.

    Attributes:
        log_as: ``metric``, ``model`` or ``artifact``.
        options: The other keys of the declaration (``key``, ``flavor``, ``artifact_path``...).
        where: Where it was declared, for messages.
    """

    log_as: str
    options: dict[str, Any] = field(default_factory=dict)
    where: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The declaration as plain, picklable values (for worker processes)."""
        return {"log_as": self.log_as, "options": dict(self.options), "where": self.where}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> DatasetSpec:
        """Rebuild a declaration made by :meth:`to_dict`."""
        return cls(values["log_as"], dict(values.get("options", {})), values.get("where", ""))


@dataclass(frozen=True)
class MlflowConfig:
    """The validated settings of hookline-mlflow (see the module's docstring for each key).

    Attributes:
        tracking_uri: Where runs are stored; ``None``: ``sqlite:///<project>/mlflow.db``.
        experiment_name: The experiment of the runs; ``None``: the project's name.
        run_name: The run name template.
        tags: Tags added to every run.
        nested: Start a child run under an active run instead of logging into it.
        long_params: ``truncate``, ``fail`` or ``tag``.
        on_unreachable: ``fail`` or ``continue``.
        async_logging: Send from a background thread (flushed before the run ends).
        wait_for_server: Seconds the end of a run waits for a server that stopped answering.
        spool_dir: Where undelivered entities are kept (relative to the project).
        credentials: The ``credentials.yml`` entry with the tracking server's credentials.
        secret_keys: Extra words that make a parameter key secret.
        record: What is recorded, by :data:`RECORD_KEYS`.
        datasets: Dataset declarations from ``mlflow.yml``.
    """

    tracking_uri: str | None = None
    experiment_name: str | None = None
    run_name: str = "{session_id}"
    tags: dict[str, str] = field(default_factory=dict)
    nested: bool = False
    long_params: str = "truncate"
    on_unreachable: str = "fail"
    async_logging: bool = True
    wait_for_server: float = 15.0
    spool_dir: str = "mlflow_spool"
    credentials: str | None = None
    secret_keys: tuple[str, ...] = ()
    record: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(RECORD_KEYS, True))
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)

    def records(self, what: str) -> bool:
        """Whether ``what`` (one of :data:`RECORD_KEYS`) is recorded."""
        return self.record.get(what, True)

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain, picklable values (for worker processes)."""
        return {
            "tracking_uri": self.tracking_uri,
            "experiment_name": self.experiment_name,
            "run_name": self.run_name,
            "tags": dict(self.tags),
            "nested": self.nested,
            "long_params": self.long_params,
            "on_unreachable": self.on_unreachable,
            "async_logging": self.async_logging,
            "wait_for_server": self.wait_for_server,
            "spool_dir": self.spool_dir,
            "credentials": self.credentials,
            "secret_keys": list(self.secret_keys),
            "record": dict(self.record),
            "datasets": {name: spec.to_dict() for name, spec in self.datasets.items()},
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> MlflowConfig:
        """Rebuild settings made by :meth:`to_dict`, ignoring keys this version lacks."""
        known = set(cls.__dataclass_fields__)
        kept = {key: value for key, value in values.items() if key in known}
        kept["secret_keys"] = tuple(kept.get("secret_keys", ()))
        kept["datasets"] = {
            name: DatasetSpec.from_dict(spec) for name, spec in kept.get("datasets", {}).items()
        }
        return cls(**kept)


#: The settings of a project with no ``mlflow.yml``.
DEFAULT = MlflowConfig()

#: What error messages call this configuration.
WHAT = "the mlflow configuration"


def parse_config(raw: Mapping[str, Any], where: str) -> MlflowConfig:
    """Validate the merged contents of ``mlflow.yml`` and return the settings.

    Args:
        raw: The mapping read from the configuration files.
        where: The file (or files) it came from, named in every error message.

    Raises:
        ConfigError: Naming ``where``, the key and, for an unknown key, the allowed keys.
    """
    check_keys(raw, ALLOWED_KEYS, where, WHAT)
    tracking_uri = text(raw, "tracking_uri", where)
    if tracking_uri is not None and has_userinfo(tracking_uri):
        raise ConfigError(
            f"{where}: key 'tracking_uri' holds a user name or password (user:password@host). "
            "Never put credentials in mlflow.yml: set MLFLOW_TRACKING_USERNAME and "
            "MLFLOW_TRACKING_PASSWORD (or MLFLOW_TRACKING_TOKEN) in the environment, or name "
            "an entry of credentials.yml with 'credentials:'."
        )
    run_name = text(raw, "run_name", where) or DEFAULT.run_name
    _check_template(run_name, where)
    secret_keys = _words(raw.get("secret_keys"), where)
    tags = _tags(raw.get("tags"), where, secret_keys)
    return replace(
        DEFAULT,
        tracking_uri=tracking_uri,
        experiment_name=text(raw, "experiment_name", where),
        run_name=run_name,
        tags=tags,
        nested=boolean(raw, "nested", where, DEFAULT.nested),
        long_params=choice(raw, "long_params", where, LONG_PARAM_POLICIES),
        on_unreachable=choice(raw, "on_unreachable", where, UNREACHABLE_POLICIES),
        async_logging=boolean(raw, "async_logging", where, DEFAULT.async_logging),
        wait_for_server=number(
            raw,
            "wait_for_server",
            where,
            DEFAULT.wait_for_server,
            at_least=0,
            at_most=3600,
            unit="seconds",
        ),
        spool_dir=text(raw, "spool_dir", where) or DEFAULT.spool_dir,
        credentials=text(raw, "credentials", where),
        secret_keys=secret_keys,
        record=_record(raw.get("record"), where),
        datasets={
            str(name): parse_dataset_spec(spec, f"{where}: datasets.{name}")
            for name, spec in mapping(raw.get("datasets"), "datasets", where).items()
        },
    )


def load_config(config_loader: Any) -> MlflowConfig:
    """Read and validate ``mlflow.yml`` through a hookline ``ConfigLoader``.

    Returns :data:`DEFAULT` when no file supplies the configuration.

    Raises:
        ConfigError: If the file holds an unknown key or a bad value.
    """
    section = read_section(config_loader, CONFIG_KEY)
    return DEFAULT if section is None else parse_config(*section)


def parse_dataset_spec(value: Any, where: str) -> DatasetSpec:
    """Validate one dataset declaration (``{log_as: model, flavor: sklearn}``).

    Args:
        value: The declaration.
        where: What to name in messages, e.g. ``conf/base/catalog.yml: entry 'regressor'``.

    Raises:
        ConfigError: For a missing or unknown ``log_as``, an unknown key or a bad value.
    """
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where}: a dataset declaration must be a mapping such as {{log_as: metric}}, "
            f"not {value!r}."
        )
    log_as = value.get("log_as")
    if log_as not in LOG_AS:
        hint = did_you_mean(str(log_as), LOG_AS) if isinstance(log_as, str) else ""
        raise ConfigError(
            f"{where}: 'log_as' must be one of {', '.join(LOG_AS)}, not {log_as!r}.{hint}"
        )
    allowed = DATASET_KEYS[log_as]
    unknown = [str(key) for key in value if key not in allowed]
    if unknown:
        raise ConfigError(
            f"{where}: unknown key '{unknown[0]}' for a dataset logged as {log_as}."
            f"{did_you_mean(unknown[0], allowed)} Allowed keys: {', '.join(allowed)}."
        )
    options = {str(key): item for key, item in value.items() if key != "log_as"}
    for key in ("key", "name", "artifact_path", "registered_model_name"):
        if key in options and (not isinstance(options[key], str) or not options[key].strip()):
            raise ConfigError(f"{where}: '{key}' must be a non-empty string, not {options[key]!r}.")
    if "step" in options and (
        isinstance(options["step"], bool) or not isinstance(options["step"], int)
    ):
        raise ConfigError(f"{where}: 'step' must be a whole number, not {options['step']!r}.")
    if "save_args" in options and not isinstance(options["save_args"], dict):
        raise ConfigError(
            f"{where}: 'save_args' must map keyword arguments of the flavor's save_model, "
            f"not {options['save_args']!r}."
        )
    if "signature" in options and not isinstance(options["signature"], bool):
        raise ConfigError(
            f"{where}: 'signature' must be true or false, not {options['signature']!r}."
        )
    example = options.get("input_example")
    if example is not None and example is not False and not isinstance(example, str):
        raise ConfigError(
            f"{where}: 'input_example' must name one of the node's inputs, or be false, "
            f"not {example!r}."
        )
    flavor = options.get("flavor")
    if flavor is not None and (not isinstance(flavor, str) or not _FLAVOR_NAME.match(flavor)):
        raise ConfigError(
            f"{where}: 'flavor' must name an MLflow flavor module, such as sklearn or "
            f"xgboost (mlflow.<flavor>), not {flavor!r}."
        )
    return DatasetSpec(log_as, options, where)


def resolve_tracking_uri(config: MlflowConfig, project_path: Path) -> str:
    """The tracking URI of a run: ``MLFLOW_TRACKING_URI``, else the configured one (relative
    SQLite and file paths made relative to the project), else ``sqlite:///<project>/mlflow.db``."""
    from_env = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if from_env:
        return from_env
    uri = config.tracking_uri
    if uri is None:
        return f"sqlite:///{(project_path / 'mlflow.db').as_posix()}"
    if uri.startswith("sqlite:///"):
        path = uri[len("sqlite:///") :]
        if path and not path.startswith("/") and path != ":memory:":
            return f"sqlite:///{(project_path / path).as_posix()}"
        return uri
    if "://" not in uri and not Path(uri).is_absolute():
        return str(project_path / uri)
    return uri


def resolve_spool_dir(config: MlflowConfig, project_path: Path) -> Path:
    """Where a run keeps what its tracking store did not receive: ``spool_dir``, relative to
    the project."""
    return (project_path / config.spool_dir).resolve()


def resolve_experiment_name(config: MlflowConfig, project_name: str) -> str:
    """The experiment of a run: ``MLFLOW_EXPERIMENT_NAME``, else the configured one, else the
    project's name."""
    return (
        os.environ.get("MLFLOW_EXPERIMENT_NAME", "").strip()
        or config.experiment_name
        or project_name
    )


def render_run_name(template: str, run_params: Mapping[str, Any], project_name: str) -> str:
    """Fill the run name template with the run's values (empty text for a missing one)."""
    values = {name: run_params.get(name) for name in RUN_NAME_FIELDS}
    values["pipeline_name"] = shown_pipeline_name(run_params)
    values["runner"] = runner_name(run_params)
    values["project_name"] = project_name
    return template.format(**{k: "" if v is None else str(v) for k, v in values.items()})


# -- helpers -----------------------------------------------------------------------------------


def _check_template(template: str, where: str) -> None:
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError as error:
        raise ConfigError(f"{where}: key 'run_name' is not a valid template: {error}.") from None
    for name in names:
        if name not in RUN_NAME_FIELDS:
            raise ConfigError(
                f"{where}: key 'run_name' uses the unknown placeholder {{{name}}}."
                f"{did_you_mean(name, RUN_NAME_FIELDS)} Placeholders: "
                f"{', '.join('{' + field + '}' for field in RUN_NAME_FIELDS)}."
            )


def _words(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ConfigError(f"{where}: key 'secret_keys' must be a list of words, not {value!r}.")
    return tuple(v.lower() for v in value)


def _tags(value: Any, where: str, secret_keys: tuple[str, ...]) -> dict[str, str]:
    tags = mapping(value, "tags", where)
    result: dict[str, str] = {}
    for key, item in tags.items():
        if isinstance(item, Mapping | list):
            raise ConfigError(f"{where}: tag '{key}' must be a plain value, not {item!r}.")
        if is_secret_key(str(key), secret_keys):
            # A value under such a key would be a secret in plain text in mlflow.yml.
            raise ConfigError(
                f"{where}: tag '{key}' looks like a secret; secrets are never logged, and never "
                "belong in mlflow.yml. Rename the tag, or drop it."
            )
        result[str(key)] = "" if item is None else str(item)
    return result


def _record(value: Any, where: str) -> dict[str, bool]:
    record = mapping(value, "record", where)
    check_keys(record, RECORD_KEYS, where, WHAT, "record.")
    return {key: boolean(record, key, where, True, "record.") for key in RECORD_KEYS}
