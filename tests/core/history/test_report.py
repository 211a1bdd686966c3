"""``hookline runs report``: one self-contained HTML page, opened in headless Chromium as a
person would; the screenshot is kept under HOOKLINE_TEST_ARTIFACTS (default tests/artifacts/)."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from click.testing import CliRunner

from hookline.cli import cli
from hookline.runner import ThreadRunner
from hookline.session import HooklineSession, RunFailed
from tests.integration import browser


def report(project: Path, run_id: str, output: Path) -> str:
    done = CliRunner().invoke(
        cli, ["runs", "report", run_id, "-o", str(output), "--project", str(project)]
    )
    assert done.exit_code == 0, done.output
    html = output.read_text(encoding="utf-8")
    # Works offline: plotly.js is inside the page, and no script or style is fetched.
    assert not re.search(r"<script[^>]+src=", html)
    assert "<link" not in html
    return html


def test_the_report_of_a_run_shows_every_node_per_worker_against_its_baseline(
    history_project: Path, tmp_path: Path
) -> None:
    browser.require()
    HooklineSession.create(history_project).run(runner=ThreadRunner(max_workers=2))
    session = HooklineSession.create(history_project, extra_params={"rows": 1})
    session.run(runner=ThreadRunner(max_workers=2))

    page = tmp_path / "report.html"
    report(history_project, session.session_id, page)
    text = browser.page_text(page.as_uri())
    shot = browser.screenshot(page.as_uri(), browser.artifacts_dir() / "run-report.png")

    assert f"hookline run {session.session_id}" in text
    for heading in ("Timeline", "Against the baseline", "Regressions", "Nodes", "Measurements"):
        assert heading in text.splitlines()
    for node in ("make", "total"):
        assert node in text.splitlines()
    assert "seconds since the first node started" in text  # the Gantt chart was drawn
    assert "hookline_0" in text  # a worker's row
    # 3 rows in the baseline, 1 now: the rows regression is in the page.
    assert "rows\narray\ndataset.rows\n1\n3" in text
    assert shot.read_bytes().startswith(b"\x89PNG")


def test_the_report_of_a_failed_run_shows_its_error_without_secrets(
    history_project: Path, tmp_path: Path
) -> None:
    browser.require()
    session = HooklineSession.create(history_project, extra_params={"fail": True})
    with contextlib.suppress(RunFailed):
        session.run()

    page = tmp_path / "failed.html"
    html = report(history_project, session.session_id, page)
    text = browser.page_text(page.as_uri())

    assert "Error" in text.splitlines()
    assert "ValueError: cannot reach db with password" in text
    assert "s3cr3t-Pa55word" not in html
    browser.screenshot(page.as_uri(), browser.artifacts_dir() / "run-report-failed.png")
