"""Every run is recorded in the project's history: under every runner (a worker's node times
and measurements come back), failed, interrupted, and by concurrent runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from hookline.history import HistoryStore, RunRecord
from hookline.history.location import DEFAULT_HISTORY
from hookline.runner import DaskRunner, ParallelRunner, SequentialRunner, ThreadRunner
from hookline.runner.base import AbstractRunner
from hookline.session import HooklineSession, RunFailed
from tests.support import signal_when

RUNNERS = {
    "sequential": lambda request: SequentialRunner(),
    "thread": lambda request: ThreadRunner(max_workers=2),
    "parallel": lambda request: ParallelRunner(max_workers=2, mp_context="spawn"),
    "dask": lambda request: DaskRunner(address=request.getfixturevalue("dask_cluster")),
}


def only_run(project: Path) -> RunRecord:
    """The one run recorded in ``project``'s history, with its nodes and measurements."""
    store = HistoryStore(project / DEFAULT_HISTORY)
    runs = store.runs()
    assert len(runs) == 1, runs
    record = store.load(runs[0].run_id)
    assert record is not None
    return record


@pytest.mark.parametrize("runner_name", sorted(RUNNERS))
def test_every_runner_records_the_run_its_nodes_and_measurements(
    history_project: Path, runner_name: str, request: pytest.FixtureRequest
) -> None:
    runner: AbstractRunner = RUNNERS[runner_name](request)
    session = HooklineSession.create(history_project)
    session.run(runner=runner)

    record = only_run(history_project)
    assert record.run_id == session.session_id
    assert (record.pipeline, record.status, record.error) == ("__default__", "completed", None)
    assert record.runner == type(runner).__name__
    assert len(record.structure_hash) == len(record.params_hash) == 16
    assert {n.name: n.status for n in record.nodes} == {"make": "completed", "total": "completed"}
    for node_run in record.nodes:
        assert node_run.started <= node_run.ended
        assert node_run.ended - node_run.started == pytest.approx(node_run.duration, abs=1e-6)
        assert record.started - 1 <= node_run.started <= record.started + record.duration + 1
    workers = {n.worker for n in record.nodes}
    if runner_name == "sequential":
        assert workers == {"main"}
    elif runner_name == "thread":
        assert all(w.startswith("hookline") for w in workers), workers
    else:  # a worker process, not this one
        assert all(w.startswith("pid ") for w in workers), workers
        assert f"pid {os.getpid()}" not in {w.split()[0] + " " + w.split()[1] for w in workers}
    figures = {(m.name, m.node, m.dataset): (m.value, m.unit) for m in record.measurements}
    assert figures[("rows.made", "make", None)] == (3.0, "count")
    # The saved array's size, measured by the core from its shape and nbytes.
    assert figures[("dataset.rows", "make", "array")] == (3.0, "rows")
    assert figures[("dataset.columns", "make", "array")] == (2.0, "columns")
    assert figures[("dataset.bytes", "make", "array")] == (48.0, "B")


def test_a_failed_run_is_recorded_with_its_error_and_no_secret(history_project: Path) -> None:
    session = HooklineSession.create(history_project, extra_params={"fail": True})
    with pytest.raises(RunFailed):
        session.run()

    record = only_run(history_project)
    assert record.status == "failed"
    assert record.error is not None
    assert "ValueError: cannot reach db with password" in record.error
    assert "s3cr3t-Pa55word" not in record.error
    assert {n.name: n.status for n in record.nodes} == {"make": "completed", "total": "failed"}


def test_an_interrupted_run_is_recorded(history_project: Path, tmp_path: Path) -> None:
    marker = tmp_path / "started"
    done = signal_when(
        history_project, marker.exists, signal.SIGINT, "--params", f"marker={marker}"
    )
    assert done.returncode == 130, done.output

    record = only_run(history_project)
    assert (record.status, record.error) == ("interrupted", "KeyboardInterrupt")
    assert [(n.name, n.status) for n in record.nodes] == [("make", "completed")]


def test_concurrent_runs_never_lose_each_others_records(history_project: Path) -> None:
    # Two real runs at once, plus two processes each adding 50 runs as fast as they can.
    writer = (
        "import sys\n"
        "from pathlib import Path\n"
        "from hookline.history import HistoryStore, RunRecord\n"
        "from hookline.history.recorder import write_run\n"
        "store = HistoryStore(Path(sys.argv[1]))\n"
        "for i in range(50):\n"
        "    assert write_run(store, RunRecord(\n"
        "        f'{sys.argv[2]}-{i}', 'bulk', 'h', 'p', None, 'R', None, float(i), 0.1,\n"
        "        'completed'))\n"
    )
    path = history_project / DEFAULT_HISTORY
    commands = [
        [sys.executable, "-m", "hookline", "run"],
        [sys.executable, "-m", "hookline", "run"],
        [sys.executable, "-c", writer, str(path), "first"],
        [sys.executable, "-c", writer, str(path), "second"],
    ]
    processes = [
        subprocess.Popen(c, cwd=history_project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for c in commands
    ]
    for process in processes:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output.decode()

    runs = HistoryStore(path).runs()
    assert len(runs) == 102
    assert len([r for r in runs if r.pipeline == "__default__"]) == 2
    assert len({r.run_id for r in runs if r.pipeline == "bulk"}) == 100


def test_history_can_be_moved_or_switched_off(
    history_project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HOOKLINE_HISTORY", str(tmp_path / "elsewhere.db"))
    HooklineSession.create(history_project).run()
    assert len(HistoryStore(tmp_path / "elsewhere.db").runs()) == 1

    monkeypatch.setenv("HOOKLINE_HISTORY", "off")
    HooklineSession.create(history_project).run()
    assert len(HistoryStore(tmp_path / "elsewhere.db").runs()) == 1
    assert not (history_project / DEFAULT_HISTORY).exists()

    monkeypatch.delenv("HOOKLINE_HISTORY")
    pyproject = history_project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + 'history = "var/history.db"\n')
    HooklineSession.create(history_project).run()
    assert len(HistoryStore(history_project / "var" / "history.db").runs()) == 1


def test_the_git_commit_of_the_project_is_recorded(history_project: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=history_project, check=True)
    subprocess.run(["git", "add", "."], cwd=history_project, check=True)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first"],
        cwd=history_project,
        check=True,
    )
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=history_project, capture_output=True, text=True
    ).stdout.strip()
    # Packed refs too: `git gc` moves branch heads out of loose files.
    subprocess.run(["git", "pack-refs", "--all"], cwd=history_project, check=True)

    HooklineSession.create(history_project).run()

    assert only_run(history_project).git_commit == head
