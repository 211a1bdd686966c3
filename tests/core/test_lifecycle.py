"""The whole hook lifecycle, fired by real runners and a real session on real hook objects.

Parametrized over every runner: node and dataset hooks must behave the same under each. The
parallel runner uses real worker processes started with ``spawn`` and the Dask runner a real
LocalCluster, so every hook object and dataset here is a module-level class (they are pickled
to the workers) and what hooks see in a worker is recorded into a file.
"""

from __future__ import annotations

import importlib
import json
import threading
from pathlib import Path
from typing import Any

import pytest

from hookline import (
    DataCatalog,
    Measurement,
    ThreadRunner,
    hook_impl,
    node,
    pipeline,
    publish_measurement,
)
from hookline.datasets import MemoryDataset
from hookline.errors import DatasetError, HookFailed, NodeInputError
from hookline.hooks.manager import create_hook_manager
from hookline.runner import AbstractRunner
from hookline.session import HooklineSession, RunFailed
from hookline.testing import RecordingHooks
from tests.support import ProjectFactory


def double(x: int) -> int:
    return x * 2


def add(a: int, b: int) -> int:
    return a + b


def fail(x: int) -> int:
    raise ValueError("bad input row 7")


def measure(x: int) -> int:
    publish_measurement(Measurement("rows.seen", float(x), "count", node="measure"))
    return x


def manager_with(*hooks: object) -> Any:
    return create_hook_manager(hooks, load_entry_points=False)


def test_node_and_dataset_hooks_fire_in_order(
    runner: AbstractRunner, recording_hooks: RecordingHooks
) -> None:
    pipe = pipeline([node(double, "x", "y", name="double"), node(add, ["x", "y"], "z", name="add")])
    catalog = DataCatalog({"x": MemoryDataset(3)})

    result = runner.run(pipe, catalog, manager_with(recording_hooks), "sid")

    assert result == {"z": 9}
    assert recording_hooks.calls == [
        ("before_dataset_loaded", "x"),
        ("after_dataset_loaded", "x"),
        ("before_node_run", "double"),
        ("after_node_run", "double"),
        ("before_dataset_saved", "y"),
        ("after_dataset_saved", "y"),
        ("before_dataset_loaded", "x"),
        ("after_dataset_loaded", "x"),
        ("before_dataset_loaded", "y"),
        ("after_dataset_loaded", "y"),
        ("before_node_run", "add"),
        ("after_node_run", "add"),
        ("before_dataset_saved", "z"),
        ("after_dataset_saved", "z"),
    ]


def test_node_hooks_fire_in_the_thread_that_runs_the_node(recording_hooks: RecordingHooks) -> None:
    pipe = pipeline([node(double, "x", "y", name="double")])
    ThreadRunner(max_workers=1).run(
        pipe, DataCatalog({"x": MemoryDataset(1)}), manager_with(recording_hooks), "sid"
    )
    assert recording_hooks.threads["before_node_run:double"].startswith("hookline")
    assert recording_hooks.threads["after_dataset_saved:y"].startswith("hookline")
    assert threading.current_thread().name == "MainThread"


class Minimal:
    """Implementations taking no argument and one argument; appends what they see to a file
    (JSON lines), from whichever process they run in."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path

    def _append(self, item: Any) -> None:
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(json.dumps(item) + "\n")

    def seen(self) -> list[Any]:
        """Everything appended so far, in order."""
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    @hook_impl
    def before_node_run(self) -> None:
        self._append("no arguments")

    @hook_impl
    def after_node_run(self, outputs: dict[str, Any]) -> None:
        self._append(outputs)


def test_implementations_may_take_any_subset_of_arguments(
    runner: AbstractRunner, tmp_path: Path
) -> None:
    minimal = Minimal(tmp_path / "seen.jsonl")
    runner.run(
        pipeline([node(double, "x", "y")]),
        DataCatalog({"x": MemoryDataset(5)}),
        manager_with(minimal),
    )
    assert minimal.seen() == ["no arguments", {"y": 10}]


class ReplaceX:
    """Replaces input x of node 'double' only, as the seed's NodeInputReplacementHook does."""

    def __init__(self, key: str = "x") -> None:
        self.key = key

    @hook_impl
    def before_node_run(self, node: Any, catalog: Any) -> dict[str, Any] | None:
        if node.name == "double":
            return {self.key: 100}
        return None


def test_before_node_run_replaces_inputs_of_that_node_only(runner: AbstractRunner) -> None:
    pipe = pipeline([node(double, "x", "y", name="double"), node(add, ["x", "y"], "z", name="add")])
    catalog = DataCatalog({"x": MemoryDataset(1)})

    result = runner.run(pipe, catalog, manager_with(ReplaceX()))

    # double saw 100; add still loads x = 1 from the catalog, which is unchanged.
    assert result == {"z": 201}
    assert catalog.load("x") == 1


def test_replacing_an_unknown_input_fails_with_the_seeds_message(
    runner: AbstractRunner, recording_hooks: RecordingHooks
) -> None:
    pipe = pipeline([node(double, "x", "y", name="double")])
    with pytest.raises(NodeInputError) as raised:
        runner.run(
            pipe,
            DataCatalog({"x": MemoryDataset(1)}),
            manager_with(ReplaceX("not_an_input"), recording_hooks),
        )
    assert str(raised.value) == (
        "Node double expected 1 input(s) ['x'], but got the following 2 input(s) instead: "
        "['not_an_input', 'x']."
    )
    assert recording_hooks.hooks_named("on_node_error") == ["double"]


def test_a_failing_node_reaches_on_node_error_and_stops_the_run(
    runner: AbstractRunner, recording_hooks: RecordingHooks
) -> None:
    pipe = pipeline([node(fail, "x", "y", name="fail"), node(double, "y", "z", name="after")])
    with pytest.raises(ValueError, match="bad input row 7"):
        runner.run(pipe, DataCatalog({"x": MemoryDataset(1)}), manager_with(recording_hooks))
    assert recording_hooks.hooks_named("on_node_error") == ["fail"]
    assert "after" not in recording_hooks.hooks_named("before_node_run")


class BrokenLoad(MemoryDataset):
    def load(self) -> Any:
        raise OSError("disk on fire")


class BrokenSave(MemoryDataset):
    def save(self, data: Any) -> None:
        raise OSError("disk full")


@pytest.mark.parametrize(
    ("catalog_entries", "expected_message"),
    [
        ({"x": BrokenLoad()}, "disk on fire"),
        ({"x": MemoryDataset(1), "y": BrokenSave()}, "disk full"),
    ],
    ids=["load", "save"],
)
def test_dataset_failures_reach_on_node_error(
    runner: AbstractRunner,
    recording_hooks: RecordingHooks,
    catalog_entries: dict[str, Any],
    expected_message: str,
) -> None:
    pipe = pipeline([node(double, "x", "y", name="double")])
    with pytest.raises(DatasetError, match=expected_message):
        runner.run(pipe, DataCatalog(catalog_entries), manager_with(recording_hooks))
    assert recording_hooks.hooks_named("on_node_error") == ["double"]


def test_measurements_reach_every_sink(
    runner: AbstractRunner, recording_hooks: RecordingHooks
) -> None:
    runner.run(
        pipeline([node(measure, "x", "y", name="measure")]),
        DataCatalog({"x": MemoryDataset(42)}),
        manager_with(recording_hooks),
    )
    assert recording_hooks.hooks_named("on_measurement") == ["rows.seen"]


class Tracking(MemoryDataset):
    """Appends its name to ``released`` when released (in the process that owns the run's
    memory: the main one, for every runner)."""

    def __init__(self, name: str, released: list[str]) -> None:
        super().__init__()
        self.name = name
        self.released = released

    def release(self) -> None:
        self.released.append(self.name)
        super().release()


def test_memory_datasets_are_released_when_no_node_needs_them(runner: AbstractRunner) -> None:
    released: list[str] = []
    pipe = pipeline(
        [
            node(double, "x", "a", name="n1"),
            node(double, "a", "b", name="n2"),
            node(double, "b", "c", name="n3"),
        ]
    )
    catalog = DataCatalog(
        {"x": MemoryDataset(1), "a": Tracking("a", released), "b": Tracking("b", released)}
    )
    result = runner.run(pipe, catalog)
    assert result == {"c": 8}
    assert sorted(released) == ["a", "b"]


LIFECYCLE_NODES = """
def double(x):
    return x * 2

def explode(y):
    raise RuntimeError("explode on purpose")
"""


def test_session_fires_the_whole_lifecycle_in_order(
    runner: AbstractRunner,
    make_project: ProjectFactory,
    recording_hooks: RecordingHooks,
    tmp_path: Path,
) -> None:
    project = make_project(
        LIFECYCLE_NODES,
        'return {"__default__": pipeline([node(double, "params:x", "y", name="double")])}',
        conf={"base/parameters.yml": "x: 21\n"},
    )
    session = HooklineSession.create(project)
    session.load_context().hook_manager.register_hooks(recording_hooks, source="test")
    # The context already fired after_context_created before the recorder was registered;
    # record the rest of the lifecycle.
    result = session.run(runner=runner)

    assert result.outputs == {"y": 42}
    # Installed plugins (hookline-memory) publish measurements in between: not this test's subject.
    assert [hook for hook, _ in recording_hooks.calls if hook != "on_measurement"] == [
        "after_catalog_created",
        "before_pipeline_run",
        "before_dataset_loaded",
        "after_dataset_loaded",
        "before_node_run",
        "after_node_run",
        "before_dataset_saved",
        "after_dataset_saved",
        "after_pipeline_run",
    ]


def test_session_failure_fires_on_node_error_then_on_pipeline_error(
    runner: AbstractRunner, make_project: ProjectFactory, recording_hooks: RecordingHooks
) -> None:
    project = make_project(
        LIFECYCLE_NODES,
        """return {"__default__": pipeline([
            node(double, "params:x", "y", name="double"),
            node(explode, "y", "z", name="explode"),
        ])}""",
        conf={"base/parameters.yml": "x: 1\n"},
    )
    session = HooklineSession.create(project)
    session.load_context().hook_manager.register_hooks(recording_hooks, source="test")
    with pytest.raises(RunFailed) as failure:
        session.run(runner=runner)
    hooks = [hook for hook, _ in recording_hooks.calls]
    assert hooks[-2:] == ["on_node_error", "on_pipeline_error"]
    assert "after_pipeline_run" not in hooks
    # y lived in memory only, so resuming must re-run the node that made it.
    assert failure.value.resume_from == ["double"]
    assert [r.status for r in failure.value.result.records] == ["completed", "failed"]


FAILING_SETUP_SETTINGS = """
from hookline import hook_impl


class FailingSetup:
    # A plugin that connects to its server when the context is created: down the first time.
    calls = 0

    @hook_impl
    def after_context_created(self, context):
        FailingSetup.calls += 1
        if FailingSetup.calls == 1:
            raise ConnectionError("tracking server down")


HOOKS = (FailingSetup(),)
"""


def test_a_context_whose_after_context_created_failed_is_not_handed_out(
    make_project: ProjectFactory,
) -> None:
    project = make_project(
        LIFECYCLE_NODES,
        'return {"__default__": pipeline([node(double, "params:x", "y", name="double")])}',
        settings=FAILING_SETUP_SETTINGS,
        conf={"base/parameters.yml": "x: 21\n"},
    )
    session = HooklineSession.create(project)
    with pytest.raises(HookFailed, match="tracking server down"):
        session.load_context()

    # The next call sets the context up again, and every plugin sees it this time.
    context = session.load_context()

    settings = importlib.import_module(f"{project.name}.settings")
    assert settings.FailingSetup.calls == 2
    assert session.load_context() is context
    assert session.run().outputs == {"y": 42}
