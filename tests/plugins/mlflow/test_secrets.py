"""No secret reaches MLflow: a canary planted in credentials.yml, in parameters (under secret
keys and inside other values), in runtime parameters and in an error message is searched for
everywhere in the run through ``MlflowClient``: run name, params, tags, metric names,
artifacts and logged models."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from hookline.session import RunFailed

from .conftest import TrackedProject, TrackedProjectFactory, tags_of

pytestmark = pytest.mark.integration

CREDENTIAL = "CANARY-credential-5f0e3b"
PARAM_SECRET = "CANARY-param-9a41c7"
RUNTIME_SECRET = "CANARY-runtime-77d2e0"
CANARIES = (CREDENTIAL, PARAM_SECRET, RUNTIME_SECRET)

CREDENTIALS = f"""\
warehouse:
  username: analyst
  password: {CREDENTIAL}
"""

PARAMETERS = f"""\
x: 3
api_token: {PARAM_SECRET}
database:
  password: {PARAM_SECRET}
  secretAccessKey: {PARAM_SECRET}
  url: postgresql://analyst:{CREDENTIAL}@db.internal/sales
  note: "the password is {CREDENTIAL}"
"""

PIPELINE = """return {"__default__": pipeline([
    node(double, "params:x", "y", name="double"),
    node(lambda db, token, y: y, ["params:database", "params:api_token", "y"], "z", name="use"),
    node(fail_with, "params:database.url", "w", name="connect"),
])}"""


def everything_in(project: TrackedProject, run: Any, tmp_path: Path) -> str:
    """Every text MLflow holds about ``run``, joined."""
    client = project.client
    parts = [run.info.run_name or ""]
    parts += [f"{k}={v}" for k, v in run.data.params.items()]
    parts += [f"{k}={v}" for k, v in run.data.tags.items()]
    parts += list(run.data.metrics)
    for path in project.artifact_paths(run.info.run_id):
        parts.append(path)
        parts.append(
            project.artifact_text(run.info.run_id, path, tmp_path / path.replace("/", "_"))
        )
    for model in project.models(run.info.run_id):
        parts += [model.name, *(f"{k}={v}" for k, v in model.tags.items())]
        parts += [f"{k}={v}" for k, v in (model.params or {}).items()]
    experiment = client.get_experiment_by_name(project.experiment)
    parts += [f"{k}={v}" for k, v in experiment.tags.items()]
    return "\n".join(parts)


def test_no_secret_reaches_the_run(
    tracked_project: TrackedProjectFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    project = tracked_project(
        registry=PIPELINE,
        parameters=PARAMETERS,
        catalog="",
        credentials=CREDENTIALS,
    )
    with pytest.raises(RunFailed) as failure, caplog.at_level(logging.DEBUG):
        project.run(extra_params={"auth.token": RUNTIME_SECRET, "x": 3})
    # The node's error quoted the credential; the core hides it before any hook sees it.
    assert "cannot reach postgresql://***@db.internal/sales" in str(failure.value.error)

    run = project.only_run()
    text = everything_in(project, run, tmp_path)
    # The plugin's own log lines too (the core reports the node's error as it is).
    text += "\n".join(r.getMessage() for r in caplog.records if r.name == "hookline_mlflow")
    for canary in CANARIES:
        assert canary not in text
    # The secrets were seen and hidden, not lost: their keys are there.
    params = run.data.params
    assert params["api_token"] == "***"
    assert params["database.password"] == "***"
    assert params["database.secretAccessKey"] == "***"
    assert params["database.url"] == "postgresql://***@db.internal/sales"
    assert params["database.note"] == "the password is ***"
    tags = tags_of(run)
    assert tags["hookline.extra_params.auth.token"] == "***"
    assert "***" in tags["hookline.error"]
    assert run.info.status == "FAILED"
