"""The run's lifecycle: how it starts (a new run, MLFLOW_RUN_ID, an active run), how it ends
(FINISHED, FAILED, KILLED), a store that cannot be reached at the start, and over-long
parameter values under each policy."""

from __future__ import annotations

import logging
import signal
from pathlib import Path
from typing import Any

import pytest

from hookline.errors import ConfigError
from hookline.session import RunFailed
from hookline_mlflow import TrackingUnavailable
from tests.support import signal_when

from .conftest import SMALL_PIPELINE, TrackedProjectFactory, tags_of

pytestmark = pytest.mark.integration

TWO_NODES = """return {"__default__": pipeline([
    node(double, "params:x", "y", name="double"),
    node(double, "y", "z", name="double_again"),
])}"""


def test_a_node_error_ends_the_run_failed_with_the_message_as_a_tag(
    tracked_project: TrackedProjectFactory,
) -> None:
    project = tracked_project(
        registry='return {"__default__": pipeline([node(fail, "params:x", "y", name="explode")])}',
        parameters="x: 1\n",
        catalog="",
    )
    with pytest.raises(RunFailed):
        project.run()

    run = project.only_run()
    assert run.info.status == "FAILED"
    assert run.info.end_time is not None
    assert tags_of(run)["hookline.error"] == "ValueError: bad input row 7"
    assert tags_of(run)["hookline.status"] == "FAILED"


def test_keyboard_interrupt_ends_the_run_killed(tracked_project: TrackedProjectFactory) -> None:
    project = tracked_project(
        registry="""return {"__default__": pipeline([
            node(double, "params:x", "y", name="double"),
            node(interrupt, "y", "z", name="interrupt"),
        ])}""",
        parameters="x: 1\n",
        catalog="",
    )
    with pytest.raises(KeyboardInterrupt):
        project.run()

    run = project.only_run()
    assert run.info.status == "KILLED"
    assert tags_of(run)["hookline.error"] == "KeyboardInterrupt"
    # What was recorded before Ctrl-C was sent before the run ended.
    assert "node_duration_s/double" in run.data.metrics


def test_ctrl_c_on_hookline_run_ends_the_run_killed(
    tracked_project: TrackedProjectFactory, tmp_path: Path
) -> None:
    marker = tmp_path / "started"
    project = tracked_project(
        registry="""return {"__default__": pipeline([
            node(double, "params:x", "y", name="double"),
            node(wait_for_signal, ["y", "params:marker"], "z", name="wait"),
        ])}""",
        parameters=f"x: 1\nmarker: {marker}\n",
        catalog="",
    )
    done = signal_when(project.path, marker.exists, signal.SIGINT)
    assert done.returncode == 130, done.output
    run = project.only_run()
    assert run.info.status == "KILLED"
    assert "node_duration_s/double" in run.data.metrics


def test_mlflow_run_id_is_adopted_and_no_other_run_is_started(
    tracked_project: TrackedProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tracked_project(registry=TWO_NODES, parameters="x: 3\n", catalog="")
    client = project.client
    experiment_id = client.create_experiment(project.experiment)
    started = client.create_run(experiment_id, run_name="started elsewhere")
    monkeypatch.setenv("MLFLOW_RUN_ID", started.info.run_id)

    project.run()

    run = project.only_run()
    assert run.info.run_id == started.info.run_id
    assert run.info.run_name == "started elsewhere"
    assert run.info.status == "FINISHED"
    assert run.data.params == {"x": "3"}
    assert "node_duration_s/double_again" in run.data.metrics


def test_an_active_run_is_logged_into_and_left_to_its_owner(
    tracked_project: TrackedProjectFactory, mlflow_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    project = tracked_project(registry=TWO_NODES, parameters="x: 3\n", catalog="")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    # An explicit experiment id: mlflow.set_experiment would stay set for later tests.
    experiment_id = project.client.create_experiment(project.experiment)
    with mlflow.start_run(experiment_id=experiment_id, run_name="notebook") as active:
        project.run()
        assert project.client.get_run(active.info.run_id).info.status == "RUNNING"

    run = project.only_run()
    assert run.info.run_id == active.info.run_id
    assert run.info.status == "FINISHED"
    assert run.data.params == {"x": "3"}


def test_nested_starts_a_child_of_the_active_run(
    tracked_project: TrackedProjectFactory, mlflow_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    project = tracked_project(
        registry=TWO_NODES, parameters="x: 3\n", catalog="", mlflow="nested: true\n"
    )
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    experiment_id = project.client.create_experiment(project.experiment)
    with mlflow.start_run(experiment_id=experiment_id, run_name="sweep") as parent:
        project.run()
        project.run()

    runs = project.runs()
    children = [r for r in runs if r.info.run_id != parent.info.run_id]
    assert len(runs) == 3
    assert {tags_of(r)["mlflow.parentRunId"] for r in children} == {parent.info.run_id}
    assert {r.info.status for r in children} == {"FINISHED"}
    assert all(r.data.params == {"x": "3"} for r in children)


def test_server_down_at_start_fails_before_the_first_node(
    tracked_project: TrackedProjectFactory, free_uri: str
) -> None:
    project = tracked_project(
        registry=TWO_NODES, parameters="x: 3\n", catalog="", tracking_uri=free_uri
    )

    # Raised as it is (exit code 2), not as a failed run: no node ran, nothing to resume.
    with pytest.raises(TrackingUnavailable) as failure:
        project.run()

    message = str(failure.value)
    assert free_uri in message
    assert "on_unreachable: continue" in message
    # Said by the start-up check, before MLflow's client (which retries a dead server for
    # minutes) was asked anything.
    assert "(ConnectionError: no answer from the server: " in message


def test_server_down_at_start_under_continue_runs_untracked_with_one_warning(
    tracked_project: TrackedProjectFactory, free_uri: str, caplog: pytest.LogCaptureFixture
) -> None:
    project = tracked_project(
        registry=TWO_NODES,
        parameters="x: 3\n",
        catalog="",
        tracking_uri=free_uri,
        mlflow="on_unreachable: continue\n",
    )
    with caplog.at_level(logging.WARNING, logger="hookline_mlflow"):
        result = project.run()

    assert [r.name for r in result.records] == ["double", "double_again"]
    warnings = [r for r in caplog.records if r.name == "hookline_mlflow"]
    assert len(warnings) == 1
    assert "without tracking" in warnings[0].getMessage()


LONG = "x" * 7000


def test_long_param_values_are_truncated_by_default(tracked_project: TrackedProjectFactory) -> None:
    project = tracked_project(
        registry='return {"__default__": pipeline([node(len, "params:note", "n", name="count")])}',
        parameters=f"note: {LONG}\n",
        catalog="",
    )
    project.run()

    value = project.only_run().data.params["note"]
    assert len(value) == 6000
    assert value.endswith("...[truncated]")
    assert value.startswith("x" * 100)


def test_long_param_values_become_tags_under_tag(tracked_project: TrackedProjectFactory) -> None:
    project = tracked_project(
        registry='return {"__default__": pipeline([node(len, "params:note", "n", name="count")])}',
        parameters=f"note: {LONG}\nshort: 1\n",
        catalog="",
        mlflow="long_params: tag\n",
    )
    project.run()

    run = project.only_run()
    assert "note" not in run.data.params
    assert tags_of(run)["param.note"] == LONG


def test_long_param_values_fail_before_the_first_node_under_fail(
    tracked_project: TrackedProjectFactory,
) -> None:
    project = tracked_project(
        registry='return {"__default__": pipeline([node(len, "params:note", "n", name="count")])}',
        parameters=f"note: {LONG}\n",
        catalog="",
        mlflow="long_params: fail\n",
    )
    # Found before any node ran: a configuration error (exit 2), not a failed run to resume.
    with pytest.raises(ConfigError) as failure:
        project.run()

    message = str(failure.value)
    assert "'note' (7000 characters)" in message
    assert "mlflow.yml" in message
    assert project.runs() == []


def test_synchronous_logging_records_the_same(tracked_project: TrackedProjectFactory) -> None:
    project = tracked_project(
        registry=SMALL_PIPELINE,
        parameters="x: 5\n",
        catalog="quality:\n  type: MemoryDataset\n  metadata: {mlflow: {log_as: metric}}\n",
        mlflow="async_logging: false\n",
    )
    project.run()

    run = project.only_run()
    assert run.info.status == "FINISHED"
    assert run.data.metrics["quality"] == pytest.approx(3.0)
    assert {k for k in run.data.metrics if k.startswith("node_duration_s/")} == {
        "node_duration_s/double",
        "node_duration_s/double_again",
        "node_duration_s/add",
        "node_duration_s/score",
    }


def test_a_metric_mlflow_cannot_take_is_one_warning_and_the_run_goes_on(
    tracked_project: TrackedProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    project = tracked_project(
        registry=TWO_NODES,
        parameters="x: five\n",
        # A metric dataset that holds text: MLflow cannot take it.
        catalog="y:\n  type: MemoryDataset\n  metadata: {mlflow: {log_as: metric}}\n",
    )
    with caplog.at_level(logging.WARNING, logger="hookline_mlflow"):
        result = project.run()

    assert result.outputs == {"z": "fivefivefivefive"}
    (warning,) = [r.getMessage() for r in caplog.records if r.name == "hookline_mlflow"]
    assert "dataset 'y'" in warning
    run = project.only_run()
    assert run.info.status == "FINISHED"
    assert "node_duration_s/double_again" in run.data.metrics


@pytest.mark.slow
def test_a_server_that_dies_mid_run_never_fails_the_run(
    tracked_project: TrackedProjectFactory,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    from tests.integration.servers.mlflow_server import running_mlflow_server

    # MLflow's own HTTP retries are left as they are (minutes): the plugin never waits on them.
    with running_mlflow_server(tmp_path / "server") as server:
        project = tracked_project(
            registry="""return {"__default__": pipeline([
                node(double, "params:x", "y", name="double"),
                node(stop_process, ["y", "params:pid"], "z", name="stop_server"),
                node(double, "z", "w", name="after"),
            ])}""",
            parameters=f"x: 3\npid: {server.pid}\n",
            catalog="",
            tracking_uri=server.uri,
            mlflow="wait_for_server: 1\n",
        )
        with caplog.at_level(logging.WARNING, logger="hookline_mlflow"):
            result = project.run()

    assert result.outputs == {"w": 24}
    warnings = [r.getMessage() for r in caplog.records if r.name == "hookline_mlflow"]
    assert any("stopped answering" in w and "The run goes on" in w for w in warnings)
    (spool_file,) = (project.path / "mlflow_spool").glob("*.jsonl")
    (report,) = [w for w in warnings if "Not delivered" in w]
    assert "node_duration_s/after" in report
    assert "the end status FINISHED" in report
    assert str(spool_file) in report


def test_the_environment_overrides_the_tracking_uri_and_experiment(
    tracked_project: TrackedProjectFactory,
    free_uri: str,
    mlflow_server: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = tracked_project(
        registry=TWO_NODES, parameters="x: 3\n", catalog="", tracking_uri=free_uri
    )
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.uri)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", f"{project.experiment}-from-env")

    project.run()

    assert project.runs() == []
    project.experiment = f"{project.experiment}-from-env"
    assert project.only_run().info.status == "FINISHED"
