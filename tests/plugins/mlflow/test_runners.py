"""One MLflow run per pipeline run under every runner: in ParallelRunner's and DaskRunner's
worker processes the plugin logs into the main process's run, never starting one."""

from __future__ import annotations

import pytest

from hookline.runner import AbstractRunner
from hookline.session import RunFailed

from .conftest import SMALL_CATALOG, SMALL_PIPELINE, TrackedProjectFactory, tags_of

pytestmark = pytest.mark.integration


def test_every_runner_logs_into_one_run(
    runner: AbstractRunner, tracked_project: TrackedProjectFactory
) -> None:
    project = tracked_project(registry=SMALL_PIPELINE, parameters="x: 5\n", catalog=SMALL_CATALOG)

    project.run(runner=runner)

    run = project.only_run()
    assert run.info.status == "FINISHED"
    assert tags_of(run)["hookline.runner"] == type(runner).__name__
    metrics = run.data.metrics
    # Recorded where each node ran: in the workers for ParallelRunner and DaskRunner.
    for name in ("double", "double_again", "add", "score"):
        assert f"node_duration_s/{name}" in metrics
    assert metrics["quality_score"] == pytest.approx(3.0)
    assert run.data.params == {"x": "5"}
    assert project.artifact_paths(run.info.run_id) == ["hookline/pipeline.json", "total/total.json"]


def test_a_failing_node_fails_the_one_run_under_every_runner(
    runner: AbstractRunner, tracked_project: TrackedProjectFactory
) -> None:
    project = tracked_project(
        registry="""return {"__default__": pipeline([
            node(double, "params:x", "y", name="double"),
            node(fail, "y", "z", name="explode"),
        ])}""",
        parameters="x: 5\n",
        catalog="",
    )

    with pytest.raises(RunFailed):
        project.run(runner=runner)

    run = project.only_run()
    assert run.info.status == "FAILED"
    tags = tags_of(run)
    assert tags["hookline.error"] == "ValueError: bad input row 7"
    assert tags["hookline.failed_node"] == "explode"
    assert "node_duration_s/double" in run.data.metrics
