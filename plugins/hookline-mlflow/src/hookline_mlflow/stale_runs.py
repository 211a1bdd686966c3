"""Runs left RUNNING by a process that died without ending them (SIGKILL, the out-of-memory
killer, a machine that went away), found and ended ``KILLED``.

Every run this plugin starts records where it runs (:mod:`hookline_mlflow.processes`) and its
project (``hookline.project``). The start of the next run of the same project and experiment
on the same host ends the RUNNING runs whose process provably no longer exists
(:func:`end_stale_runs`); ``hookline mlflow runs --stale`` lists them, those of other hosts
included, and ``--end`` ends them. A run of another host, or of a process that still exists,
is never ended: only its own host can tell.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from hookline.plugin import redact_userinfo
from hookline_mlflow.processes import ProcessIdentity, ProcessState, host_name, process_state
from hookline_mlflow.run_logger import first_line

__all__ = ["PROJECT_TAG", "RunningRun", "end_runs", "end_stale_runs", "running_runs"]

logger = logging.getLogger("hookline_mlflow")

#: The tag naming a run's project.
PROJECT_TAG = "hookline.project"
#: The tag saying who ended a run its process left RUNNING, and why.
ENDED_BY_TAG = "hookline.ended_by"


@dataclass(frozen=True)
class RunningRun:
    """A RUNNING run with the process it records, and what can be told about that process."""

    run_id: str
    run_name: str
    start_time_ms: int
    process: ProcessIdentity
    state: ProcessState


def running_runs(
    client: Any, experiment_id: str, project: str, *, this_host_only: bool
) -> list[RunningRun]:
    """The RUNNING runs of ``project`` in the experiment that record their process (one
    ``search_runs``), on this host only or on every host."""
    query = "attributes.status = 'RUNNING' and tags.`hookline.pid` != ''"
    if this_host_only:
        # A host name holds no quote (RFC 1123).
        query += f" and tags.`hookline.host` = '{host_name()}'"
    found = []
    for run in client.search_runs([experiment_id], filter_string=query):
        tags = dict(run.data.tags)
        process = ProcessIdentity.from_tags(tags)
        # The project is compared here: its name may hold what a filter cannot quote.
        if process is None or tags.get(PROJECT_TAG) != project:
            continue
        found.append(
            RunningRun(
                run.info.run_id,
                run.info.run_name or "",
                int(run.info.start_time or 0),
                process,
                process_state(process),
            )
        )
    return found


def end_runs(client: Any, runs: Iterable[RunningRun], found_by: str) -> list[RunningRun]:
    """End each run whose process is gone ``KILLED``, tagged with why; return those ended."""
    ended = []
    for run in runs:
        if run.state is not ProcessState.GONE:
            continue
        why = (
            f"hookline: process {run.process.pid} on host {run.process.host} no longer "
            f"exists (found by {found_by})"
        )
        client.set_tag(run.run_id, ENDED_BY_TAG, why)
        client.set_tag(run.run_id, "hookline.status", "KILLED")
        client.set_terminated(run.run_id, status="KILLED")
        ended.append(run)
    return ended


def end_stale_runs(client: Any, experiment_id: str, project: str, run_id: str) -> None:
    """At the start of run ``run_id``: end the runs of the project and experiment that this
    host's dead processes left RUNNING, with one INFO line naming them. Nothing here fails the
    run: an error is one warning."""
    try:
        runs = running_runs(client, experiment_id, project, this_host_only=True)
        ended = end_runs(client, (r for r in runs if r.run_id != run_id), f"run {run_id}")
    except Exception as error:
        logger.warning(
            "hookline-mlflow: could not look for runs left RUNNING by processes that no "
            "longer exist (%s).",
            redact_userinfo(first_line(error)),
        )
        return
    if ended:
        logger.info(
            "hookline-mlflow: ended %d run(s) KILLED whose process on this host no longer "
            "exists: %s.",
            len(ended),
            ", ".join(f"{r.run_id} (process {r.process.pid})" for r in ended),
        )
