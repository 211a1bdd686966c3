"""The hookline command run as a user runs it: a real subprocess in a real project folder."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.support import ProjectFactory, hookline_command

from .conftest import hookline

NODES = """
import os
import time
from pathlib import Path

def double(x):
    return x * 2

def explode(y):
    raise RuntimeError("explode on purpose")

def wait_for_interrupt(y):
    Path(os.environ["MARKER"]).write_text("started")
    time.sleep(60)
    return y
"""

REGISTRY = """
first = node(double, "params:x", "y", name="double")
return {
    "__default__": pipeline([first, node(double, "y", "z", name="double_again")]),
    "failing": pipeline([first, node(explode, "y", "z", name="explode")]),
    "slow": pipeline([first, node(wait_for_interrupt, "y", "z", name="wait")]),
}
"""

SETTINGS = """
import os
from pathlib import Path
from hookline import hook_impl

class ErrorWitness:
    @hook_impl
    def on_pipeline_error(self, error):
        Path(os.environ["WITNESS"]).write_text(type(error).__name__)

HOOKS = (ErrorWitness(),)
"""

CATALOG = """
y:
  type: pickle.PickleDataset
  filepath: data/y.pkl
"""


@pytest.fixture
def project(make_project: ProjectFactory, tmp_path: Path) -> Path:
    return make_project(
        NODES,
        REGISTRY,
        SETTINGS,
        conf={"base/parameters.yml": "x: 2\n", "base/catalog.yml": CATALOG},
    )


def test_a_successful_run_exits_0_and_prints_the_summary(project: Path) -> None:
    done = hookline(project, "run")
    assert done.returncode == 0, done.stderr
    assert "Completed node double (1/2)" in done.stderr
    assert "Completed node double_again (2/2)" in done.stderr
    table = done.stdout.splitlines()
    assert table[0] == "Nodes"
    assert any(line.startswith("double_again") and "completed" in line for line in table)


def test_params_override_reaches_the_nodes(project: Path) -> None:
    done = hookline(project, "run", "--params", "x=5")
    assert done.returncode == 0, done.stderr
    import pickle

    assert pickle.loads((project / "data" / "y.pkl").read_bytes()) == 10


def test_env_overlays_base(project: Path) -> None:
    (project / "conf" / "other").mkdir()
    (project / "conf" / "other" / "parameters.yml").write_text("x: 7\n")
    done = hookline(project, "run", "--env", "other")
    assert done.returncode == 0, done.stderr
    import pickle

    assert pickle.loads((project / "data" / "y.pkl").read_bytes()) == 14


def test_a_failed_node_exits_1_runs_error_hooks_and_says_how_to_resume(
    project: Path, tmp_path: Path
) -> None:
    witness = tmp_path / "witness"
    done = hookline(project, "run", "--pipeline", "failing", WITNESS=str(witness))
    assert done.returncode == 1
    assert "RuntimeError: explode on purpose" in done.stderr
    assert 'raise RuntimeError("explode on purpose")' in done.stderr  # the user's frame
    assert "hookline/runner" not in done.stderr  # not hookline's own frames
    # y was saved to a file by the finished node, so only the failed node needs to run again.
    assert "To resume the run: hookline run --pipeline failing --from-nodes explode" in done.stderr
    assert witness.read_text() == "RuntimeError"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("run", "--pipeline", "faling"), "No pipeline named 'faling'. Did you mean 'failing'?"),
        (("run", "--nodes", "dubble"), "dubble"),
        (("run", "--runner", "SequentalRunner"), "Did you mean 'SequentialRunner'?"),
        (("run", "--params", "novalue"), "novalue"),
        (("run", "--env", "nowhere"), "nowhere"),
        (("run", "--load-versions", "y"), "dataset:version"),
        (("run", "--max-workers", "0"), "0"),
    ],
)
def test_usage_and_config_errors_exit_2_with_one_clear_line(
    project: Path, args: tuple[str, ...], expected: str
) -> None:
    done = hookline(project, *args)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_bad_yaml_names_the_file(project: Path) -> None:
    (project / "conf" / "base" / "catalog.yml").write_text("y: [unclosed\n")
    done = hookline(project, "run")
    assert done.returncode == 2
    assert "catalog.yml" in done.stderr
    assert "Traceback" not in done.stderr


def test_outside_a_project_the_error_says_what_a_project_is(tmp_path: Path) -> None:
    done = hookline(tmp_path, "run")
    assert done.returncode == 2
    assert "[tool.hookline]" in done.stderr


def test_ctrl_c_runs_on_pipeline_error_and_exits_130(project: Path, tmp_path: Path) -> None:
    marker, witness = tmp_path / "marker", tmp_path / "witness"
    process = subprocess.Popen(
        hookline_command("run", "--pipeline", "slow"),
        cwd=project,
        env={**os.environ, "MARKER": str(marker), "WITNESS": str(witness)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the slow node never started"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert witness.read_text() == "KeyboardInterrupt"
    # The node that finished before the interrupt kept its output.
    import pickle

    assert pickle.loads((project / "data" / "y.pkl").read_bytes()) == 4
    assert not [p for p in (project / "data").iterdir() if p.name != "y.pkl"]


def test_version_and_help(project: Path) -> None:
    assert "hookline, version" in hookline(project, "--version").stdout
    assert "run" in hookline(project, "--help").stdout


def test_an_unknown_dataset_type_names_the_catalog_file_and_entry(project: Path) -> None:
    (project / "conf" / "local" / "catalog.yml").write_text("y:\n  type: pandas.CSVDatset\n")
    done = hookline(project, "run")
    assert done.returncode == 2
    assert "conf/local/catalog.yml" in done.stderr
    assert "'y'" in done.stderr
    assert "pandas.CSVDataset" in done.stderr  # the close name is suggested
    assert "Traceback" not in done.stderr


CANARY = "canary-s3cr3t-7f1d"


def test_credentials_appear_in_no_output(project: Path) -> None:
    local = project / "conf" / "local"
    (local / "credentials.yml").write_text(f"db:\n  password: {CANARY}\n  user: me\n")
    (local / "parameters.yml").write_text(f"x: 2\napi_token: {CANARY}\n")
    ok = hookline(project, "run", "--log-level", "DEBUG")
    assert ok.returncode == 0, ok.stderr
    (local / "catalog.yml").write_text(
        "y:\n  type: pickle.PickleDataset\n  filepath: y.pkl\n  credentials: dbx\n"
    )
    bad = hookline(project, "run", "--log-level", "DEBUG")
    assert bad.returncode == 2
    assert "dbx" in bad.stderr
    for done in (ok, bad):
        assert CANARY not in done.stdout + done.stderr


def test_a_config_error_found_by_a_plugin_before_any_node_exits_2(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    witness = tmp_path / "witness"
    settings = SETTINGS.replace(
        "HOOKS = (ErrorWitness(),)",
        "from hookline.errors import ConfigError\n\n"
        "class StrictPlugin:\n"
        "    @hook_impl\n"
        "    def before_pipeline_run(self):\n"
        "        raise ConfigError('conf/base/strict.yml: unknown key colour')\n\n"
        "HOOKS = (ErrorWitness(), StrictPlugin())",
    )
    project = make_project(NODES, REGISTRY, settings, conf={"base/parameters.yml": "x: 2\n"})
    done = hookline(project, "run", WITNESS=str(witness))
    assert done.returncode == 2, done.stderr
    assert "conf/base/strict.yml: unknown key colour" in done.stderr
    assert "To resume" not in done.stderr
    assert witness.read_text() == "ConfigError"  # the other plugins still heard of the failure
