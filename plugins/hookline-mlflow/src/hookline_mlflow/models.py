"""Logging a node's output as an MLflow model: its flavor, signature and input example.

The flavor is found from the model's class (its module and those of its base classes:
``sklearn.ensemble...`` is ``mlflow.sklearn``, ``xgboost.sklearn.XGBRegressor`` is
``mlflow.xgboost``) unless the declaration names one. The input example is the first rows of
one of the node's inputs: the one the declaration names, else the first input that is a table
(a DataFrame or an array with rows), parameters excluded. The signature is inferred from that
example and the model's ``predict`` on it.

The model is logged with an explicit ``MlflowClient`` (no global MLflow state, no active run):
a LoggedModel is created with the run as its source, the flavor saves it to a temporary
folder, its files are uploaded, and the run records it as an output.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import os
import tempfile
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger("hookline_mlflow")

#: The top-level module of a model's class (or of a base class) -> the MLflow flavor module.
FLAVORS = {
    "sklearn": "sklearn",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "catboost": "catboost",
    "torch": "pytorch",
    "lightning": "pytorch",
    "pytorch_lightning": "pytorch",
    "tensorflow": "tensorflow",
    "keras": "keras",
    "tf_keras": "tensorflow",
    "statsmodels": "statsmodels",
    "prophet": "prophet",
    "pmdarima": "pmdarima",
    "spacy": "spacy",
    "transformers": "transformers",
    "sentence_transformers": "sentence_transformers",
    "onnx": "onnx",
    "h2o": "h2o",
    "paddle": "paddle",
    "mxnet": "gluon",
}

#: Rows kept in an input example.
EXAMPLE_ROWS = 5


class ModelLoggingError(Exception):
    """A model cannot be logged (no flavor found, the flavor module missing)."""


def detect_flavor(model: Any) -> str | None:
    """The MLflow flavor of ``model`` from its class hierarchy, or ``None``."""
    for cls in type(model).__mro__:
        root = (cls.__module__ or "").split(".")[0]
        if root in FLAVORS:
            return FLAVORS[root]
    return None


def flavor_exists(flavor: str) -> bool:
    """Whether ``mlflow.<flavor>`` can be imported here (without importing it)."""
    try:
        return importlib.util.find_spec(f"mlflow.{flavor}") is not None
    except (ImportError, ValueError):
        return False


def is_table(value: Any) -> bool:
    """Whether ``value`` has rows to take an example from (a DataFrame, Series or array)."""
    shape = getattr(value, "shape", None)
    return isinstance(shape, tuple) and len(shape) >= 1 and bool(shape[0])


def head(value: Any, rows: int = EXAMPLE_ROWS) -> Any:
    """The first ``rows`` rows of a DataFrame, Series or array."""
    iloc = getattr(value, "iloc", None)
    if iloc is not None:
        return iloc[:rows]
    return value[:rows]


def pick_example(
    options: Mapping[str, Any], node_inputs: tuple[str, ...], inputs: Mapping[str, Any]
) -> tuple[str | None, Any]:
    """Choose the input example of a model: ``(input name, first rows)``, or ``(None, None)``.

    Args:
        options: The dataset's declaration; ``input_example`` names an input, or is false.
        node_inputs: The node's input names, in order.
        inputs: The inputs the node received.
    """
    chosen = options.get("input_example")
    if chosen is False:
        return None, None
    if isinstance(chosen, str):
        if chosen not in inputs or not is_table(inputs[chosen]):
            return None, None
        return chosen, head(inputs[chosen])
    for name in node_inputs:
        if name == "parameters" or name.startswith("params:"):
            continue
        value = inputs.get(name)
        if is_table(value):
            return name, head(value)
    return None, None


def infer_signature(model: Any, example: Any) -> Any:
    """The signature of ``model`` on ``example`` (with the prediction's schema when the model
    predicts), or ``None`` when it cannot be inferred."""
    from mlflow.models import infer_signature as mlflow_infer_signature

    prediction = None
    predict = getattr(model, "predict", None)
    if callable(predict):
        try:
            prediction = predict(example)
        except Exception as error:  # a model that cannot predict its own input: no output schema
            logger.debug("hookline-mlflow: predict on the input example failed: %s", error)
    try:
        return mlflow_infer_signature(example, prediction)
    except Exception as error:
        logger.debug("hookline-mlflow: no signature inferred: %s", error)
        return None


def log_model(
    client: Any,
    *,
    run_id: str,
    experiment_id: str,
    model: Any,
    name: str,
    options: Mapping[str, Any],
    example: Any,
    tags: Mapping[str, str],
    server: bool = True,
) -> str:
    """Log ``model`` as a LoggedModel whose source is ``run_id``; return its id. With
    ``registered_model_name`` in ``options``, register it as a new version of that model
    (``server``: the store is a tracking server, else a local one).

    Raises:
        ModelLoggingError: If no flavor is found or its MLflow module is missing.
    """
    flavor_name = options.get("flavor") or detect_flavor(model)
    if flavor_name is None:
        raise ModelLoggingError(
            f"no MLflow flavor is known for a {type(model).__module__}.{type(model).__name__}; "
            "name one with 'flavor:' in its declaration"
        )
    try:
        flavor = importlib.import_module(f"mlflow.{flavor_name}")
    except ImportError as error:
        raise ModelLoggingError(
            f"the flavor mlflow.{flavor_name} cannot be imported: {error}"
        ) from error
    from mlflow.entities import LoggedModelOutput, LoggedModelStatus
    from mlflow.models import Model

    signature = None
    if example is not None and options.get("signature", True):
        signature = infer_signature(model, example)
    logged = client.create_logged_model(
        experiment_id, name=name, source_run_id=run_id, tags=dict(tags)
    )
    try:
        description = Model(
            artifact_path=logged.artifact_location,
            run_id=run_id,
            model_uuid=logged.model_id,
            model_id=logged.model_id,
        )
        with tempfile.TemporaryDirectory(prefix="hookline-mlflow-") as folder:
            path = os.path.join(folder, "model")
            flavor.save_model(
                model,
                path,
                mlflow_model=description,
                signature=signature,
                input_example=example,
                # e.g. skops_trusted_types for mlflow.sklearn, which refuses tree models'
                # internal types unless the project says it trusts them.
                **options.get("save_args", {}),
            )
            client.log_model_artifacts(logged.model_id, path)
        client.log_outputs(run_id, [LoggedModelOutput(logged.model_id, step=0)])
        client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    except BaseException:
        client.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED)
        raise
    registered = options.get("registered_model_name")
    if registered:
        _register(client, registered, logged, run_id, server)
    return str(logged.model_id)


def _register(client: Any, name: str, logged: Any, run_id: str, server: bool) -> None:
    from mlflow.exceptions import MlflowException

    # A server finds a `models:/<id>` source in its own store; a local registry would look it
    # up in the process's global tracking URI (not necessarily this store) and fail, so it is
    # given the model's files instead.
    source = logged.model_uri if server else logged.artifact_location
    try:
        client.create_registered_model(name)
    except MlflowException as error:
        if getattr(error, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
            raise
    client.create_model_version(name, source=source, run_id=run_id, model_id=logged.model_id)
