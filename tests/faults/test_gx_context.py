"""A Great Expectations context whose files cannot be read (garbage, a dangling link, no
permission): one clear error naming the context, exit code 2, before the first node runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import ProjectFactory

from .conftest import PluginSwitch, invoke_hookline

pytestmark = pytest.mark.integration

NODES = """
from pathlib import Path

import pandas as pd


def make_companies(marker):
    Path(marker).write_text("the first node ran")
    return pd.DataFrame({"id": [1, 2, 3], "rating": [1.0, 2.0, 4.5]})
"""

REGISTRY = """return {"__default__": pipeline([
    node(make_companies, "params:marker", "companies", name="make_companies"),
])}"""


def garbage_config(gx: Path) -> None:
    (gx / "great_expectations.yml").write_bytes(b"\x00\xff{{ not: [yaml\n\x89PNG")


def dangling_config(gx: Path) -> None:
    config = gx / "great_expectations.yml"
    config.unlink()
    config.symlink_to(gx / "moved-away.yml")


def garbage_suite(gx: Path) -> None:
    (gx / "expectations" / "companies.json").write_bytes(b'{"name": "companies", "expectat')


def unreadable_folder(gx: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their permissions")
    # Deepest first: once a folder is mode 0, nothing inside it can be reached any more.
    for path in sorted(gx.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if not path.is_symlink():
            path.chmod(0)
    gx.chmod(0)


def restore_permissions(folder: Path) -> None:
    """Make ``folder`` and everything under it readable again (so that pytest can remove it),
    top-down: a folder's content can only be listed once the folder is readable."""
    pending = [folder]
    while pending:
        path = pending.pop()
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
            pending.extend(path.iterdir())
        else:
            path.chmod(0o644)


FAULTS: dict[str, Callable[[Path], None]] = {
    "garbage-config": garbage_config,
    "dangling-config": dangling_config,
    "garbage-suite": garbage_suite,
    "no-permission": unreadable_folder,
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_an_unreadable_context_is_one_error_before_the_first_node(
    make_project: ProjectFactory, enable_plugins: PluginSwitch, tmp_path: Path, fault: str
) -> None:
    from tests.plugins.great_expectations.gx1_context import build_gx1_context

    enable_plugins("hookline-great-expectations")
    marker = tmp_path / "first-node-ran"
    project = make_project(
        NODES,
        REGISTRY,
        conf={
            "base/parameters.yml": f"marker: {marker}\n",
            "base/great_expectations.yml": (
                "datasets: {companies: {suite: companies, when: output}}\n"
            ),
        },
    )
    gx = build_gx1_context(project)
    try:
        # Inside the try: a fault injected halfway is undone too.
        FAULTS[fault](gx)
        done = invoke_hookline(project, "run")
    finally:
        restore_permissions(gx)

    assert done.exception is None, done.stderr
    assert done.exit_code == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, done.stderr
    # It names the plugin's file and the context folder (and a damaged file, when one is).
    assert "great_expectations.yml" in errors[0]
    assert str(gx) in errors[0]
    assert not marker.exists(), "the first node ran"
    assert "Completed node" not in done.stderr
