"""A history that cannot be written is one warning: the run goes on, its exit code unchanged.
A corrupt file is moved aside, named, and a new one started."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hookline.history import HistoryStore
from hookline.history.location import DEFAULT_HISTORY

from .conftest import run_hookline

GARBAGE = b"this is no SQLite file at all, only text " * 100


def history_warnings(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "run history" in line]


def test_a_corrupt_history_is_moved_aside_named_and_started_again(history_project: Path) -> None:
    path = history_project / DEFAULT_HISTORY
    path.parent.mkdir()
    path.write_bytes(GARBAGE)

    done = run_hookline(history_project, "run")

    assert done.returncode == 0, done.stderr
    (warning,) = history_warnings(done.stderr)
    (aside,) = path.parent.glob("runs.db.corrupt-*")
    assert "was corrupt" in warning
    assert str(aside) in warning
    assert aside.read_bytes() == GARBAGE
    assert len(HistoryStore(path).runs()) == 1


def test_a_failed_run_keeps_its_exit_code_when_the_history_is_corrupt(
    history_project: Path,
) -> None:
    path = history_project / DEFAULT_HISTORY
    path.parent.mkdir()
    path.write_bytes(GARBAGE)

    done = run_hookline(history_project, "run", "--params", "fail=true")

    assert done.returncode == 1
    assert len(history_warnings(done.stderr)) == 1
    assert HistoryStore(path).runs()[0].status == "failed"


def test_a_history_in_a_read_only_place_is_one_warning(
    history_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /proc refuses new files even to root (these tests may run as root, which ignores file
    # modes): a history that can truly not be written.
    monkeypatch.setenv("HOOKLINE_HISTORY", "/proc/hookline-runs.db")

    done = run_hookline(history_project, "run")

    assert done.returncode == 0, done.stderr
    (warning,) = history_warnings(done.stderr)
    assert "/proc/hookline-runs.db could not be written" in warning
    assert "Completed node total" in done.stderr


def test_a_read_only_history_file_is_one_warning(history_project: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes files whatever their modes (the /proc case covers root)")
    path = history_project / DEFAULT_HISTORY
    assert run_hookline(history_project, "run").returncode == 0
    path.chmod(0o444)
    path.parent.chmod(0o555)
    try:
        done = run_hookline(history_project, "run")
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)

    assert done.returncode == 0, done.stderr
    assert len(history_warnings(done.stderr)) == 1
    assert len(HistoryStore(path).runs()) == 1
