"""mlflow.yml and dataset declarations: validation with messages naming the file and key, the
embedded default, the environment's overrides, tracking credentials; and the pure pieces
(valid MLflow names, log_batch limits, metric datasets). No server needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hookline.errors import ConfigError
from hookline.session import HooklineSession
from hookline_mlflow import MlflowConfig, MlflowHooks, hooks, naming
from hookline_mlflow.config import (
    ALLOWED_KEYS,
    DEFAULT,
    parse_config,
    parse_dataset_spec,
    render_run_name,
    resolve_experiment_name,
    resolve_spool_dir,
    resolve_tracking_uri,
)
from hookline_mlflow.recording import metric_rows
from hookline_mlflow.run_logger import check_limits, split_batches
from tests.support import ProjectFactory

from .conftest import NODES

ONE_NODE = 'return {"__default__": pipeline([node(double, "params:x", "y", name="double")])}'


def context_of(make_project: ProjectFactory, mlflow_yml: str, **conf: str) -> Any:
    files = {"base/parameters.yml": "x: 1\n", "base/mlflow.yml": mlflow_yml}
    files.update({key.replace("__", "/") + ".yml": value for key, value in conf.items()})
    project = make_project(NODES, ONE_NODE, conf=files)
    return HooklineSession.create(project)


def test_no_mlflow_yml_gives_the_embedded_default(make_project: ProjectFactory) -> None:
    project = make_project(NODES, ONE_NODE, conf={"base/parameters.yml": "x: 1\n"})
    HooklineSession.create(project).load_context()
    assert hooks.config == DEFAULT
    assert resolve_tracking_uri(DEFAULT, Path(project)) == f"sqlite:///{project}/mlflow.db"


def test_a_full_mlflow_yml_is_read(make_project: ProjectFactory) -> None:
    session = context_of(
        make_project,
        """\
tracking_uri: sqlite:///store/runs.db
experiment_name: pricing
run_name: "{pipeline_name}-{session_id}"
tags: {team: pricing, quarter: 4}
nested: true
long_params: tag
on_unreachable: continue
async_logging: false
wait_for_server: 2.5
spool_dir: var/spool
secret_keys: [pin]
record: {git: false, measurements: false}
datasets:
  scores: {log_as: metric, key: eval, step: 2}
  regressor: {log_as: model, flavor: sklearn, input_example: X_test, signature: false}
  report: {log_as: artifact, artifact_path: reports}
""",
    )
    session.load_context()
    config = hooks.config
    assert config.experiment_name == "pricing"
    assert config.tags == {"team": "pricing", "quarter": "4"}
    assert (config.nested, config.long_params, config.on_unreachable) == (True, "tag", "continue")
    assert config.async_logging is False
    assert config.wait_for_server == 2.5
    assert config.secret_keys == ("pin",)
    assert not config.records("git")
    assert not config.records("measurements")
    assert config.records("params")
    assert config.datasets["regressor"].options == {
        "flavor": "sklearn",
        "input_example": "X_test",
        "signature": False,
    }
    project = session.metadata.project_path
    assert resolve_tracking_uri(config, project) == f"sqlite:///{project}/store/runs.db"
    assert resolve_spool_dir(config, project) == (project / "var" / "spool").resolve()
    assert MlflowConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("yml", "expected"),
    [
        ("tracking_url: x\n", "unknown key 'tracking_url'"),
        ("nested: yes please\n", "key 'nested' must be true or false"),
        ("long_params: drop\n", "key 'long_params' must be one of truncate, fail, tag"),
        ("on_unreachable: ignore\n", "key 'on_unreachable' must be one of fail, continue"),
        (
            "run_name: '{sesion_id}'\n",
            "unknown placeholder {sesion_id}. Did you mean 'session_id'?",
        ),
        ("tags: [a, b]\n", "key 'tags' must be a mapping"),
        ("tags: {db_password: x}\n", "tag 'db_password' looks like a secret"),
        (
            "tracking_uri: https://bob:hunter22@mlflow.example.com\n",
            "holds a user name or password",
        ),
        ("record: {durations: false}\n", "unknown key 'record.durations'"),
        ("datasets: {a: {log_as: table}}\n", "'log_as' must be one of metric, model, artifact"),
        (
            "datasets: {a: {log_as: metric, flavor: x}}\n",
            "unknown key 'flavor' for a dataset logged as metric",
        ),
        (
            "datasets: {a: {log_as: model, flavor: 'Sk Learn'}}\n",
            "'flavor' must name an MLflow flavor",
        ),
        ("secret_keys: pin\n", "key 'secret_keys' must be a list of words"),
        (
            "wait_for_server: soon\n",
            "key 'wait_for_server' is in seconds and must be a number at least 0",
        ),
        (
            "wait_for_server: -1\n",
            "key 'wait_for_server' is in seconds and must be a number at least 0",
        ),
        ("spool_dir: ''\n", "key 'spool_dir' must be a non-empty string"),
    ],
)
def test_a_bad_mlflow_yml_is_one_message_naming_the_file_and_key(
    make_project: ProjectFactory, yml: str, expected: str
) -> None:
    session = context_of(make_project, yml)
    with pytest.raises(ConfigError) as error:
        session.load_context()
    message = str(error.value)
    assert expected in message
    assert "conf/base/mlflow.yml" in message
    if "unknown key 'tracking_url'" in expected:
        assert f"Allowed keys: {', '.join(ALLOWED_KEYS)}" in message
        assert "Did you mean 'tracking_uri'?" in message
    assert "hunter22" not in message


def test_a_bad_catalog_declaration_fails_before_the_first_node(
    make_project: ProjectFactory,
) -> None:
    project = make_project(
        NODES,
        ONE_NODE,
        conf={
            "base/parameters.yml": "x: 1\n",
            "base/catalog.yml": "y:\n  type: MemoryDataset\n  metadata: {mlflow: {log_as: metrics}}\n",
            "base/mlflow.yml": "on_unreachable: continue\ntracking_uri: http://127.0.0.1:9\n",
        },
    )
    # Found before any node ran: a configuration error (exit 2), not a failed run to resume.
    with pytest.raises(ConfigError) as failure:
        HooklineSession.create(project).run()
    assert "catalog entry 'y'" in str(failure.value)
    assert "Did you mean 'metric'?" in str(failure.value)


def test_tracking_credentials_come_from_credentials_yml_and_the_environment_wins(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = context_of(
        make_project,
        "credentials: tracking\n",
        local__credentials="tracking: {username: robot, password: s3cret-value}\n",
    )
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "from-the-environment")
    session.load_context()
    assert os.environ["MLFLOW_TRACKING_USERNAME"] == "robot"
    assert os.environ["MLFLOW_TRACKING_PASSWORD"] == "from-the-environment"
    monkeypatch.delenv("MLFLOW_TRACKING_USERNAME")


def test_unknown_tracking_credential_keys_are_named_never_their_values(
    make_project: ProjectFactory,
) -> None:
    session = context_of(
        make_project,
        "credentials: tracking\n",
        local__credentials="tracking: {user: robot, password: s3cret-value}\n",
    )
    with pytest.raises(ConfigError) as error:
        session.load_context()
    assert "unknown key 'user'" in str(error.value)
    assert "s3cret-value" not in str(error.value)


def test_the_environment_overrides_uri_and_experiment(monkeypatch: pytest.MonkeyPatch) -> None:
    config = parse_config({"tracking_uri": "sqlite:///a.db", "experiment_name": "e"}, "m.yml")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    assert resolve_tracking_uri(config, Path("/p")) == "sqlite:////p/a.db"
    assert resolve_experiment_name(config, "Project") == "e"
    assert resolve_experiment_name(DEFAULT, "Project") == "Project"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "from-env")
    assert resolve_tracking_uri(config, Path("/p")) == "http://127.0.0.1:5000"
    assert resolve_experiment_name(config, "Project") == "from-env"


def test_run_names_fill_the_template() -> None:
    params = {"session_id": "2026-11-22T10.20.30.123Z", "pipeline_name": "train", "env": None}
    assert render_run_name("{pipeline_name}@{session_id}{env}", params, "P") == (
        "train@2026-11-22T10.20.30.123Z"
    )


@settings(deadline=None)  # the first example imports MLflow's validation module
@given(st.text(max_size=400))
def test_every_name_becomes_a_valid_mlflow_key(name: str) -> None:
    from mlflow.utils.validation import path_not_unique, validate_param_and_metric_name

    key = naming.sanitize_key(name)
    assert validate_param_and_metric_name(key)
    assert not path_not_unique(key)
    assert 0 < len(key) <= naming.MAX_KEY_LENGTH
    assert naming.sanitize_key(name) == key


def test_valid_names_are_kept() -> None:
    for name in ("r2", "node_duration_s/train", "memory.load.peak/companies", "a b-c"):
        assert naming.sanitize_key(name) == name


def test_the_limits_agree_with_the_installed_mlflow() -> None:
    assert check_limits() == []


@settings(deadline=None, max_examples=50)
@given(
    st.integers(0, 2500),
    st.integers(0, 350),
    st.integers(0, 350),
    st.sampled_from([1, 500, 6000]),
)
def test_batches_respect_every_log_batch_limit(
    metrics: int, params: int, tags: int, value_length: int
) -> None:
    metric_rows_ = [(f"m{i}", float(i), 0, 0) for i in range(metrics)]
    param_rows = [(f"p{i}", "v" * value_length) for i in range(params)]
    tag_rows = [(f"t{i}", "v" * value_length) for i in range(tags)]

    batches = list(split_batches(metric_rows_, param_rows, tag_rows))

    for batch in batches:
        assert len(batch.metrics) <= 1000
        assert len(batch.params) <= 100
        assert len(batch.tags) <= 100
        assert 0 < len(batch) <= 1000
        size = sum(
            len(k) + len(str(v)) + 80 for k, v, *_ in [*batch.metrics, *batch.params, *batch.tags]
        )
        assert size < 1_000_000
    assert [m for b in batches for m in b.metrics] == metric_rows_
    assert [p for b in batches for p in b.params] == param_rows
    assert [t for b in batches for t in b.tags] == tag_rows


@pytest.mark.parametrize(
    ("options", "data", "expected"),
    [
        ({}, 0.5, [("acc", 0.5, 0)]),
        ({"key": "accuracy", "step": 3}, 1, [("accuracy", 1.0, 3)]),
        ({}, {"r2": 0.9, "mae": 2}, [("r2", 0.9, 0), ("mae", 2.0, 0)]),
        ({"key": "eval"}, {"r2": 0.9}, [("eval.r2", 0.9, 0)]),
        ({}, {"value": 0.7, "step": 4}, [("acc", 0.7, 4)]),
        ({}, {"test": {"r2": 0.8}}, [("test.r2", 0.8, 0)]),
        ({}, [0.1, 0.2], [("acc", 0.1, 0), ("acc", 0.2, 1)]),
        ({}, {"loss": {"value": 0.3, "step": 9}}, [("loss", 0.3, 9)]),
    ],
)
def test_metric_datasets(options: dict[str, Any], data: Any, expected: list[Any]) -> None:
    assert metric_rows("acc", options, data) == expected


@pytest.mark.parametrize("data", ["text", {}, {"a": "text"}, [1, "x"], None])
def test_metric_datasets_that_are_not_numbers(data: Any) -> None:
    with pytest.raises(ValueError, match=r"number|empty"):
        metric_rows("acc", {}, data)


def test_dataset_declarations_name_where_they_are() -> None:
    with pytest.raises(ConfigError, match="catalog entry 'm': 'step' must be a whole number"):
        parse_dataset_spec({"log_as": "metric", "step": 1.5}, "catalog entry 'm'")
    with pytest.raises(ConfigError, match="'input_example' must name one of the node's inputs"):
        parse_dataset_spec({"log_as": "model", "input_example": 3}, "x")


def test_importing_the_plugin_imports_no_heavy_library() -> None:
    code = (
        "import sys, hookline_mlflow; "
        "heavy = [m for m in ('mlflow', 'sklearn', 'pandas', 'numpy') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_the_hooks_travel_to_worker_processes_as_settings_only() -> None:
    import pickle

    original = MlflowHooks()
    original.configure(parse_config({"experiment_name": "e", "nested": True}, "m.yml"))
    copy = pickle.loads(pickle.dumps(original))
    assert copy.config == original.config
    assert copy.run_id is None
