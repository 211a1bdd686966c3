"""``hookline runs``: list with filters, show, compare and prune, as tables and as JSON."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from click.testing import CliRunner, Result

from hookline.cli import cli
from hookline.session import HooklineSession, RunFailed


def hookline(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def make_runs(project: Path) -> list[str]:
    """Three runs: one, one failed, one with 4 rows instead of 3; their ids, oldest first."""
    ids = []
    for params in ({}, {"fail": True}, {"rows": 4}):
        session = HooklineSession.create(project, extra_params=params)
        with contextlib.suppress(RunFailed):  # the failed run is one of the three
            session.run()
        ids.append(session.session_id)
    return ids


def test_runs_lists_newest_first_and_filters(history_project: Path) -> None:
    first, failed, last = make_runs(history_project)
    project = str(history_project)

    listed = json.loads(hookline("runs", "--project", project, "--json").output)
    assert [r["run_id"] for r in listed] == [last, failed, first]
    assert [r["status"] for r in listed] == ["completed", "failed", "completed"]

    only_failed = json.loads(
        hookline("runs", "--project", project, "--json", "--status", "failed").output
    )
    assert [r["run_id"] for r in only_failed] == [failed]
    assert hookline("runs", "--project", project, "--json", "--pipeline", "other").output == "[]\n"
    assert (
        len(json.loads(hookline("runs", "--project", project, "--json", "--since", "1h").output))
        == 3
    )
    assert (
        hookline("runs", "--project", project, "--json", "--since", "2999-01-01").output == "[]\n"
    )

    table = hookline("runs", "--project", project).output
    assert table.index(last) < table.index(failed) < table.index(first)
    assert "failed" in table
    assert "newest of" not in table  # every run is listed


def test_runs_says_when_its_limit_leaves_runs_out(history_project: Path) -> None:
    first, failed, last = make_runs(history_project)
    project = str(history_project)

    table = hookline("runs", "--project", project, "--limit", "2").output

    assert last in table
    assert failed in table
    assert first not in table
    assert "Listed the 2 newest of 3 runs; --limit N lists more." in table
    listed = json.loads(hookline("runs", "--project", project, "--json", "--limit", "2").output)
    assert [r["run_id"] for r in listed] == [last, failed]
    only_failed = hookline("runs", "--project", project, "--status", "failed", "--limit", "1")
    assert "newest of" not in only_failed.output  # the one failed run is all there is


def test_runs_show_prints_the_summary_tables_and_the_error(history_project: Path) -> None:
    _, failed, _ = make_runs(history_project)

    shown = hookline("runs", "show", failed, "--project", str(history_project))

    assert shown.exit_code == 0
    assert f"Run {failed}: __default__, failed, SequentialRunner" in shown.output
    assert "make" in shown.output
    assert "total" in shown.output
    assert "dataset.rows" in shown.output
    assert "Error: RunFailed: Pipeline run failed" in shown.output
    assert "s3cr3t-Pa55word" not in shown.output
    record = json.loads(
        hookline("runs", "show", failed, "--json", "--project", str(history_project)).output
    )
    assert [n["name"] for n in record["nodes"]] == ["make", "total"]


def test_runs_compare_gives_both_values_and_the_change(history_project: Path) -> None:
    first, _, last = make_runs(history_project)

    compared = json.loads(
        hookline("runs", "compare", first, last, "--json", "--project", str(history_project)).output
    )

    assert [n["node"] for n in compared["nodes"]] == ["make", "total"]
    rows = {(m["measurement"], m["of"]): m for m in compared["measurements"]}
    assert rows[("dataset.rows", "array")]["first"] == 3
    assert rows[("dataset.rows", "array")]["second"] == 4
    assert rows[("dataset.rows", "array")]["change"] == 1
    assert round(rows[("dataset.rows", "array")]["change_percent"], 1) == 33.3
    table = hookline("runs", "compare", first, last, "--project", str(history_project)).output
    assert "+33.3%" in table


def test_runs_prune_keeps_the_newest(history_project: Path) -> None:
    _, failed, last = make_runs(history_project)
    project = str(history_project)

    pruned = hookline("runs", "prune", "--keep", "2", "--project", project)

    assert "Deleted 1 run(s)" in pruned.output
    listed = json.loads(hookline("runs", "--project", project, "--json").output)
    assert [r["run_id"] for r in listed] == [last, failed]


def test_an_unknown_run_or_bad_since_is_a_usage_error(history_project: Path) -> None:
    make_runs(history_project)
    project = str(history_project)

    unknown = CliRunner().invoke(cli, ["runs", "show", "nope", "--project", project])
    assert unknown.exit_code == 2
    assert "No run 'nope'" in unknown.stderr
    since = CliRunner().invoke(cli, ["runs", "--since", "yesterday", "--project", project])
    assert since.exit_code == 2
    assert "--since takes a date" in since.stderr
