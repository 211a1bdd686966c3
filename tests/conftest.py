"""Fixtures shared by every test folder: a project written to disk, a recording hook
instance, a real Dask cluster and every runner in turn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hookline.runner import AbstractRunner
from hookline.testing import RecordingHooks, write_project
from tests.support import RUNNERS, ProjectFactory


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """Write a project to disk and return its folder.

    Call it with ``nodes`` (Python source of a module ``nodes.py``), ``registry`` (source of the
    body of ``register_pipelines``, returning a dict), optional ``settings`` source and
    ``conf`` mapping ``"base/catalog.yml"``-style paths to YAML text
    (:func:`hookline.testing.write_project`).
    """

    def factory(
        nodes: str,
        registry: str,
        settings: str = "",
        conf: dict[str, str] | None = None,
    ) -> Path:
        return write_project(tmp_path, nodes, registry, settings, conf)

    return factory


@pytest.fixture
def recording_hooks(tmp_path: Path) -> RecordingHooks:
    """A fresh recording hook instance, recording into a file (so worker copies record too)."""
    return RecordingHooks(tmp_path / "recorded-hooks.jsonl")


@pytest.fixture(scope="module")
def dask_cluster() -> Iterator[str]:
    """A real LocalCluster of 2 worker processes, shared by the tests of a module (starting
    one takes seconds); yields the scheduler's address."""
    from hookline.runner.dask import start_local_cluster

    cluster = start_local_cluster(n_workers=2)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


@pytest.fixture(params=sorted(RUNNERS))
def runner(request: pytest.FixtureRequest) -> AbstractRunner:
    """Each runner of :data:`tests.support.RUNNERS` in turn."""
    return RUNNERS[request.param](request)
