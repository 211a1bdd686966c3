"""Runs left RUNNING by processes that no longer exist: what a run records about its process,
which runs the next run ends KILLED (only this host's, only those of dead processes, only the
project's), and ``hookline mlflow runs --stale`` / ``--end``. Real server, real processes."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys

import psutil
import pytest
from click.testing import CliRunner

from hookline_mlflow.cli import mlflow_command
from hookline_mlflow.processes import (
    ProcessIdentity,
    ProcessState,
    process_state,
    this_process,
)

from .conftest import SMALL_CATALOG, SMALL_PIPELINE, TrackedProject, TrackedProjectFactory, tags_of

pytestmark = pytest.mark.integration


def dead_process() -> ProcessIdentity:
    """The identity of a process of this host that ran and was reaped."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = psutil.Process(child.pid).create_time()
    finally:
        child.kill()
        child.wait()
    return ProcessIdentity(socket.gethostname(), child.pid, started)


def small_project(tracked_project: TrackedProjectFactory) -> TrackedProject:
    return tracked_project(registry=SMALL_PIPELINE, catalog=SMALL_CATALOG, parameters="x: 3\n")


def running_run(
    project: TrackedProject, process: ProcessIdentity, project_name: str = "Test project"
) -> str:
    """A RUNNING run in the project's experiment, as ``process`` would have left it."""
    client = project.client
    found = client.get_experiment_by_name(project.experiment)
    experiment_id = found.experiment_id if found else client.create_experiment(project.experiment)
    tags = {**process.tags(), "hookline.project": project_name}
    return str(client.create_run(experiment_id, tags=tags).info.run_id)


def status_of(project: TrackedProject, run_id: str) -> str:
    return str(project.client.get_run(run_id).info.status)


def test_a_process_is_the_same_only_with_the_same_id_and_start_time() -> None:
    me = this_process()
    assert me.pid == os.getpid()
    assert me.host == socket.gethostname()
    assert me.started == pytest.approx(psutil.Process().create_time(), abs=0.05)
    assert process_state(me) is ProcessState.ALIVE
    # The same id with another start time: the id was given to a new process.
    assert process_state(ProcessIdentity(me.host, me.pid, me.started - 3600)) is ProcessState.GONE
    assert process_state(dead_process()) is ProcessState.GONE
    # Another host cannot be told from here, even with this process's id and start time.
    assert process_state(ProcessIdentity("elsewhere", me.pid, me.started)) is (ProcessState.UNKNOWN)


def test_a_run_records_where_it_runs(tracked_project: TrackedProjectFactory) -> None:
    project = small_project(tracked_project)
    project.run()
    tags = tags_of(project.only_run())
    me = this_process()
    assert tags["hookline.host"] == me.host
    assert tags["hookline.pid"] == str(me.pid)
    assert float(tags["hookline.process_started"]) == pytest.approx(me.started, abs=0.01)
    assert tags["hookline.project"] == "Test project"


def test_the_next_run_ends_only_this_hosts_runs_of_dead_processes_of_the_project(
    tracked_project: TrackedProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    project = small_project(tracked_project)
    dead = dead_process()
    stale = running_run(project, dead)
    alive = running_run(project, this_process())
    other_host = running_run(project, ProcessIdentity("another-host", dead.pid, dead.started))
    other_project = running_run(project, dead, project_name="Another project")

    with caplog.at_level(logging.INFO, logger="hookline_mlflow"):
        project.run()

    (new,) = [r for r in project.runs() if r.info.status == "FINISHED"]
    assert status_of(project, stale) == "KILLED"
    ended_by = tags_of(project.client.get_run(stale))["hookline.ended_by"]
    assert ended_by == (
        f"hookline: process {dead.pid} on host {dead.host} no longer exists "
        f"(found by run {new.info.run_id})"
    )
    for untouched in (alive, other_host, other_project):
        assert status_of(project, untouched) == "RUNNING"
    lines = [r.getMessage() for r in caplog.records if "no longer exists" in r.getMessage()]
    assert lines == [
        "hookline-mlflow: ended 1 run(s) KILLED whose process on this host no longer exists: "
        f"{stale} (process {dead.pid})."
    ]


def test_runs_stale_lists_and_end_ends_after_asking(
    tracked_project: TrackedProjectFactory,
) -> None:
    project = small_project(tracked_project)
    dead = dead_process()
    stale = running_run(project, dead)
    alive = running_run(project, this_process())
    other_host = running_run(project, ProcessIdentity("another-host", dead.pid, dead.started))
    runner = CliRunner()
    where = ["--project", str(project.path)]

    listed = runner.invoke(mlflow_command, ["runs", "--stale", *where])
    assert listed.exit_code == 0, listed.output
    lines = {line.split()[0]: line for line in listed.output.splitlines()}
    assert set(lines) == {stale, other_host}
    assert lines[stale].endswith(f"process {dead.pid} on {dead.host}: process gone (stale)")
    assert lines[other_host].endswith("on another-host: cannot tell from this host")

    everything = runner.invoke(mlflow_command, ["runs", *where])
    assert f"{alive} " in everything.output
    assert "process alive" in everything.output

    refused = runner.invoke(mlflow_command, ["runs", "--stale", "--end", *where], input="n\n")
    assert refused.exit_code == 1
    assert "End 1 run(s) KILLED?" in refused.output
    assert status_of(project, stale) == "RUNNING"

    done = runner.invoke(mlflow_command, ["runs", "--stale", "--end", "--yes", *where])
    assert done.exit_code == 0, done.output
    assert f"Ended KILLED: {stale}" in done.output
    assert status_of(project, stale) == "KILLED"
    assert (
        "found by hookline mlflow runs --end"
        in tags_of(project.client.get_run(stale))["hookline.ended_by"]
    )
    assert status_of(project, alive) == "RUNNING"
    assert status_of(project, other_host) == "RUNNING"
