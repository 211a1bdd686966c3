"""The spool file: what a run could not deliver, written and read back exactly, and a file
that is not a spool named with its line. Replaying it against a real server is in
tests/faults/test_mlflow_outage.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hookline_mlflow import spool
from hookline_mlflow.run_logger import Undelivered, Upload
from tests.support import ProjectFactory

from .conftest import NODES

RUN_ID = "0123456789abcdef0123456789abcdef"


def test_what_was_not_delivered_is_read_back_exactly(tmp_path: Path) -> None:
    left = Undelivered(
        metrics=[("node_duration_s/a", 0.25, 1_700_000_000_000, 0), ("loss", 1.5, 17, 3)],
        params=[("x", "3")],
        tags=[("hookline.status", "FAILED")],
        uploads=[
            Upload("artifact data/r.json", print, {"kind": "artifact", "local_path": "/d/r.json",
                                                   "artifact_path": "reports"}),
            Upload("artifact hookline/pipeline.json", print,
                   {"kind": "text", "artifact_file": "hookline/pipeline.json", "text": "{}"}),
            Upload("model regressor", print),
        ],
        status="FAILED",
        reason="ConnectionError: refused",
    )  # fmt: skip
    path = spool.spool_file(tmp_path / "spool", RUN_ID)

    spool.write(
        path, run_id=RUN_ID, experiment_id="4", tracking_uri="http://h:5000", undelivered=left
    )

    assert path == tmp_path / "spool" / f"{RUN_ID}.jsonl"
    # One JSON object per line, and no temporary file left next to it.
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert all(json.loads(line) for line in path.read_text().splitlines())
    read = spool.read(path)
    assert (read.run_id, read.experiment_id, read.tracking_uri) == (RUN_ID, "4", "http://h:5000")
    assert read.metrics == left.metrics
    assert read.params == left.params
    assert read.tags == left.tags
    assert read.artifacts == [("/d/r.json", "reports")]
    assert read.texts == [("hookline/pipeline.json", "{}")]
    assert read.lost == ["model regressor"]
    assert read.status == "FAILED"
    assert read.summary() == (
        "2 metric value(s), 1 param(s), 1 tag(s), 2 artifact(s), end status FAILED"
    )


def test_a_second_spool_of_a_run_adds_to_its_file(tmp_path: Path) -> None:
    # A run adopted twice (MLFLOW_RUN_ID, or an active run) while its server stays away.
    path = spool.spool_file(tmp_path, RUN_ID)
    first = Undelivered(metrics=[("a", 1.0, 10, 0)], params=[("x", "3")], status="KILLED")
    second = Undelivered(metrics=[("b", 2.0, 20, 0)], tags=[("t", "v")], status="FINISHED")
    for left in (first, second):
        spool.write(
            path, run_id=RUN_ID, experiment_id="4", tracking_uri="http://h:5000", undelivered=left
        )

    read = spool.read(path)
    assert read.metrics == [("a", 1.0, 10, 0), ("b", 2.0, 20, 0)]
    assert read.params == [("x", "3")]
    assert read.tags == [("t", "v")]
    # The run ends with the status of the last pipeline run that used it.
    assert read.status == "FINISHED"


def test_a_spool_file_with_another_runs_lines_is_refused(tmp_path: Path) -> None:
    path = spool.spool_file(tmp_path, RUN_ID)
    for run_id in (RUN_ID, "f" * 32):
        spool.write(
            path, run_id=run_id, experiment_id="4", tracking_uri="u", undelivered=Undelivered()
        )
    with pytest.raises(spool.SpoolError, match=f"line 2 names run {'f' * 32}, not {RUN_ID}"):
        spool.read(path)


def test_a_write_cut_short_loses_only_its_own_last_line(tmp_path: Path) -> None:
    path = spool.spool_file(tmp_path, RUN_ID)
    left = Undelivered(metrics=[("a", 1.0, 10, 0)])
    spool.write(path, run_id=RUN_ID, experiment_id="4", tracking_uri="u", undelivered=left)
    with path.open("a") as out:
        out.write('{"kind": "metric", "key": "b", "val')  # a crash in the middle of a write

    assert spool.read(path).metrics == [("a", 1.0, 10, 0)]
    # The next write starts on a line of its own; the cut line is then named.
    spool.write(path, run_id=RUN_ID, experiment_id="4", tracking_uri="u", undelivered=left)
    with pytest.raises(spool.SpoolError, match="line 3 is not JSON"):
        spool.read(path)


def test_a_spool_keeps_no_credential(tmp_path: Path) -> None:
    password = "CANARY-spool-5d1e"
    path = spool.spool_file(tmp_path, RUN_ID)
    left = Undelivered(
        metrics=[("a", 1.0, 10, 0)],
        reason=f"ConnectionError: API request to https://analyst:{password}@h:5000/api failed",
    )
    spool.write(
        path,
        run_id=RUN_ID,
        experiment_id="4",
        tracking_uri=f"https://analyst:{password}@h:5000/prefix",
        undelivered=left,
    )

    assert password not in path.read_text()
    assert "analyst" not in path.read_text()
    # Not masked as ***@: replay would send *** as the user name. It takes the credentials
    # from the environment, as MLflow's client does.
    assert spool.read(path).tracking_uri == "https://h:5000/prefix"
    (run_line, *_) = [json.loads(line) for line in path.read_text().splitlines()]
    assert run_line["reason"] == "ConnectionError: API request to https://***@h:5000/api failed"


def test_a_runs_worker_files_are_replayed_before_its_own(tmp_path: Path) -> None:
    for name in (f"{RUN_ID}.jsonl", f"{RUN_ID}.77.jsonl", "other.jsonl", f"{RUN_ID}x.jsonl"):
        (tmp_path / name).write_text("")

    assert [p.name for p in spool.files_of(tmp_path, RUN_ID)] == [
        f"{RUN_ID}.77.jsonl",
        f"{RUN_ID}.jsonl",
    ]
    assert len(spool.files_of(tmp_path)) == 4
    assert spool.files_of(tmp_path / "missing") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not json\n", "line 1 is not JSON"),
        ('{"kind": "metric", "key": "a"}\n', "line 1 comes before the 'run' line"),
        ('{"kind": "run", "run_id": "r", "experiment_id": "1", "tracking_uri": "u"}\n[1]\n',
         "line 2 is not a JSON object"),
        ('{"kind": "run", "run_id": "r", "experiment_id": "1", "tracking_uri": "u"}\n'
         '{"kind": "metric", "key": "a", "value": "x", "timestamp": 1, "step": 0}\n',
         "line 2 is malformed"),
        ('{"kind": "run", "run_id": "r", "experiment_id": "1", "tracking_uri": "u"}\n'
         '{"kind": "blob"}\n', "line 2 has the unknown kind 'blob'"),
        ("\n", "not a hookline-mlflow spool file"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_a_spool_is_named_with_its_line(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(text)
    with pytest.raises(spool.SpoolError) as error:
        spool.read(path)
    assert str(error.value).startswith(str(path))
    assert expected in str(error.value)


def test_replay_with_an_empty_spool_says_so(make_project: ProjectFactory) -> None:
    project = make_project(NODES, 'return {"__default__": pipeline([])}')
    done = subprocess.run(
        [sys.executable, "-m", "hookline", "mlflow", "replay"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Nothing to replay: the spool is empty."


def test_replay_names_a_file_it_cannot_read_and_keeps_it(
    make_project: ProjectFactory,
) -> None:
    project = make_project(NODES, 'return {"__default__": pipeline([])}')
    bad = project / "mlflow_spool" / f"{RUN_ID}.jsonl"
    bad.parent.mkdir()
    bad.write_text("not json\n")
    done = subprocess.run(
        [sys.executable, "-m", "hookline", "mlflow", "replay"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert f"{bad} kept" in done.stderr
    assert "line 1 is not JSON" in done.stderr
    assert bad.exists()
