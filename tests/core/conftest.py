"""Fixtures for the core's tests: the product's plugins stay switched off; :func:`hookline`
runs the command in a project; :func:`conf` and :func:`write` make configuration folders. The
fixtures every test folder shares (a project written to disk, a recording hook instance, a Dask
cluster, the runners) are in tests/conftest.py."""

from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.support import hookline_command

#: The project's own plugins. The core's tests run without them (each plugin has its own
#: tests), so their outcome does not depend on which plugins happen to be installed.
PRODUCT_PLUGINS = "hookline-mlflow,hookline-statsd,hookline-memory,hookline-great-expectations"

#: Subprocess runs leave out the fixture plugin as well as the project's own plugins.
DISABLED = f"{PRODUCT_PLUGINS},hookline-testplugin"


@pytest.fixture(autouse=True)
def _without_product_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS", PRODUCT_PLUGINS)


def hookline(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run ``hookline ARGS`` in ``project`` as a person would and capture what they would see.

    ``env`` adds to (or overrides) the environment, whose default switches the plugins of
    :data:`DISABLED` off.
    """
    return subprocess.run(
        hookline_command(*args),
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS": DISABLED, **env},
        # A cold start of the interpreter on a loaded machine; long, so only a hang trips it.
        timeout=120,
    )


def write(root: Path, relative: str, text: str) -> Path:
    """Write ``text`` (dedented, leading newline dropped) to ``root/relative``, making folders."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def conf(tmp_path: Path) -> Path:
    """An empty configuration folder ``conf/`` with its ``base`` environment."""
    root = tmp_path / "conf"
    (root / "base").mkdir(parents=True)
    return root
