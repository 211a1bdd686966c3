"""A fresh virtual environment with hookline, its plugins and the example project installed
from the repository's folders (not editable), as a user's ``pip install`` would make it; and
a copy of the example project to run in, so that runs never write into the repository.

Installing reuses the installer's cache: with uv, an offline install is tried first (the
packages are usually in uv's cache already), then an online one; without uv, ``venv`` and pip
(with pip's cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE = REPO / "core"
EXAMPLE = REPO / "example_project"
#: Every plugin distribution of the repository: a folder under plugins/ with a pyproject.toml.
PLUGINS = sorted(p.parent for p in (REPO / "plugins").glob("*/pyproject.toml"))

#: What a run writes into the example's folder: left out of the copy, so the copy starts as a
#: fresh clone does.
RUN_OUTPUTS = ("data", "mlflow.db", "mlartifacts", "mlruns", "mlflow_spool", "uncommitted")


def bin_dir(venv: Path) -> Path:
    """The folder of the environment's executables."""
    return venv / ("Scripts" if sys.platform == "win32" else "bin")


def clean_environ(**extra: str) -> dict[str, str]:
    """The environment of a user's shell: nothing of the test's virtual environment, and no
    setting that would switch a plugin off or point it elsewhere, plus ``extra``."""
    dropped = {
        "VIRTUAL_ENV",
        "PYTHONPATH",
        "PYTHONHOME",
        "HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS",
        "MLFLOW_TRACKING_URI",
        "MLFLOW_EXPERIMENT_NAME",
        "MLFLOW_RUN_ID",
        "STATSD_HOST",
        "STATSD_PORT",
        "STATSD_PREFIX",
        "HOOKLINE_GX_CONTEXT_ROOT_DIR",
    }
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    # No telemetry from a test run (there is no internet here either).
    env.update(MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="1")
    env.update(extra)
    return env


def create_venv(venv: Path, plugins: Sequence[Path] = PLUGINS) -> Path:
    """Create ``venv`` with the core, ``plugins`` and the example installed; return its
    ``bin`` folder.

    Raises:
        RuntimeError: With the installer's output, if the environment cannot be made.
    """
    requirements = [f"{CORE}[pandas]", *map(str, plugins), str(EXAMPLE)]
    uv = shutil.which("uv")
    env = clean_environ()
    if uv:
        _check([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], env)
        python = str(bin_dir(venv) / "python")
        # One command for everything: the plugins' dependency on `hookline` is met by the
        # local core, never looked up on an index.
        install = [uv, "pip", "install", "--quiet", "--python", python, *requirements]
        offline = subprocess.run([*install, "--offline"], env=env, capture_output=True, text=True)
        if offline.returncode != 0:
            _check(install, env)
    else:
        _check([sys.executable, "-m", "venv", str(venv)], env)
        python = str(bin_dir(venv) / "python")
        _check(
            [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             *requirements],
            env,
        )  # fmt: skip
    return bin_dir(venv)


def copy_example(destination: Path) -> Path:
    """Copy the example project to ``destination``, without anything a run wrote."""
    shutil.copytree(
        EXAMPLE,
        destination,
        ignore=shutil.ignore_patterns(*RUN_OUTPUTS, "__pycache__", "*.egg-info"),
    )
    return destination


def _check(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(
            f"`{' '.join(command)}` exited with {done.returncode}:\n"
            f"{(done.stdout + done.stderr)[-4000:]}"
        )
