"""``hookline runs``: list, show, compare, report and prune the runs in a project's history.

Each command prints tables on a terminal (plain columns when piped) and JSON with ``--json``.
"""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from hookline.errors import ConfigError, HooklineError

if TYPE_CHECKING:
    from hookline.history.records import RunRecord
    from hookline.history.store import HistoryStore

#: Exit code of a command naming a run the history does not hold, or bad input.
EXIT_USAGE = 2

_RELATIVE = re.compile(r"^(\d+)\s*([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

_project_option = click.option(
    "--project", type=click.Path(file_okay=False, path_type=Path), default=None
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON, not tables.")


@click.group(invoke_without_command=True)
@click.option("--pipeline", default=None, help="Only runs of this pipeline.")
@click.option(
    "--status",
    type=click.Choice(["completed", "failed", "interrupted"]),
    default=None,
    help="Only runs that ended this way.",
)
@click.option("--since", default=None, help="Only runs since a date (2026-11-22) or 3d, 12h, 30m.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@_json_option
@_project_option
@click.pass_context
def runs(
    ctx: click.Context,
    pipeline: str | None,
    status: str | None,
    since: str | None,
    limit: int,
    as_json: bool,
    project: Path | None,
) -> None:
    """List the runs recorded in the project's history, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    store = _store(project)
    try:
        after = _parse_since(since)
        found = store.runs(pipeline, status, after, limit)
    except HooklineError as error:
        _fail(error)
    if as_json:
        _print_json([record.summary() for record in found])
        return
    if not found:
        filtered = pipeline or status or since
        click.echo(f"No runs {'match' if filtered else 'recorded'} in {store.path}.")
        return
    from hookline.tables import write_table

    rows = [
        (
            r.run_id, r.pipeline, r.status, r.runner, _when(r.started), f"{r.duration:.3f}",
            (r.git_commit or "")[:10],
        )
        for r in found
    ]  # fmt: skip
    header = ("run", "pipeline", "status", "runner", "started (UTC)", "seconds", "commit")
    write_table(sys.stdout, "Runs", header, rows)
    if len(found) == limit:
        total = store.count(pipeline, status, after)
        if total > limit:
            click.echo(f"Listed the {limit} newest of {total} runs; --limit N lists more.")


@runs.command()
@click.argument("run_id")
@_json_option
@_project_option
def show(run_id: str, as_json: bool, project: Path | None) -> None:
    """Show the summary tables of run RUN_ID."""
    from hookline.console import render_summary
    from hookline.history.views import as_summary

    record = _load(_store(project), run_id)
    if as_json:
        _print_json(record.as_dict())
        return
    click.echo(
        f"Run {record.run_id}: {record.pipeline}, {record.status}, {record.runner}, "
        f"env {record.env or '-'}, started {_when(record.started)} UTC, "
        f"{record.duration:.3f} s, commit {record.git_commit or '-'}"
    )
    records, measurements = as_summary(record)
    render_summary(records, measurements, sys.stdout)
    if record.error:
        click.echo(f"Error: {record.error}")


@runs.command()
@click.argument("first")
@click.argument("second")
@_json_option
@_project_option
def compare(first: str, second: str, as_json: bool, project: Path | None) -> None:
    """Compare run FIRST with run SECOND: each node's seconds and each measurement."""
    from hookline.history.views import compare_runs

    store = _store(project)
    comparison = compare_runs(_load(store, first), _load(store, second))
    if as_json:
        _print_json(comparison)
        return
    from hookline.tables import write_table

    header = ("first", "second", "change", "change %")
    write_table(
        sys.stdout,
        f"Nodes (seconds): {first} -> {second}",
        ("node", *header),
        [(row["node"], *_changes(row)) for row in comparison["nodes"]],
    )
    write_table(
        sys.stdout,
        "Measurements",
        ("measurement", "of", "unit", *header),
        [(row["measurement"], row["of"], row["unit"], *_changes(row))
         for row in comparison["measurements"]],
    )  # fmt: skip


@runs.command()
@click.option("--keep", type=click.IntRange(min=0), required=True, help="Runs to keep.")
@_json_option
@_project_option
def prune(keep: int, as_json: bool, project: Path | None) -> None:
    """Delete every run but the KEEP newest."""
    import sqlite3

    store = _store(project)
    try:
        deleted = store.prune(keep)
    except sqlite3.Error as error:
        _fail(ConfigError(f"The run history {store.path} could not be pruned: {error}"))
    if as_json:
        _print_json({"deleted": deleted, "kept": keep})
    else:
        click.echo(f"Deleted {deleted} run(s) from {store.path}; the {keep} newest are kept.")


@runs.command()
@click.argument("run_id")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The HTML file to write.",
)
@click.option(
    "--env", "-e", default=None, help="Environment of regressions.yml (default: the run's)."
)
@_project_option
def report(run_id: str, output: Path, env: str | None, project: Path | None) -> None:
    """Write one self-contained HTML page about run RUN_ID: its timeline per worker, each
    node against its baseline, the measurements, the regressions and the error (needs
    ``pip install "hookline[report]"``)."""
    from hookline.history.baseline import largest_watched, read_baseline
    from hookline.history.guard import find_regressions
    from hookline.history.report import render_report
    from hookline.history.thresholds import load_thresholds
    from hookline.plugin_config import project_config_loader

    store = _store(project)
    record = _load(store, run_id)
    try:
        thresholds = load_thresholds(project_config_loader(project, env or record.env)[0])
        baseline = read_baseline(
            store, record.pipeline, record.structure_hash, thresholds.baseline_runs,
            before=record.started,
        )  # fmt: skip
        regressions = []
        if record.status == "completed" and baseline.runs > 0:
            durations = record.nodes.completed_durations()
            figures = largest_watched(record.measurements)
            regressions = find_regressions(durations, figures, baseline, thresholds)
        page = render_report(record, baseline, regressions)
    except HooklineError as error:
        _fail(error)
    output.write_text(page, encoding="utf-8")
    click.echo(f"Wrote the report of run {run_id} to {output}.")


def _store(project: Path | None) -> HistoryStore:
    from hookline.history.location import history_path
    from hookline.history.store import HistoryStore
    from hookline.project import find_project

    try:
        path = history_path(find_project(project))
    except HooklineError as error:
        _fail(error)
    if path is None:
        _fail(ConfigError("The run history is switched off (HOOKLINE_HISTORY=off)."))
    return HistoryStore(path)


def _load(store: HistoryStore, run_id: str) -> RunRecord:
    import sqlite3

    try:
        record = store.load(run_id)
    except sqlite3.Error as error:
        _fail(ConfigError(f"The run history {store.path} cannot be read: {error}"))
    if record is None:
        _fail(ConfigError(f"No run '{run_id}' in {store.path}: `hookline runs` lists them."))
    return record


def _fail(error: HooklineError) -> NoReturn:
    click.echo(f"Error: {error}", err=True)
    sys.exit(EXIT_USAGE)


def _parse_since(text: str | None) -> float | None:
    """``2026-11-22``, ``2026-11-22T10:00`` (UTC unless it says otherwise), or ``3d``."""
    if text is None:
        return None
    relative = _RELATIVE.match(text.strip())
    if relative:
        return time.time() - int(relative.group(1)) * _SECONDS[relative.group(2)]
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--since takes a date (2026-11-22), a time (2026-11-22T10:00) or an age "
            f"(30m, 12h, 3d, 2w), got '{text}'."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _changes(row: dict[str, Any]) -> tuple[str, ...]:
    return (
        _number(row["first"]),
        _number(row["second"]),
        _number(row["change"], signed=True),
        "" if row["change_percent"] is None else f"{row['change_percent']:+.1f}%",
    )


def _number(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def _print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2))
