"""``python -m spaceflights.expectations`` deletes and rewrites ``gx/``: it must refuse any
folder but the example project's, whether named with ``--project`` or by being the working
folder, and still rebuild the example's own context.

The script runs as a real process, on the example's sources (``example_project/src``), in
folders of its own under ``tmp_path``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.example.environment import EXAMPLE, copy_example


def run_script(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m spaceflights.expectations ARGS`` in ``cwd``."""
    env = {**os.environ, "PYTHONPATH": str(EXAMPLE / "src")}
    return subprocess.run(
        [sys.executable, "-m", "spaceflights.expectations", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def folder_with_gx(folder: Path) -> Path:
    """``folder`` with a ``gx/`` holding a file someone cares about; returns that file."""
    precious = folder / "gx" / "great_expectations.yml"
    precious.parent.mkdir(parents=True)
    precious.write_text("someone else's context\n")
    return precious


@pytest.mark.parametrize(
    "pyproject",
    [
        None,
        '[project]\nname = "other"\n',
        '[tool.hookline]\npackage_name = "other_project"\n',
        '[tool.hookline]\npackage_name = "spaceflights"\n',  # but no conf/
    ],
    ids=["no pyproject", "not hookline", "another project", "no conf folder"],
)
@pytest.mark.parametrize("named", [True, False], ids=["--project", "working folder"])
def test_any_folder_but_the_example_is_refused_and_left_alone(
    tmp_path: Path, pyproject: str | None, named: bool
) -> None:
    folder = tmp_path / "somewhere"
    precious = folder_with_gx(folder)
    if pyproject is not None:
        (folder / "pyproject.toml").write_text(pyproject)

    done = run_script(tmp_path, "--project", str(folder)) if named else run_script(folder)

    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"Error: {folder} is not the example project"), done.stderr
    assert precious.read_text() == "someone else's context\n"


@pytest.mark.slow
def test_the_example_project_gets_its_context_rebuilt(tmp_path: Path) -> None:
    pytest.importorskip("great_expectations", minversion="1.0")
    project = copy_example(tmp_path / "spaceflights")
    stale = project / "gx" / "stale-file"
    stale.write_text("left over")

    done = run_script(project)

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Wrote the Great Expectations context {project / 'gx'}" in done.stdout
    assert not stale.exists()
    # The same suites and checkpoints as the committed context (ids inside are new).
    for kind in ("expectations", "checkpoints"):
        rebuilt = sorted(p.name for p in (project / "gx" / kind).iterdir())
        assert rebuilt == sorted(p.name for p in (EXAMPLE / "gx" / kind).iterdir()), kind
