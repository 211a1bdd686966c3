"""What a run records in MLflow, with secrets hidden: the run's tags and params, the dataset
declarations, metric keys, metric datasets, artifacts, models and the pipeline's structure.

The hooks (:mod:`hookline_mlflow.hooks`) decide when; the functions here decide what, and hand
it to the run's :class:`hookline_mlflow.run_logger.RunLogger`. MLflow is imported only inside
functions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hookline.plugin import (
    REDACTED,
    ConfigError,
    is_secret_key,
    redact_text,
    runner_name,
    shown_pipeline_name,
)
from hookline_mlflow import naming
from hookline_mlflow.config import DatasetSpec, MlflowConfig, parse_dataset_spec
from hookline_mlflow.run_logger import Upload
from hookline_mlflow.store import is_http

if TYPE_CHECKING:
    from hookline.plugin import DataCatalog, Node, Pipeline
    from hookline_mlflow.run_lifecycle import TrackedRun

__all__ = [
    "NODE_DURATION_PREFIX",
    "PIPELINE_ARTIFACT",
    "PIPELINE_DURATION",
    "Redactor",
    "declarations",
    "git_state",
    "log_artifact",
    "log_metric_dataset",
    "log_model",
    "log_pipeline",
    "logs_as",
    "metric_key",
    "metric_rows",
    "pipeline_params",
    "run_tags",
]

logger = logging.getLogger("hookline_mlflow")

#: Where the pipeline's structure goes in the run's artifacts.
PIPELINE_ARTIFACT = "hookline/pipeline.json"
#: The metric of each node's duration is ``NODE_DURATION_PREFIX/<node name>``.
NODE_DURATION_PREFIX = "node_duration_s"
#: The metric of the whole pipeline's duration.
PIPELINE_DURATION = "pipeline_duration_s"


@dataclass(frozen=True)
class Redactor:
    """Hides secrets in what reaches MLflow or a log.

    Attributes:
        secrets: Strings that must never appear (credential values), longest first.
        secret_keys: Extra words that make a parameter or tag key secret.
    """

    secrets: tuple[str, ...] = ()
    secret_keys: tuple[str, ...] = ()

    def text(self, text: str) -> str:
        """``text`` with every credential string, and the user:password of every URL, hidden."""
        return redact_text(text, self.secrets)

    def value_text(self, key: str, value: Any) -> str:
        """A parameter or tag value as text: ``***`` under a secret-looking key, else with
        secrets hidden."""
        if is_secret_key(key, self.secret_keys):
            return REDACTED
        return self.text(naming.to_text(value))


def declarations(catalog: DataCatalog, config: MlflowConfig) -> dict[str, DatasetSpec]:
    """Datasets declared in catalog metadata, overridden by ``mlflow.yml``'s."""
    declared: dict[str, DatasetSpec] = {}
    for name in catalog.list():
        metadata = getattr(catalog.get_dataset(name), "metadata", None)
        if isinstance(metadata, Mapping) and "mlflow" in metadata:
            where = f"catalog entry '{name}' (metadata.mlflow)"
            declared[name] = parse_dataset_spec(metadata["mlflow"], where)
    declared.update(config.datasets)
    return declared


def pipeline_params(
    pipeline: Pipeline, catalog: DataCatalog, config: MlflowConfig, redactor: Redactor, where: str
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The parameters the nodes use, as MLflow params (and, under ``long_params: tag``, tags
    for the long ones).

    Raises:
        ConfigError: Under ``long_params: fail``, naming every parameter over the limit and
            the configuration file(s) ``where``.
    """
    values = _used_parameters(pipeline, catalog)
    params: list[tuple[str, str]] = []
    tags: list[tuple[str, str]] = []
    too_long: list[str] = []
    for key, value in values.items():
        text = redactor.value_text(key, value)
        mlflow_key = naming.sanitize_key(redactor.text(key))
        if len(text) <= naming.MAX_PARAM_VALUE_LENGTH:
            params.append((mlflow_key, text))
        elif config.long_params == "truncate":
            params.append((mlflow_key, naming.truncate(text, naming.MAX_PARAM_VALUE_LENGTH)))
        elif config.long_params == "tag":
            tag_key = naming.sanitize_key(f"param.{mlflow_key}")
            tags.append((tag_key, naming.truncate(text, naming.MAX_TAG_VALUE_LENGTH)))
        else:
            too_long.append(f"'{key}' ({len(text)} characters)")
    if too_long:
        raise ConfigError(
            f"hookline-mlflow: parameter(s) {', '.join(too_long)} over MLflow's limit of "
            f"{naming.MAX_PARAM_VALUE_LENGTH} characters for a parameter value, and "
            f"'long_params: fail' is set (in {where}). Shorten them, or set "
            "long_params to truncate or tag."
        )
    return params, tags


def _used_parameters(pipeline: Pipeline, catalog: DataCatalog) -> dict[str, Any]:
    """The parameters the nodes take as inputs, flattened (``model_options.test_size``)."""
    used = sorted(
        {
            name
            for node in pipeline.nodes
            for name in node.inputs
            if name == "parameters" or name.startswith("params:")
        }
    )
    values: dict[str, Any] = {}
    for name in used:
        if name not in catalog:
            continue
        value = catalog.load(name)
        prefix = "" if name == "parameters" else name[len("params:") :]
        if isinstance(value, Mapping) and value:
            values.update(naming.flatten(value, prefix))
        elif prefix:
            values[prefix] = value
    return values


def run_tags(
    run_params: Mapping[str, Any], project_path: Path, config: MlflowConfig, redactor: Redactor
) -> list[tuple[str, str]]:
    """The run's tags: its ``run_params`` that hold a value, hookline's version, git, the tags
    of ``mlflow.yml``."""
    tags: dict[str, str] = {}
    if config.records("run_params"):
        for key, value in _shown_run_params(run_params).items():
            if key == "extra_params" and isinstance(value, Mapping):
                for sub, item in naming.flatten(value, "extra_params"):
                    tags[f"hookline.{sub}"] = redactor.value_text(sub, item)
            elif key == "hookline_version":
                tags["hookline.version"] = str(value)
            elif not _is_unset(value):
                tags[f"hookline.{key}"] = redactor.value_text(key, value)
    if "hookline.version" not in tags:
        from hookline.plugin import __version__

        tags["hookline.version"] = __version__
    if config.records("git"):
        git = git_state(project_path)
        if git is not None:
            commit, dirty = git
            tags["mlflow.source.git.commit"] = commit
            tags["hookline.git.commit"] = commit
            tags["hookline.git.dirty"] = "true" if dirty else "false"
    for key, value in config.tags.items():
        tags[key] = redactor.value_text(key, value)
    return [
        (
            naming.sanitize_key(redactor.text(key)),
            naming.truncate(value, naming.MAX_TAG_VALUE_LENGTH),
        )
        for key, value in tags.items()
    ]


def _shown_run_params(run_params: Mapping[str, Any]) -> dict[str, Any]:
    """``run_params`` as tags show them: the pipeline and runner by name (``__default__``,
    ``SequentialRunner``), and the runtime parameters once, as ``extra_params``."""
    shown = {key: value for key, value in run_params.items() if key != "runtime_params"}
    shown["pipeline_name"] = shown_pipeline_name(run_params)
    if "runner" in run_params:
        shown["runner"] = runner_name(run_params)
    return shown


def _is_unset(value: object) -> bool:
    """Whether a ``run_params`` value says nothing (a filter not used, an option off): no tag."""
    return value is None or value is False or (isinstance(value, (list, tuple, dict)) and not value)


def git_state(path: Path) -> tuple[str, bool] | None:
    """The commit and whether tracked files changed, or ``None`` outside a git repository."""
    import subprocess

    try:
        head = subprocess.run(
            ["git", "-C", str(path), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        if head.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "-C", str(path), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip(), bool(status.stdout.strip())


def log_pipeline(run: TrackedRun, pipeline: Pipeline) -> None:
    """Upload the pipeline's structure as :data:`PIPELINE_ARTIFACT`."""
    text = json.dumps(pipeline.to_dict(), indent=2)
    run_id = run.run_id
    run.logger.upload(
        Upload(
            f"artifact {PIPELINE_ARTIFACT}",
            lambda client: client.log_text(run_id, text, PIPELINE_ARTIFACT),
            {"kind": "text", "artifact_file": PIPELINE_ARTIFACT, "text": text},
        )
    )


def metric_key(run: TrackedRun, what: tuple[str, ...]) -> str:
    """The MLflow key of a node's duration (``("node", name)``) or of a measurement
    (``("measurement", name, subject)``), made once per run."""
    key = run.metric_keys.get(what)
    if key is None:
        if what[0] == "node":
            raw = f"{NODE_DURATION_PREFIX}/{what[1]}"
        else:
            name, subject = what[1], what[2]
            raw = name if subject == "run" else f"{name}/{subject}"
        key = run.metric_keys[what] = naming.sanitize_key(run.redactor.text(raw))
    return key


def logs_as(spec: DatasetSpec | None, kind: str) -> bool:
    """Whether ``spec`` declares its dataset logged as ``kind`` (metric, artifact, model)."""
    return spec is not None and spec.log_as == kind


def log_metric_dataset(run: TrackedRun, name: str, spec: DatasetSpec, data: Any) -> None:
    """Log the values of dataset ``name``, declared ``log_as: metric``."""
    try:
        rows = metric_rows(name, spec.options, data)
    except ValueError as error:
        run.warnings.logging_failed(ValueError(f"dataset '{name}' ({spec.where}): {error}"))
        return
    run.logger.metrics(
        (naming.sanitize_key(run.redactor.text(key)), value, step) for key, value, step in rows
    )


def log_artifact(run: TrackedRun, name: str, spec: DatasetSpec) -> None:
    """Upload the file (or folder) of dataset ``name``, declared ``log_as: artifact``."""
    catalog = run.catalog
    if catalog is None or name not in catalog:
        return
    dataset = catalog.get_dataset(name)
    try:
        resolve = getattr(dataset, "resolve_load_path", None)
        path = resolve() if callable(resolve) else dataset.filepath
    except Exception as error:
        run.warnings.logging_failed(error)
        return
    if path is None:
        run.warnings.logging_failed(
            ValueError(f"dataset '{name}' is declared an artifact but has no file")
        )
        return
    text = str(path)
    if text.startswith("file://"):
        text = text[len("file://") :]
    if "://" in text:
        run.warnings.logging_failed(
            ValueError(
                f"dataset '{name}' is declared an artifact but lives at "
                f"{run.redactor.text(text)}; only local files are uploaded"
            )
        )
        return
    local = Path(text)
    folder = spec.options.get("artifact_path") or naming.sanitize_key(name)
    run_id = run.run_id

    def upload(client: Any) -> None:
        if local.is_dir():
            client.log_artifacts(run_id, str(local), folder)
        else:
            client.log_artifact(run_id, str(local), folder)

    record = {"kind": "artifact", "local_path": str(local.resolve()), "artifact_path": folder}
    run.logger.upload(Upload(f"artifact {local}", upload, record))


def log_model(
    run: TrackedRun, node: Node, name: str, model: Any, inputs: Mapping[str, Any]
) -> None:
    """Log output ``name`` of ``node``, declared ``log_as: model`` (see
    :mod:`hookline_mlflow.models`), with an input example taken from ``inputs``."""
    from hookline_mlflow.models import log_model as log_mlflow_model
    from hookline_mlflow.models import pick_example

    spec = run.declared[name]
    try:
        example_name, example = pick_example(spec.options, node.inputs, inputs)
        copy = getattr(example, "copy", None)
        if callable(copy):
            # The upload runs later, on another thread: keep the rows as they are now.
            example = copy()
    except Exception as error:
        logger.debug("hookline-mlflow: no input example for %s: %s", name, error)
        example_name, example = None, None
    tags = {"hookline.dataset": name, "hookline.node": node.name}
    if example_name is not None:
        tags["hookline.input_example"] = example_name
    model_name = naming.sanitize_key(str(spec.options.get("name") or name))

    def upload(client: Any) -> None:
        log_mlflow_model(
            client,
            run_id=run.run_id,
            experiment_id=run.experiment_id,
            model=model,
            name=model_name,
            options=spec.options,
            example=example,
            tags=tags,
            server=is_http(run.tracking_uri),
        )

    run.logger.upload(Upload(f"model {model_name}", upload))


def metric_rows(name: str, options: Mapping[str, Any], data: Any) -> list[tuple[str, float, int]]:
    """The ``(key, value, step)`` metric values of a dataset declared ``log_as: metric``.

    ``data`` is a number (metric ``key``, default the dataset's name), a mapping of names to
    numbers (metrics ``<key>.<name>``, or ``<name>`` without ``key``; nested mappings give
    dotted names), ``{"value": x, "step": n}``, or a list of numbers (one value per step).

    Raises:
        ValueError: If ``data`` is none of these.
    """
    prefix = options.get("key")
    step = int(options.get("step", 0))
    rows: list[tuple[str, float, int]] = []

    def walk(key: str, value: Any) -> None:
        number = naming.metric_value(value)
        if number is not None:
            rows.append((key, number, step))
        elif isinstance(value, Mapping) and "value" in value and set(value) <= {"value", "step"}:
            number = naming.metric_value(value["value"])
            item_step = value.get("step", step)
            if number is None or isinstance(item_step, bool) or not isinstance(item_step, int):
                raise ValueError(f"'{key}' must hold a number as value and a whole number as step")
            rows.append((key, number, item_step))
        elif isinstance(value, Mapping):
            for sub, item in value.items():
                walk(f"{key}.{sub}" if key else str(sub), item)
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                number = naming.metric_value(item)
                if number is None:
                    raise ValueError(f"'{key}' holds a list with a value that is not a number")
                rows.append((key, number, step + index))
        else:
            raise ValueError(
                f"a metric dataset holds a number, a mapping of names to numbers, or a list "
                f"of numbers, not a {type(value).__name__}"
            )

    if isinstance(data, Mapping) and not ("value" in data and set(data) <= {"value", "step"}):
        if not data:
            raise ValueError("the mapping is empty")
        for sub, item in data.items():
            walk(f"{prefix}.{sub}" if prefix else str(sub), item)
    else:
        walk(prefix or name, data)
    return rows
