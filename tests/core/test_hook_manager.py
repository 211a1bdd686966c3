"""Registration, validation, listing and failure attribution of hook implementations."""

from __future__ import annotations

from typing import Any

import pytest

from hookline import DataCatalog, SequentialRunner, hook_impl, node, pipeline
from hookline.datasets import MemoryDataset
from hookline.errors import HookError
from hookline.hooks.manager import create_hook_manager


class Typo:
    @hook_impl
    def before_nod_run(self, node: Any) -> None:
        pass


class WrongArgument:
    @hook_impl
    def after_node_run(self, node: Any, output: Any) -> None:
        pass


class First:
    @hook_impl
    def before_node_run(self, node: Any) -> None:
        pass


class Second:
    @hook_impl
    def before_node_run(self, node: Any) -> None:
        pass

    @hook_impl(tryfirst=True)
    def after_node_run(self, node: Any) -> None:
        pass


class Raising:
    @hook_impl
    def after_node_run(self, node: Any) -> None:
        raise RuntimeError("hook broke")


def test_unknown_hook_name_names_class_method_and_valid_hooks() -> None:
    with pytest.raises(HookError) as raised:
        create_hook_manager([Typo()], load_entry_points=False)
    message = str(raised.value)
    assert "Typo.before_nod_run (from settings)" in message
    assert "Did you mean 'before_node_run'?" in message
    assert "after_pipeline_run" in message  # the valid names are listed


def test_unknown_argument_names_class_method_and_valid_arguments() -> None:
    with pytest.raises(HookError) as raised:
        create_hook_manager([WrongArgument()], load_entry_points=False)
    message = str(raised.value)
    assert "WrongArgument.after_node_run" in message
    assert "'output'" in message
    assert "Did you mean 'outputs'?" in message
    assert "session_id" in message


def test_a_class_instead_of_an_instance_is_a_clear_error() -> None:
    with pytest.raises(
        HookError, match=r"First \(from settings\) is a class; register an instance"
    ):
        create_hook_manager([First], load_entry_points=False)


def test_listing_shows_source_and_firing_order() -> None:
    manager = create_hook_manager([First(), Second()], load_entry_points=False)
    listed = {(i.hook, i.class_name): i for i in manager.implementations()}
    # pluggy calls the last registered implementation first ...
    assert listed[("before_node_run", "Second")].order == 1
    assert listed[("before_node_run", "First")].order == 2
    assert listed[("before_node_run", "First")].source == "settings"
    assert [i.hook for i in manager.implementations()].index("before_node_run") < [
        i.hook for i in manager.implementations()
    ].index("after_node_run")


def test_the_listed_order_is_the_order_hooks_fire() -> None:
    fired: list[str] = []

    class A:
        @hook_impl
        def before_node_run(self) -> None:
            fired.append("A")

    class B:
        @hook_impl
        def before_node_run(self) -> None:
            fired.append("B")

    manager = create_hook_manager([A(), B()], load_entry_points=False)
    SequentialRunner().run(
        pipeline([node(lambda x: x, "x", "y", name="n")]),
        DataCatalog({"x": MemoryDataset(1)}),
        manager,
    )
    listed = [i.class_name for i in manager.implementations() if i.hook == "before_node_run"]
    assert fired == listed


def test_a_failure_is_attributed_to_the_hook_and_class() -> None:
    manager = create_hook_manager([Raising()], load_entry_points=False)
    with pytest.raises(RuntimeError) as raised:
        SequentialRunner().run(
            pipeline([node(lambda x: x, "x", "y", name="n")]),
            DataCatalog({"x": MemoryDataset(1)}),
            manager,
        )
    assert manager.describe_failure(raised.value) == (
        "hook after_node_run of Raising (from settings)"
    )


def test_a_failure_outside_hooks_is_not_attributed() -> None:
    manager = create_hook_manager([Raising()], load_entry_points=False)
    with pytest.raises(ValueError, match="not from a hook") as raised:
        raise ValueError("not from a hook")
    assert manager.describe_failure(raised.value) is None


# -- error hooks -----------------------------------------------------------------------------


class WrapsErrorHooks:
    """An ``on_node_error`` hook wrapper (a tracing plugin would time the error hooks so)."""

    def __init__(self) -> None:
        self.wrapped = 0

    @hook_impl(hookwrapper=True)
    def on_node_error(self) -> Any:
        self.wrapped += 1
        yield


class BrokenErrorHook:
    @hook_impl
    def on_node_error(self, error: BaseException) -> None:
        raise RuntimeError("the error hook broke")


def node_failing(x: int) -> int:
    raise ValueError("the node's own error")


def test_a_raising_error_hook_beside_a_wrapper_does_not_replace_the_node_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrapper = WrapsErrorHooks()
    manager = create_hook_manager([wrapper, BrokenErrorHook()], load_entry_points=False)

    with pytest.raises(ValueError, match="the node's own error"):
        SequentialRunner().run(
            pipeline([node(node_failing, "x", "y", name="n")]),
            DataCatalog({"x": MemoryDataset(1)}),
            manager,
        )

    assert wrapper.wrapped == 1
    logged = [r.getMessage() for r in caplog.records if r.name == "hookline.hooks.manager"]
    assert len(logged) == 1, logged
    assert logged[0].startswith(
        "hook on_node_error of BrokenErrorHook (from settings) failed while a hook wrapper ran "
        "the on_node_error hooks together"
    )
    assert logged[0].endswith("RuntimeError: the error hook broke")
