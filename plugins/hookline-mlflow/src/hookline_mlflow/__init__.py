"""hookline-mlflow: every pipeline run tracked in MLflow, correctly, under every runner.

Installing the distribution registers :data:`hooks` through the ``mlflow`` entry point of the
``hookline.hooks`` group, and ``hookline mlflow ui`` through ``hookline.commands``;
``conf/<env>/mlflow.yml`` configures it (see :mod:`hookline_mlflow.config`). Importing this
package does not import MLflow: it is imported when a run starts.
"""

from __future__ import annotations

from hookline_mlflow.config import DatasetSpec, MlflowConfig
from hookline_mlflow.hooks import MlflowHooks
from hookline_mlflow.run_lifecycle import TrackingUnavailable

__version__ = "0.1.0"

__all__ = [
    "DatasetSpec",
    "MlflowConfig",
    "MlflowHooks",
    "TrackingUnavailable",
    "__version__",
    "hooks",
]

#: The instance the ``hookline.hooks`` entry point names.
hooks = MlflowHooks()
