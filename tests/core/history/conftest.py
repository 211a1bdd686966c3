"""Fixtures of the run history's tests: a project whose nodes publish a measurement and save
an array, and running ``hookline`` as a real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ProjectFactory

#: Nodes of :func:`history_project`: ``make`` saves a 3x2 float64 array (48 bytes) and
#: publishes a measurement; ``total`` sums it after waiting ``params:delay`` seconds;
#: ``params:fail`` makes ``total`` fail with a message quoting the project's password.
NODES = """
import time
from pathlib import Path

import numpy as np

from hookline import Measurement, publish_measurement


def make(rows):
    publish_measurement(Measurement("rows.made", float(rows), "count", node="make"))
    return np.zeros((rows, 2))


def total(array, delay, fail, marker):
    if marker:
        Path(marker).write_text("started")
        while True:  # until the run is interrupted
            time.sleep(0.01)
    time.sleep(delay)
    if fail:
        raise ValueError("cannot reach db with password s3cr3t-Pa55word")
    return float(array.sum())
"""

REGISTRY = """
return {
    "__default__": pipeline([
        node(make, "params:rows", "array", name="make"),
        node(
            total,
            ["array", "params:delay", "params:fail", "params:marker"],
            "sum",
            name="total",
        ),
    ])
}
"""

CONF = {
    "base/parameters.yml": "rows: 3\ndelay: 0\nfail: false\nmarker: ''\n",
    "local/credentials.yml": "db:\n  password: s3cr3t-Pa55word\n",
}


@pytest.fixture
def history_project(make_project: ProjectFactory) -> Path:
    """A two-node project (see :data:`NODES`), its history in the default place."""
    return make_project(NODES, REGISTRY, conf=CONF)


def run_hookline(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``hookline <args>`` as a real process in ``project`` and wait for it."""
    return subprocess.run(
        [sys.executable, "-m", "hookline", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
