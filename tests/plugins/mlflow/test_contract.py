"""hookline-mlflow keeps the contract of every plugin (hookline.testing.PluginContract), on
the real test server.

The plugin's policy for a store that cannot be reached at start is ``on_unreachable``: its
default, ``fail``, stops the run before the first node on purpose (test_lifecycle.py); the
contract's dead backend uses ``continue``, under which the run never fails.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from hookline.testing import PluginContract
from hookline_mlflow import MlflowHooks
from hookline_mlflow.config import parse_config
from tests.integration.servers.mlflow_server import MlflowServer, free_port


class TestMlflowContract(PluginContract):
    entry_point = "mlflow"
    distribution = "hookline-mlflow"
    config_file = "mlflow.yml"
    broken_config = "tracking_url: http://127.0.0.1:5000\n"
    broken_key = "tracking_url"

    @pytest.fixture(autouse=True)
    def _server(self, mlflow_server: MlflowServer) -> None:
        self.tracking_uri = mlflow_server.uri

    def configured_hooks(self, tmp_path: Path) -> MlflowHooks:
        raw = {"tracking_uri": self.tracking_uri, "experiment_name": f"contract-{uuid.uuid4()}"}
        hooks = MlflowHooks()
        hooks.configure(parse_config(raw, "mlflow.yml"), project_path=tmp_path)
        return hooks

    def dead_backend_hooks(self, tmp_path: Path) -> MlflowHooks:
        raw = {"tracking_uri": f"http://127.0.0.1:{free_port()}", "on_unreachable": "continue"}
        hooks = MlflowHooks()
        hooks.configure(parse_config(raw, "mlflow.yml"), project_path=tmp_path)
        return hooks

    def settings(self, hooks: MlflowHooks) -> Any:
        # A worker logs into the main process's run with its settings.
        return hooks.config, hooks.run_id

    def close(self, hooks: MlflowHooks) -> None:
        # A worker's copy ends its part of the run when its next run starts (or never does).
        hooks.restore_worker_state(None)
