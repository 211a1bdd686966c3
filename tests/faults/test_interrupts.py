"""Interrupts and kills of a real ``hookline run`` process: Ctrl-C (SIGINT) in the middle of a
node and in the middle of a save, and SIGKILL in the middle of a large file save. SIGTERM and
SIGHUP, which take Ctrl-C's path, are in test_stop_signals.py."""

from __future__ import annotations

import json
import pickle
import signal
from pathlib import Path

import pytest

from hookline.datasets import PickleDataset
from tests.support import ProjectFactory, signal_when

from .conftest import (
    RECORDING_SETTINGS,
    PluginSwitch,
    mlflow_runs,
    project_store,
    read_hook_log,
    run_hookline,
    temp_files,
)

pytestmark = pytest.mark.integration

NODES = """
import pickle
import time
from pathlib import Path


def double(x):
    return x * 2


def wait_for_signal(y, marker):
    Path(marker).write_text("node started")
    time.sleep(120)
    return y


def numbers(seed):
    return [str(seed + i) for i in range(3_000_000)]


# This module is also the pickle backend of the `slow` dataset: its dump writes half of the
# pickle, says so, and waits for the signal in the middle of the save.
MARKER = None


def dump(data, file):
    payload = pickle.dumps(data)
    file.write(payload[: len(payload) // 2])
    file.flush()
    Path(MARKER).write_text("save started")
    time.sleep(120)
    file.write(payload[len(payload) // 2 :])


def load(file):
    return pickle.load(file)


def point_marker(y, marker):
    global MARKER
    MARKER = marker
    return y
"""

INTERRUPTED_IN_NODE = """return {"__default__": pipeline([
    node(double, "params:x", "y", name="double"),
    node(wait_for_signal, ["y", "params:marker"], "z", name="wait"),
])}"""

INTERRUPTED_IN_SAVE = """return {"__default__": pipeline([
    node(double, "params:x", "y", name="double"),
    node(point_marker, ["y", "params:marker"], "z", name="save_slowly"),
])}"""


def _catalog(package: str) -> str:
    return f"""\
y: {{type: json.JSONDataset, filepath: data/y.json}}
z: {{type: pickle.PickleDataset, filepath: data/z.pkl, backend: {package}.nodes}}
"""


@pytest.mark.parametrize(
    "registry", [INTERRUPTED_IN_NODE, INTERRUPTED_IN_SAVE], ids=["in-a-node", "in-a-save"]
)
def test_ctrl_c_runs_error_hooks_ends_mlflow_killed_and_keeps_finished_outputs(
    make_project: ProjectFactory,
    enable_plugins: PluginSwitch,
    hook_log: Path,
    tmp_path: Path,
    registry: str,
) -> None:
    # MLflow tracks into its default store, a SQLite file in the project: real, no server.
    enable_plugins("hookline-mlflow")
    marker = tmp_path / "reached"
    project = make_project(NODES, registry, settings=RECORDING_SETTINGS)
    (project / "conf/base/catalog.yml").write_text(_catalog(project.name))
    (project / "conf/base/parameters.yml").write_text(f"x: 21\nmarker: {marker}\n")
    previous_z = project / "data" / "z.pkl"
    previous_z.parent.mkdir()
    previous_z.write_bytes(pickle.dumps("the previous z"))

    done = signal_when(project, marker.exists, signal.SIGINT)

    assert done.returncode == 130, done.output
    assert "Interrupted" in done.output
    assert "Traceback" not in done.output
    assert [(e["hook"], e["error"]) for e in read_hook_log(hook_log)] == [
        ("before_pipeline_run", None),
        ("on_pipeline_error", "KeyboardInterrupt"),
    ]
    runs = mlflow_runs(project_store(project))
    assert [run.info.status for run in runs] == ["KILLED"]
    assert runs[0].info.end_time is not None
    # The finished node's output is whole; the interrupted one's previous file is untouched.
    assert json.loads((project / "data" / "y.json").read_text()) == 42
    assert pickle.loads(previous_z.read_bytes()) == "the previous z"
    assert temp_files(project) == []


def test_sigkill_during_a_large_save_keeps_the_previous_file_loadable(
    make_project: ProjectFactory,
) -> None:
    project = make_project(
        NODES,
        'return {"__default__": pipeline([node(numbers, "params:seed", "big", name="numbers")])}',
        conf={
            "base/catalog.yml": "big: {type: pickle.PickleDataset, filepath: data/big.pkl}\n",
            "base/parameters.yml": "seed: 1\n",
        },
    )
    first = run_hookline(project, "run")
    assert first.returncode == 0, first.stderr
    target = project / "data" / "big.pkl"
    saved = target.stat()

    def second_save_is_half_written() -> bool:
        # The kill lands while pickle is streaming the new version into its temporary file.
        return any(tmp.stat().st_size > 1_000_000 for tmp in temp_files(project / "data"))

    killed = signal_when(
        project, second_save_is_half_written, signal.SIGKILL, "--params", "seed=1000"
    )

    assert killed.returncode == -signal.SIGKILL
    # The kill came mid-write: the new version exists only as an abandoned temporary file.
    leftovers = temp_files(project / "data")
    assert leftovers, "the save finished before the kill: nothing was tested"
    assert target.stat().st_ino == saved.st_ino
    assert target.stat().st_size == saved.st_size
    reloaded = PickleDataset(str(target)).load()
    assert reloaded[0] == "1"
    assert reloaded[-1] == str(1 + 3_000_000 - 1)
    assert len(reloaded) == 3_000_000
