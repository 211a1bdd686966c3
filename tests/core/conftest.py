"""Fixtures for the core's tests: a recording hook class, a project written to disk, and a
Dask cluster."""

from __future__ import annotations

import json
import os
import textwrap
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hookline import hook_impl


class RecordingHooks:
    """Implements every hook of a run's lifecycle and records (hook, subject) in the order
    they fire (the worker-state hooks are tested in test_worker_processes.py).

    With ``log_path``, each call is appended to that file as one JSON line instead of kept in
    memory, so the copies that ParallelRunner and DaskRunner make of this object in their
    worker processes record into the same place; :attr:`calls`, :attr:`threads` and
    :attr:`pids` read the file, in the order the calls happened.
    """

    def __init__(self, log_path: Path | None = None) -> None:
        self.log_path = log_path
        self._calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # The lock stays behind: a copy in a worker process makes its own.
        return {"log_path": self.log_path, "_calls": self._calls}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _record(self, hook: str, subject: str = "") -> None:
        entry = {
            "hook": hook,
            "subject": subject,
            "thread": threading.current_thread().name,
            "pid": os.getpid(),
        }
        with self._lock:
            if self.log_path is None:
                self._calls.append(entry)
                return
            # One write of one short line to a file opened for appending: lines from threads
            # and processes do not interleave.
            with self.log_path.open("a", encoding="utf-8") as log:
                log.write(json.dumps(entry) + "\n")

    def _entries(self) -> list[dict[str, Any]]:
        if self.log_path is None:
            return list(self._calls)
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    @property
    def calls(self) -> list[tuple[str, str]]:
        """(hook, subject) of every call, in the order they happened."""
        return [(e["hook"], e["subject"]) for e in self._entries()]

    @property
    def threads(self) -> dict[str, str]:
        """``"hook:subject"`` -> the name of the thread of its last call."""
        return {f"{e['hook']}:{e['subject']}": e["thread"] for e in self._entries()}

    @property
    def pids(self) -> list[tuple[str, str, int]]:
        """(hook, subject, process id) of every call, in the order they happened."""
        return [(e["hook"], e["subject"], e["pid"]) for e in self._entries()]

    def hooks_named(self, hook: str) -> list[str]:
        """The subjects recorded for ``hook``, in order."""
        return [subject for name, subject in self.calls if name == hook]

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        self._record("after_context_created", context.package_name)

    @hook_impl
    def after_catalog_created(self, catalog: Any, save_version: str) -> None:
        self._record("after_catalog_created")

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        self._record("before_pipeline_run", run_params["pipeline_name"])

    @hook_impl
    def before_dataset_loaded(self, dataset_name: str, node: Any) -> None:
        self._record("before_dataset_loaded", dataset_name)

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Any) -> None:
        self._record("after_dataset_loaded", dataset_name)

    @hook_impl
    def before_node_run(self, node: Any, session_id: str, run_id: str) -> None:
        assert session_id == run_id
        self._record("before_node_run", node.name)

    @hook_impl
    def after_node_run(self, node: Any, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        self._record("after_node_run", node.name)

    @hook_impl
    def on_node_error(self, error: BaseException, node: Any) -> None:
        self._record("on_node_error", node.name)

    @hook_impl
    def before_dataset_saved(self, dataset_name: str, data: Any) -> None:
        self._record("before_dataset_saved", dataset_name)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any) -> None:
        self._record("after_dataset_saved", dataset_name)

    @hook_impl
    def on_measurement(self, measurement: Any) -> None:
        self._record("on_measurement", measurement.name)

    @hook_impl
    def after_pipeline_run(self, run_result: dict[str, Any]) -> None:
        self._record("after_pipeline_run")

    @hook_impl
    def on_pipeline_error(self, error: BaseException) -> None:
        self._record("on_pipeline_error", type(error).__name__)


#: The project's own plugins. The core's tests run without them (each plugin has its own
#: tests), so their outcome does not depend on which plugins happen to be installed.
PRODUCT_PLUGINS = "hookline-mlflow,hookline-statsd,hookline-memory,hookline-great-expectations"


@pytest.fixture(autouse=True)
def _without_product_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS", PRODUCT_PLUGINS)


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


ProjectFactory = Callable[..., Path]


@pytest.fixture
def make_project(tmp_path: Path) -> ProjectFactory:
    """Write a project to disk and return its folder.

    Call it with ``nodes`` (Python source of a module ``nodes.py``), ``registry`` (source of the
    body of ``register_pipelines``, returning a dict), optional ``settings`` source and
    ``conf`` mapping ``"base/catalog.yml"``-style paths to YAML text.
    """

    counter = iter(range(1000))

    def factory(
        nodes: str,
        registry: str,
        settings: str = "",
        conf: dict[str, str] | None = None,
    ) -> Path:
        # Unique across the whole pytest session: a name reused by another test would import
        # that test's cached modules.
        package = f"project_{next(counter)}_{uuid.uuid4().hex[:12]}"
        root = tmp_path / package
        source = root / "src" / package
        source.mkdir(parents=True)
        (root / "pyproject.toml").write_text(
            f'[tool.hookline]\npackage_name = "{package}"\nproject_name = "Test project"\n'
        )
        (source / "__init__.py").write_text("")
        (source / "nodes.py").write_text(textwrap.dedent(nodes))
        (source / "settings.py").write_text(textwrap.dedent(settings))
        (source / "pipeline_registry.py").write_text(
            "from hookline import Pipeline, node, pipeline\n"
            f"from {package}.nodes import *  # noqa: F403\n\n"
            "def register_pipelines():\n" + textwrap.indent(textwrap.dedent(registry), "    ")
        )
        for folder in ("base", "local"):
            (root / "conf" / folder).mkdir(parents=True)
        for relative, text in (conf or {}).items():
            path = root / "conf" / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text))
        return root

    return factory
