"""Fixtures for the core's tests: a recording hook class and a project written to disk."""

from __future__ import annotations

import textwrap
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from hookline import hook_impl


class RecordingHooks:
    """Implements every hook and records (hook, subject) in the order they fire."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.threads: dict[str, str] = {}
        self._lock = threading.Lock()

    def _record(self, hook: str, subject: str = "") -> None:
        with self._lock:
            self.calls.append((hook, subject))
            self.threads[f"{hook}:{subject}"] = threading.current_thread().name

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


@pytest.fixture
def recording_hooks() -> RecordingHooks:
    """A fresh recording hook instance."""
    return RecordingHooks()


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
        package = f"project_{next(counter)}_{tmp_path.name[-8:].replace('-', '_')}"
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
