"""Secrets: canaries placed where secrets live (credentials.yml, a parameter whose key looks
secret, an environment variable that credentials.yml reads) must reach no output of a run with
every plugin on: no log line, no MLflow param, tag or artifact, no StatsD line, no Great
Expectations result, no file written outside the data folder."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import pytest

from tests.integration.servers import statsd_graphite
from tests.integration.servers.statsd_graphite import statsd_console  # noqa: F401
from tests.support import ProjectFactory

from .conftest import PRODUCT_PLUGINS, PluginSwitch, mlflow_runs, project_store, run_hookline

pytestmark = pytest.mark.integration

NODES = """
import pandas as pd


def make_companies(api_token, settings):
    # The token is used, as a node would use it to call an API, and never returned.
    assert api_token.startswith("canary-")
    return pd.DataFrame({"id": range(settings["rows"]), "rating": [1.5] * settings["rows"]})


def summarise(companies):
    return {"rows": len(companies), "mean_rating": float(companies["rating"].mean())}
"""

REGISTRY = """return {"__default__": pipeline([
    node(make_companies, ["params:api_token", "params:settings"], "companies", name="make"),
    node(summarise, "companies", "summary", name="summarise"),
])}"""


@pytest.fixture
def canaries() -> dict[str, str]:
    """One canary per place a secret can come from."""
    return {place: f"canary-{place}-{secrets.token_hex(8)}" for place in ("cred", "param", "env")}


@pytest.fixture
def statsd_lines(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A callable returning every line a real StatsD daemon received, with the plugin pointed
    at that daemon (the daemon skips the test when it is not installed, and fails it under
    CI)."""
    daemon: statsd_graphite.StatsdDaemon = request.getfixturevalue("statsd_console")
    monkeypatch.setenv("STATSD_HOST", daemon.host)
    monkeypatch.setenv("STATSD_PORT", str(daemon.port))
    monkeypatch.setenv("STATSD_PREFIX", statsd_graphite.unique_prefix("secrets"))
    return daemon.received


def files_holding(folder: Path, text: str, skip: tuple[Path, ...] = ()) -> list[Path]:
    """Every file under ``folder`` (but under ``skip``) whose bytes contain ``text``."""
    needle = text.encode()
    found = []
    for path in folder.rglob("*"):
        skipped = any(path.is_relative_to(s) for s in skip)
        if not skipped and path.is_file() and needle in path.read_bytes():
            found.append(path)
    return found


def test_canaries_reach_no_output_of_a_run_with_every_plugin(
    make_project: ProjectFactory,
    enable_plugins: PluginSwitch,
    canaries: dict[str, str],
    statsd_lines: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from tests.plugins.great_expectations.gx1_context import build_gx1_context

    enable_plugins(*PRODUCT_PLUGINS)
    monkeypatch.setenv("FAULTS_API_TOKEN", canaries["env"])
    # Whatever the run writes to the temporary folder is swept too.
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    project = make_project(
        NODES,
        REGISTRY,
        conf={
            "base/parameters.yml": f"api_token: {canaries['param']}\nsettings: {{rows: 3}}\n",
            "base/catalog.yml": (
                "companies: {type: pandas.CSVDataset, filepath: data/companies.csv}\n"
                "summary: {type: json.JSONDataset, filepath: data/summary.json, "
                "credentials: db}\n"
            ),
            "local/credentials.yml": (
                f"db: {{username: admin, password: {canaries['cred']}, "
                "token: '${oc.env:FAULTS_API_TOKEN}'}\n"
            ),
            "base/great_expectations.yml": (
                "datasets: {companies: {suite: companies, when: output}}\n"
            ),
        },
    )
    build_gx1_context(project)

    done = run_hookline(project, "run", "--log-level", "DEBUG")

    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    # The plugins did their work (else there would be nothing to leak through).
    assert "companies" in output
    runs = mlflow_runs(project_store(project))
    assert [run.info.status for run in runs] == ["FINISHED"]
    run = runs[0]
    assert "api_token" in run.data.params, "the secret-looking parameter was not even logged"
    for place, canary in canaries.items():
        assert canary not in output, f"the {place} canary is in the output"
        assert canary not in repr(run.data.params), f"the {place} canary is an MLflow param"
        assert canary not in repr(run.data.tags), f"the {place} canary is an MLflow tag"
        lines = statsd_lines()
        assert lines, "StatsD received nothing"
        assert not [line for line in lines if canary in line], f"{place} canary in StatsD"
        # MLflow's store and artifacts, the GX context and its results, the memory report,
        # logs: every file the run wrote outside the data folder, and the temporary folder.
        leaked = files_holding(project, canary, skip=(project / "conf", project / "data"))
        leaked += files_holding(scratch, canary)
        assert leaked == [], f"the {place} canary was written to {leaked}"
    assert (project / "gx").is_dir()


CONNECTING_NODES = """
from hookline.datasets.base import AbstractDataset


class ConnectionDataset(AbstractDataset):
    # Loads the connection string of its credentials, as a SQL dataset hands it to a driver.
    def __init__(self, credentials, metadata=None):
        self._con = credentials["con"]
        self.metadata = metadata

    def load(self):
        return self._con

    def save(self, data):
        raise NotImplementedError


def connect(con):
    raise ConnectionError(f"cannot reach the database at {con}")
"""


#: A project hook recording what the error hooks receive (everything printing the error would
#: show, causes included) into the file named by FAULTS_ERROR_LOG, from whichever process it
#: runs in: worker processes import the settings too.
ERROR_RECORDING_SETTINGS = """
import json
import os
import traceback

from hookline import hook_impl


def _record(hook, error):
    shown = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    entry = {"hook": hook, "pid": os.getpid(), "shown": shown}
    with open(os.environ["FAULTS_ERROR_LOG"], "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\\n")


class RecordErrors:
    @hook_impl
    def on_node_error(self, error):
        _record("on_node_error", error)

    @hook_impl
    def on_pipeline_error(self, error):
        _record("on_pipeline_error", error)


HOOKS = (RecordErrors(),)
"""


@pytest.mark.parametrize(
    "runner", ["SequentialRunner", "ThreadRunner", "ParallelRunner", "DaskRunner"]
)
def test_a_node_error_holding_a_credential_is_redacted(
    make_project: ProjectFactory,
    canaries: dict[str, str],
    runner: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    error_log = tmp_path / "error-hooks.jsonl"
    monkeypatch.setenv("FAULTS_ERROR_LOG", str(error_log))
    project = make_project(
        CONNECTING_NODES,
        'return {"__default__": pipeline([node(connect, "db", "rows", name="connect")])}',
        settings=ERROR_RECORDING_SETTINGS,
    )
    package = project.name
    (project / "conf/base/catalog.yml").write_text(
        f"db: {{type: {package}.nodes.ConnectionDataset, credentials: warehouse}}\n"
    )
    con = f"postgresql://reader:{canaries['cred']}@db.internal:5432/sales"
    (project / "conf/local/credentials.yml").write_text(f"warehouse: {{con: '{con}'}}\n")

    done = run_hookline(project, "run", "--runner", runner)

    assert done.returncode == 1, done.stderr
    assert canaries["cred"] not in done.stdout + done.stderr
    # Still a useful message: which node and what went wrong; the credential (the whole
    # connection string) is hidden in the log line and in the run's error alike.
    hidden = "ConnectionError: cannot reach the database at ***"
    log_line = next(line for line in done.stderr.splitlines() if "Node connect failed" in line)
    assert log_line.endswith(hidden)
    assert f"Error: Pipeline run failed: {hidden}" in done.stderr
    # What the error hooks received (a tracker would send it on): hidden too, also in the
    # worker processes of ParallelRunner and DaskRunner, where on_node_error runs.
    received = [json.loads(line) for line in error_log.read_text().splitlines()]
    assert [entry["hook"] for entry in received] == ["on_node_error", "on_pipeline_error"]
    for entry in received:
        assert canaries["cred"] not in entry["shown"], entry["hook"]
        assert entry["shown"].rstrip().endswith(hidden), entry["shown"]
    in_worker = received[0]["pid"] != received[1]["pid"]
    assert in_worker is (runner in {"ParallelRunner", "DaskRunner"})
