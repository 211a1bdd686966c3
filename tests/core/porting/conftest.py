"""A Kedro-shaped project written file by file, as `kedro new` and a user would leave it.

Kedro itself is not installed here: porting reads and edits files, it never imports Kedro.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PYPROJECT = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "shop"
dependencies = [
    "kedro~=1.7.0",  # the framework
    "kedro-datasets[pandas-csvdataset]>=9",
]

[tool.kedro]
package_name = "shop"
project_name = "Shop"
kedro_init_version = "1.7.0"

# Tests run quietly.
[tool.pytest.ini_options]
addopts = "-q"
"""

PIPELINE = '''\
"""The shop's pipeline."""
# The pipeline API, as Kedro's tutorial imports it.
from kedro.pipeline import Node, Pipeline, node  # noqa: F401

from .nodes import double, total


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            node(double, "prices", "doubled", name="double"),  # twice the price
            node(total, "doubled", "sum", name="total"),
        ]
    )
'''

NODES = """\
def double(prices):
    return [p * 2 for p in prices]


def total(doubled):
    return sum(doubled)
"""

REGISTRY = """\
from kedro.pipeline import Pipeline

from shop.pipelines.prices.pipeline import create_pipeline


def register_pipelines() -> dict[str, Pipeline]:
    return {"__default__": create_pipeline()}
"""

HOOKS = """\
from kedro.framework.hooks import (
    hook_impl,  # the marker Kedro and hookline share
)
from kedro.framework.session import KedroSession  # noqa: F401


class ShopHooks:
    @hook_impl
    def after_node_run(self, node):
        print("ran", node.name)
"""

SETTINGS = """\
from shop.hooks import ShopHooks

HOOKS = (ShopHooks(),)
DISABLE_HOOKS_FOR_PLUGINS = ("kedro-viz",)

# from kedro.config import OmegaConfigLoader  # noqa: E402
CONFIG_LOADER_ARGS = {"base_env": "base", "default_run_env": "local"}
"""

CATALOG = """\
# Raw data.
prices:
  type: pickle.PickleDataset   # a list of numbers
  filepath: data/01_raw/prices.pkl

sum:
  type: "kedro_datasets.json.JSONDataset"
  filepath: data/08_reporting/sum.json
"""


def write(root: Path, files: dict[str, str]) -> None:
    """Write each file (path relative to ``root``) with its text."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture
def kedro_project(tmp_path: Path) -> Path:
    """A small Kedro 1.x project: one modular pipeline, a hook, settings and a catalog."""
    root = tmp_path / "shop"
    write(
        root,
        {
            "pyproject.toml": PYPROJECT,
            "conf/base/catalog.yml": CATALOG,
            "conf/base/parameters.yml": "{}\n",
            "conf/local/.gitkeep": "",
            "src/shop/__init__.py": "",
            "src/shop/settings.py": SETTINGS,
            "src/shop/hooks.py": HOOKS,
            "src/shop/pipeline_registry.py": REGISTRY,
            "src/shop/pipelines/__init__.py": "",
            "src/shop/pipelines/prices/__init__.py": "",
            "src/shop/pipelines/prices/nodes.py": NODES,
            "src/shop/pipelines/prices/pipeline.py": PIPELINE,
        },
    )
    return root


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` (symlinks not followed): its bytes and modification time."""
    return {
        path.relative_to(root).as_posix(): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink() and ".git" not in path.parts
    }


def hookline(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the ``hookline`` command as a user does, in a fresh process."""
    return subprocess.run(
        [sys.executable, "-m", "hookline", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def git(root: Path, *args: str) -> str:
    """Run git in ``root`` with a fixed identity, and return its output."""
    done = subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout
