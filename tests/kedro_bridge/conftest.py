"""A Kedro project made with ``kedro new``, its servers, and a way to ``kedro run`` it.

Runs in ``nox -s kedro_bridge`` only (the tests are marked ``kedro``): that session installs
Kedro 1.7 next to hookline, the four plugins and the bridge. The project, a real MLflow
server and the StatsD daemon flushing to Carbon and graphite-web are made once per test
session; each ``kedro run`` is a real process, in the project's folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.integration.servers import mlflow_server, statsd_graphite
from tests.kedro_bridge.project import create_project, kedro_environ

#: The experiment of the example's mlflow.yml.
EXPERIMENT = "spaceflights"
#: A run of the project on a busy 2-core machine takes well under this.
RUN_TIMEOUT = 600

#: Logging for ``kedro run``: Kedro's own configuration, with the plugins' INFO messages (the
#: memory summary) shown, as a user adds them to see them.
LOGGING_YML = """\
version: 1
disable_existing_loggers: false
formatters:
  simple:
    format: "%(asctime)s %(name)s %(levelname)s %(message)s"
handlers:
  console:
    class: logging.StreamHandler
    formatter: simple
    stream: ext://sys.stdout
loggers:
  kedro: {level: INFO}
  hookline_memory: {level: INFO}
  hookline_great_expectations: {level: INFO}
root:
  level: WARNING
  handlers: [console]
"""


@dataclass
class Outcome:
    """One ``kedro run`` and the MLflow runs it made."""

    returncode: int
    output: str
    runs: list[Any]
    started: float


@dataclass
class KedroProject:
    """The project, its servers, and a way to run it."""

    path: Path
    bin: Path
    mlflow: mlflow_server.MlflowServer
    stack: statsd_graphite.StatsdGraphite
    logs: Path
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def client(self) -> Any:
        from mlflow import MlflowClient

        return MlflowClient(self.mlflow.uri)

    def run_ids(self) -> set[str]:
        experiment = self.client().get_experiment_by_name(EXPERIMENT)
        if experiment is None:
            return set()
        runs = self.client().search_runs([experiment.experiment_id])
        return {run.info.run_id for run in runs}

    def environ(self, prefix: str, **extra: str) -> dict[str, str]:
        """The environment of a run: the test servers, StatsD ``prefix``, then ``extra``."""
        servers = {
            "MLFLOW_TRACKING_URI": self.mlflow.uri,
            "STATSD_HOST": self.stack.host,
            "STATSD_PORT": str(self.stack.port),
            "STATSD_PREFIX": prefix,
            "KEDRO_LOGGING_CONFIG": str(self.path / "conf" / "logging.yml"),
        }
        return kedro_environ(**{**servers, **extra})

    def kedro_run(self, label: str, *args: str, prefix: str = "", **env: str) -> Outcome:
        """``kedro run ARGS`` in the project; its output is kept in ``logs/<label>.log``."""
        before = self.run_ids()
        started = time.time()
        done = subprocess.run(
            [str(self.bin / "kedro"), "run", *args],
            cwd=self.path, env=self.environ(prefix or label, **env), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, timeout=RUN_TIMEOUT, check=False,
        )  # fmt: skip
        return self._outcome(label, done.returncode, done.stdout, before, started)

    def interrupted_run(self, label: str, *args: str) -> Outcome:
        """``kedro run ARGS`` stopped with Ctrl-C once its ``wait_for_stop`` node started:
        SIGINT to the process group, as a terminal sends it."""
        data = self.path / "data"
        for marker in ("waiting", "release"):
            (data / marker).unlink(missing_ok=True)
        before = self.run_ids()
        started = time.time()
        log = self.logs / f"{label}.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [str(self.bin / "kedro"), "run", *args],
                cwd=self.path, env=self.environ(label), stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=_default_sigint,
            )  # fmt: skip
            try:
                deadline = time.monotonic() + RUN_TIMEOUT
                while not (data / "waiting").exists():
                    assert process.poll() is None, log.read_text()[-6000:]
                    assert time.monotonic() < deadline, "the waiting node never started"
                    time.sleep(0.1)
                os.killpg(process.pid, signal.SIGINT)
                # A node in a thread is not interrupted: it is let go once Ctrl-C was sent.
                (data / "release").write_text("go")
                returncode = process.wait(timeout=RUN_TIMEOUT)
            finally:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        return self._outcome(label, returncode, log.read_text(), before, started)

    def _outcome(
        self, label: str, returncode: int, output: str, before: set[str], started: float
    ) -> Outcome:
        (self.logs / f"{label}.log").write_text(output)
        client = self.client()
        runs = [client.get_run(run_id) for run_id in sorted(self.run_ids() - before)]
        outcome = Outcome(returncode, output, runs, started)
        self.outcomes[label] = outcome
        return outcome


def _default_sigint() -> None:
    """Ctrl-C's default in the child, even when the tests run where SIGINT is ignored (a
    background job of a shell): Python then raises KeyboardInterrupt on it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="session")
def kedro_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KedroProject]:
    """The project made with ``kedro new`` (plus the example's pipeline, data, configuration
    and GX context), with a real MLflow server and StatsD/Graphite stack running."""
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "kedro").exists():
        pytest.skip("Kedro is not installed here: run `nox -s kedro_bridge`")
    mlflow_server.require(mlflow_server.missing())
    statsd_graphite.require(statsd_graphite.missing())
    root = tmp_path_factory.mktemp("kedro")
    project = create_project(bin_dir / "kedro", root)
    (project / "conf" / "logging.yml").write_text(LOGGING_YML)
    from spaceflights.data_generator import generate

    generate(project / "data" / "01_raw", 2_000, 42)
    logs = root / "logs"
    logs.mkdir()
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(mlflow_server.running_mlflow_server(root / "mlflow"))
        services = stack.enter_context(statsd_graphite.statsd_graphite_stack(root / "statsd"))
        yield KedroProject(project, bin_dir, server, services, logs)
        # Every run's output, kept for people to read (as the example's screenshots are).
        artifacts = Path(__file__).resolve().parents[1] / "artifacts" / "kedro_bridge"
        shutil.rmtree(artifacts, ignore_errors=True)
        shutil.copytree(logs, artifacts)
