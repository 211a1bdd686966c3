"""What a plugin's tests (and hookline's own) reuse: a hook class that records every call, a
project written to disk, and :class:`PluginContract`, the checks every plugin passes.

A plugin's test suite proves the contract by subclassing it (pytest collects ``Test*``
classes, so the base class never runs on its own)::

    from hookline.testing import PluginContract

    class TestMyPluginContract(PluginContract):
        entry_point = "my_plugin"
        distribution = "hookline-my-plugin"
        config_file = "my_plugin.yml"
        broken_config = "colour: blue\\n"
        broken_key = "colour"

        def configured_hooks(self, tmp_path):
            ...  # an instance with settings other than the defaults

        def dead_backend_hooks(self, tmp_path):
            ...  # an instance whose backend cannot be reached

This module is imported only by tests: ``import hookline`` never imports it, and it does not
import pytest (its checks take pytest's ``tmp_path`` fixture by name).
"""

from __future__ import annotations

import json
import os
import pickle
import textwrap
import threading
import uuid
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from hookline.hooks.markers import HOOKS_ENTRY_POINT_GROUP, hook_impl
from hookline.run_params import make_run_params, shown_pipeline_name

if TYPE_CHECKING:
    from hookline.catalog import DataCatalog
    from hookline.hooks.manager import HookManager
    from hookline.pipeline import Pipeline

__all__ = ["PluginContract", "RecordingHooks", "write_project"]


class RecordingHooks:
    """Implements every hook of a run's lifecycle and records (hook, subject) in the order
    they fire (not the worker-state hooks: a hook class implements those only to send state
    to its copies in worker processes).

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
        """Record the context's package name."""
        self._record("after_context_created", context.package_name)

    @hook_impl
    def after_catalog_created(self, catalog: Any, save_version: str) -> None:
        """Record that the catalog was made."""
        self._record("after_catalog_created")

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        """Record the pipeline's name."""
        self._record("before_pipeline_run", shown_pipeline_name(run_params))

    @hook_impl
    def before_dataset_loaded(self, dataset_name: str, node: Any) -> None:
        """Record the dataset's name."""
        self._record("before_dataset_loaded", dataset_name)

    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Any) -> None:
        """Record the dataset's name."""
        self._record("after_dataset_loaded", dataset_name)

    @hook_impl
    def before_node_run(self, node: Any, session_id: str, run_id: str) -> None:
        """Record the node's name (and check that the run id is the session id)."""
        assert session_id == run_id
        self._record("before_node_run", node.name)

    @hook_impl
    def after_node_run(self, node: Any, inputs: dict[str, Any], outputs: dict[str, Any]) -> None:
        """Record the node's name."""
        self._record("after_node_run", node.name)

    @hook_impl
    def on_node_error(self, error: BaseException, node: Any) -> None:
        """Record the failed node's name."""
        self._record("on_node_error", node.name)

    @hook_impl
    def before_dataset_saved(self, dataset_name: str, data: Any) -> None:
        """Record the dataset's name."""
        self._record("before_dataset_saved", dataset_name)

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any) -> None:
        """Record the dataset's name."""
        self._record("after_dataset_saved", dataset_name)

    @hook_impl
    def on_measurement(self, measurement: Any) -> None:
        """Record the measurement's name."""
        self._record("on_measurement", measurement.name)

    @hook_impl
    def after_pipeline_run(self, run_result: dict[str, Any]) -> None:
        """Record that the run ended."""
        self._record("after_pipeline_run")

    @hook_impl
    def on_pipeline_error(self, error: BaseException) -> None:
        """Record the type of the error that ended the run."""
        self._record("on_pipeline_error", type(error).__name__)


def write_project(
    parent: Path,
    nodes: str,
    registry: str,
    settings: str = "",
    conf: Mapping[str, str] | None = None,
) -> Path:
    """Write a project into a new folder under ``parent`` and return that folder.

    Args:
        parent: Where the project's folder is made.
        nodes: Python source of the package's ``nodes.py``.
        registry: Source of the body of ``register_pipelines``, returning a dict; the
            registry module has ``Pipeline``, ``node``, ``pipeline`` and every name of
            ``nodes.py`` imported.
        settings: Source of the package's ``settings.py``.
        conf: ``"base/catalog.yml"``-style paths under ``conf/`` mapped to YAML text.
    """
    # A package name of its own for every project: a run imports the project's package, and
    # a name used by an earlier project would find that project's modules (in this process,
    # and in the Dask workers that outlive one test).
    package = f"project_{uuid.uuid4().hex[:12]}"
    root = parent / package
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


def _double(x: int) -> int:
    """The node of the contract's default pipeline."""
    return x * 2


class PluginContract:
    """What every hookline plugin keeps, checked on the plugin as it is installed.

    Its entry point loads; its instance pickles (ParallelRunner and DaskRunner send the
    instance to their workers); ``export_worker_state`` survives a round trip into a fresh
    instance's ``restore_worker_state``; a mistake in its configuration file is an error
    naming the file and the key; a dead backend never fails a run.

    Subclass it as ``Test<Plugin>Contract`` in the plugin's tests, set the class attributes
    and define :meth:`configured_hooks` and :meth:`dead_backend_hooks`. The pipeline-level
    checks fire the hooks as a session does (``before_pipeline_run``, the runner,
    ``after_pipeline_run``) on a hook manager holding only the instance under test.
    """

    #: The entry point's name in the ``hookline.hooks`` group.
    entry_point: ClassVar[str]
    #: The distribution that declares the entry point, as ``hookline hooks`` lists it.
    distribution: ClassVar[str]
    #: The plugin's configuration file under ``conf/<env>/``, such as ``"mlflow.yml"``.
    config_file: ClassVar[str]
    #: The text of a configuration file with a mistake in it...
    broken_config: ClassVar[str]
    #: ...and the key its error must name.
    broken_key: ClassVar[str]

    # -- what a subclass gives -----------------------------------------------------------------

    def configured_hooks(self, tmp_path: Path) -> Any:
        """A fresh instance of the plugin with settings other than its defaults, able to run
        :meth:`pipeline_and_catalog`."""
        raise NotImplementedError

    def dead_backend_hooks(self, tmp_path: Path) -> Any:
        """A fresh instance of the plugin whose backend (server, daemon, process, store) is
        gone, configured as the plugin documents for running on without it."""
        raise NotImplementedError

    def settings(self, hooks: Any) -> Any:
        """What a copy of ``hooks`` in a worker must have the same (by default ``.config``)."""
        return hooks.config

    def close(self, hooks: Any) -> None:
        """Release what ``hooks`` holds (threads, runs) at the end of a check."""

    def pipeline_and_catalog(self, tmp_path: Path) -> tuple[Pipeline, DataCatalog]:
        """The pipeline the checks run and a catalog with its inputs (by default one node
        doubling an integer held in memory)."""
        from hookline.catalog import DataCatalog
        from hookline.datasets import MemoryDataset
        from hookline.node import node
        from hookline.pipeline import pipeline

        return pipeline([node(_double, "x", "y", name="double")]), DataCatalog(
            {"x": MemoryDataset(21)}
        )

    # -- the checks ----------------------------------------------------------------------------

    def test_the_entry_point_loads_a_valid_hook_object(self) -> None:
        """One entry point of that name, declared by the distribution, whose object
        registers (every implementation matches its specification) and pickles."""
        found = [
            entry_point
            for entry_point in metadata.entry_points(group=HOOKS_ENTRY_POINT_GROUP)
            if entry_point.name == self.entry_point
        ]
        assert len(found) == 1, (
            f"expected one {HOOKS_ENTRY_POINT_GROUP!r} entry point named "
            f"{self.entry_point!r}, found {len(found)}: is {self.distribution} installed?"
        )
        (entry_point,) = found
        assert entry_point.dist is not None
        assert entry_point.dist.name == self.distribution
        hooks = entry_point.load()
        # Registering checks every implementation against its specification.
        manager = _manager_with(hooks)
        assert manager.get_hookcallers(hooks), f"{self.distribution} implements no hook"
        # Runners with worker processes send the installed instance to them.
        assert type(pickle.loads(pickle.dumps(hooks))) is type(hooks)

    def test_the_instance_pickles_with_its_settings(self, tmp_path: Path) -> None:
        """A pickled copy of a configured instance has the same settings and registers."""
        hooks = self.configured_hooks(tmp_path)
        copy = pickle.loads(pickle.dumps(hooks))
        try:
            assert type(copy) is type(hooks)
            assert self.settings(copy) == self.settings(hooks)
            _manager_with(copy)
        finally:
            self.close(copy)
            self.close(hooks)

    def test_the_worker_state_survives_a_round_trip(self, tmp_path: Path) -> None:
        """What ``export_worker_state`` returns during a run, pickled and given to a fresh
        instance's ``restore_worker_state``, gives that instance the same settings."""
        main = self.configured_hooks(tmp_path)
        # A worker process loads the plugin afresh from its entry point, with the defaults.
        worker = type(main)()
        assert self.settings(worker) != self.settings(main), (
            "configured_hooks must differ from the defaults, or the round trip proves nothing"
        )
        from hookline.runner import ParallelRunner

        pipeline, catalog = self.pipeline_and_catalog(tmp_path)
        # Only runners with worker processes call export_worker_state.
        run_params = _run_params(tmp_path, ParallelRunner)
        manager = _manager_with(main)
        manager.hook.before_pipeline_run(run_params=run_params, pipeline=pipeline, catalog=catalog)
        try:
            # pluggy leaves out the None an implementation returns.
            states = manager.hook.export_worker_state(run_params=run_params)
            state = pickle.loads(pickle.dumps(states[0] if states else None))
            _manager_with(worker).hook.restore_worker_state(state=state)
            assert self.settings(worker) == self.settings(main)
        finally:
            self.close(worker)
            manager.hook.after_pipeline_run(
                run_params=run_params,
                run_result={},
                pipeline=pipeline,
                catalog=catalog,
                measurements=(),
            )
            self.close(main)

    def test_a_configuration_mistake_names_the_file_and_the_key(self, tmp_path: Path) -> None:
        """A project whose configuration file holds :attr:`broken_config` stops with a
        ``ConfigError`` naming the file and :attr:`broken_key`."""
        from hookline.errors import ConfigError
        from hookline.session import HooklineSession

        others = sorted(
            entry_point.dist.name
            for entry_point in metadata.entry_points(group=HOOKS_ENTRY_POINT_GROUP)
            if entry_point.dist is not None and entry_point.dist.name != self.distribution
        )
        project = write_project(
            tmp_path,
            nodes="",
            registry='return {"__default__": Pipeline([])}',
            settings=f"DISABLE_HOOKS_FOR_PLUGINS = {tuple(others)!r}\n",
            conf={f"base/{self.config_file}": self.broken_config},
        )
        try:
            HooklineSession.create(project).load_context()
        except ConfigError as error:
            message = str(error)
        else:
            raise AssertionError(f"{self.distribution} accepted {self.broken_config!r}")
        assert str(project / "conf" / "base" / self.config_file) in message
        assert f"'{self.broken_key}'" in message

    def test_a_dead_backend_never_fails_a_run(self, tmp_path: Path) -> None:
        """With the backend gone, the run ends and its outputs are the ones a run
        without the plugin gives."""
        from hookline.runner import SequentialRunner

        pipeline, catalog = self.pipeline_and_catalog(tmp_path)
        expected = SequentialRunner().run(pipeline, catalog)

        hooks = self.dead_backend_hooks(tmp_path)
        pipeline, catalog = self.pipeline_and_catalog(tmp_path)
        runner = SequentialRunner()
        run_params = _run_params(tmp_path, runner)
        manager = _manager_with(hooks)
        hook = manager.hook
        try:
            hook.before_pipeline_run(run_params=run_params, pipeline=pipeline, catalog=catalog)
            outputs = runner.run(
                pipeline, catalog, manager, run_params["session_id"], run_params=run_params
            )
            hook.after_pipeline_run(
                run_params=run_params,
                run_result=outputs,
                pipeline=pipeline,
                catalog=catalog,
                measurements=(),
            )
        finally:
            self.close(hooks)
        assert outputs == expected


def _manager_with(hooks: object) -> HookManager:
    """A hook manager holding ``hooks`` alone (no entry point loaded)."""
    from hookline.hooks.manager import create_hook_manager

    return create_hook_manager([hooks], load_entry_points=False)


def _run_params(project_path: Path, runner: object) -> dict[str, Any]:
    """The ``run_params`` a session passes for a run of the default pipeline by ``runner``."""
    return make_run_params(
        session_id=f"contract-{uuid.uuid4().hex[:8]}",
        project_path=project_path,
        env=None,
        runtime_params={},
        pipeline_name=None,
        runner=runner,
    )
