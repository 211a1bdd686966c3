"""Fixtures of the fault suite: projects on disk, which installed plugins are on, running
``hookline`` as a real process, and reading back what MLflow stored.

Every installed hook plugin is switched off unless a test turns it on with
:func:`enable_plugins`, so that each case states exactly which plugins take part.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from tests.support import hookline_command

#: The four product plugins, by distribution name.
PRODUCT_PLUGINS = (
    "hookline-mlflow",
    "hookline-memory",
    "hookline-statsd",
    "hookline-great-expectations",
)

#: The environment variable the recording hook of :data:`RECORDING_SETTINGS` appends to.
HOOK_LOG_ENV_VAR = "HOOKLINE_FAULTS_HOOK_LOG"

#: With this environment variable naming a file, the recording hook's ``on_pipeline_error``
#: writes that file when it starts and then hangs (a stuck error hook).
HANG_ENV_VAR = "HOOKLINE_FAULTS_HANG"

#: A project's settings.py with one project-local hook class that appends a JSON line per
#: pipeline-level hook call to the file named by ``HOOKLINE_FAULTS_HOOK_LOG``: a test that ran
#: ``hookline`` in another process reads what fired, with which error, in which process.
RECORDING_SETTINGS = f'''
import json
import os
import threading
from pathlib import Path

from hookline import hook_impl


def _record(hook, error=None):
    entry = {{
        "hook": hook,
        "error": None if error is None else type(error).__name__,
        "message": None if error is None else str(error),
        "pid": os.getpid(),
    }}
    with open(os.environ["{HOOK_LOG_ENV_VAR}"], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\\n")


class RecordPipelineHooks:
    @hook_impl
    def before_pipeline_run(self):
        _record("before_pipeline_run")

    @hook_impl
    def after_pipeline_run(self):
        _record("after_pipeline_run")

    @hook_impl
    def on_pipeline_error(self, error):
        _record("on_pipeline_error", error)
        if os.environ.get("{HANG_ENV_VAR}"):
            Path(os.environ["{HANG_ENV_VAR}"]).write_text("error hook started")
            threading.Event().wait()  # until a second signal or the grace period ends it


HOOKS = (RecordPipelineHooks(),)
'''


def installed_hook_distributions() -> set[str]:
    """The distributions that register ``hookline.hooks`` entry points here."""
    return {
        ep.dist.name for ep in metadata.entry_points(group="hookline.hooks") if ep.dist is not None
    }


@pytest.fixture(autouse=True)
def _every_plugin_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every installed hook plugin off, and no MLflow setting inherited from the shell."""
    monkeypatch.setenv(
        "HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS", ",".join(sorted(installed_hook_distributions()))
    )
    for name in list(os.environ):
        if name.startswith(("MLFLOW_", "HOOKLINE_STATSD_", "STATSD_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")


PluginSwitch = Callable[..., None]


@pytest.fixture
def enable_plugins(monkeypatch: pytest.MonkeyPatch) -> PluginSwitch:
    """Turn on the named plugin distributions (for this process and the ones it starts)."""

    def enable(*names: str) -> None:
        missing = [n for n in names if n not in installed_hook_distributions()]
        if missing:
            pytest.fail(f"{missing} not installed: nox -s tests installs every plugin")
        off = installed_hook_distributions() - set(names)
        monkeypatch.setenv("HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS", ",".join(sorted(off)))

    return enable


def run_hookline(
    project: Path, *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``hookline <args>`` in ``project`` to the end and return what it did."""
    return subprocess.run(
        hookline_command(*args),
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def read_hook_log(path: Path) -> list[dict[str, Any]]:
    """The entries :data:`RECORDING_SETTINGS` wrote, in order."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def temp_files(folder: Path) -> list[Path]:
    """Temporary files of hookline's atomic writes (``.tmp-*``) anywhere under ``folder``."""
    return sorted(folder.rglob(".tmp-*"))


def mlflow_runs(tracking_uri: str, experiment: str = "Test project") -> list[Any]:
    """Every run of ``experiment`` in the MLflow store at ``tracking_uri``, newest first."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is None:
        return []
    return list(client.search_runs([found.experiment_id], order_by=["start_time DESC"]))


def project_store(project: Path) -> str:
    """The tracking URI of a project's default MLflow store, its SQLite ``mlflow.db``."""
    return f"sqlite:///{(project / 'mlflow.db').as_posix()}"


@pytest.fixture(scope="session")
def shared_store_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One SQLite MLflow store for the tests of a session (creating a store's tables takes
    seconds): each test that uses it gets an experiment of its own through
    :func:`mlflow_experiment`."""
    folder = tmp_path_factory.mktemp("mlflow-store")
    return f"sqlite:///{(folder / 'mlflow.db').as_posix()}"


@pytest.fixture
def mlflow_experiment(
    shared_store_uri: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> str:
    """Point MLflow at the shared store, in a new experiment named after the test; return
    the experiment's name."""
    name = f"faults-{request.node.name}-{time.time_ns()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", shared_store_uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", name)
    return name


@pytest.fixture
def hook_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The file the project-local recording hook writes to (see :data:`RECORDING_SETTINGS`)."""
    path = tmp_path / "pipeline-hooks.jsonl"
    monkeypatch.setenv(HOOK_LOG_ENV_VAR, str(path))
    return path


@dataclass
class Invocation:
    """What an in-process ``hookline`` invocation did.

    Attributes:
        exit_code: Its exit code.
        stdout: What it printed on stdout.
        stderr: What it printed on stderr, log lines included.
        exception: An exception that escaped the command (never expected: hookline must turn
            every error into a message and an exit code).
    """

    exit_code: int
    stdout: str
    stderr: str
    exception: BaseException | None


def invoke_hookline(project: Path, *args: str) -> Invocation:
    """Run ``hookline <args>`` in this process (fast: the plugins' libraries stay imported),
    in ``project``, and return what it did.

    The command configures the root logger to write to its stderr, routes warnings to logging,
    and imports the project's modules from its ``src`` folder. All of that is put back
    afterwards: the test process's logging, whether it captured warnings, ``sys.path``, and
    ``sys.modules`` as far as the project's modules go (one left behind would be what a later
    test imports). Libraries imported by the run stay imported: that is what makes it fast, and
    C extensions cannot be imported twice.
    """
    from click.testing import CliRunner

    from hookline.cli import cli

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    # logging keeps the original showwarning here while it captures warnings.
    captured_warnings = getattr(logging, "_warnings_showwarning", None) is not None
    path, modules = sys.path[:], set(sys.modules)
    cwd = Path.cwd()
    os.chdir(project)
    try:
        result = CliRunner().invoke(cli, list(args), catch_exceptions=True)
    finally:
        os.chdir(cwd)
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.captureWarnings(captured_warnings)
        sys.path[:] = path
        for name in _modules_from(project, set(sys.modules) - modules):
            del sys.modules[name]
    escaped = result.exception if not isinstance(result.exception, SystemExit) else None
    return Invocation(result.exit_code, result.stdout, result.stderr, escaped)


def _modules_from(folder: Path, names: set[str]) -> list[str]:
    """The modules among ``names`` whose files are in ``folder``."""
    found = []
    for name in names:
        module = sys.modules.get(name)
        files = [getattr(module, "__file__", None), *(getattr(module, "__path__", None) or ())]
        if any(f and Path(f).resolve().is_relative_to(folder.resolve()) for f in files):
            found.append(name)
    return found
