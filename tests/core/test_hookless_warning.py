"""A hook object that implements no hook is registered with a warning at start-up that names it
and says why that usually happens, instead of doing nothing silently."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pluggy
import pytest

from hookline import hook_impl
from hookline.hooks.manager import create_hook_manager
from hookline.session import HooklineSession
from tests.support import ProjectFactory

#: The marker of another pluggy project, as ``kedro.framework.hooks.hook_impl`` is.
kedro_hook_impl = pluggy.HookimplMarker("kedro")


def fallback_hook_impl(function: Any) -> Any:
    """What a hook module falls back to when its ``hook_impl`` import fails."""
    return function


class KedroMarkedHooks:
    @kedro_hook_impl
    def after_node_run(self, node: Any) -> None:
        pass


class FallbackMarkedHooks:
    @fallback_hook_impl
    def before_pipeline_run(self, run_params: Any) -> None:
        pass

    @fallback_hook_impl
    def after_pipeline_run(self) -> None:
        pass


class NoHookMethods:
    def helper(self) -> None:
        pass


class OneHook:
    @hook_impl
    def after_node_run(self) -> None:
        pass

    def before_node_run(self) -> None:
        """Unmarked beside a marked hook: a choice, not a mistake."""


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_hooks_marked_by_another_projects_hook_impl_are_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        manager = create_hook_manager([OneHook(), KedroMarkedHooks()], load_entry_points=False)

    [warning] = warnings_of(caplog)
    assert warning.startswith(
        "KedroMarkedHooks (item 2 of HOOKS in settings.py) implements no hook, so it does "
        "nothing in a run"
    )
    assert "after_node_run are marked with the hook_impl of 'kedro'" in warning
    assert "from hookline import hook_impl" in warning
    # Still registered: a warning, not an error.
    assert len(manager.get_plugins()) == 2


def test_hooks_left_unmarked_by_a_fallback_hook_impl_are_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        create_hook_manager([FallbackMarkedHooks()], load_entry_points=False)

    [warning] = warnings_of(caplog)
    assert "FallbackMarkedHooks (item 1 of HOOKS in settings.py)" in warning
    assert "before_pipeline_run, after_pipeline_run are named after hooks" in warning
    assert "a fallback used when an import fails that returns the function unmarked" in warning


def test_an_object_with_no_hook_method_is_named(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        create_hook_manager([NoHookMethods()], load_entry_points=False)

    [warning] = warnings_of(caplog)
    assert "NoHookMethods (item 1 of HOOKS in settings.py) implements no hook" in warning
    assert "none of its methods is named after a hook" in warning


def test_hook_objects_that_implement_a_hook_give_no_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        create_hook_manager([OneHook()], load_entry_points=True)

    # The installed fixture plugins implement hooks (hookline-brokenplugin fails to import,
    # a warning of its own).
    assert not [w for w in warnings_of(caplog) if "implements no hook" in w]


def test_an_entry_point_plugin_with_no_hook_is_named(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A real distribution on sys.path whose entry point names an object with no hook.
    dist = tmp_path / "hookline_hookless-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: hookline-hookless\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[hookline.hooks]\nhookless = hookless_plugin:hooks\n")
    (tmp_path / "hookless_plugin.py").write_text(
        "def hook_impl(function):\n"
        "    return function\n\n"
        "class HooklessHooks:\n"
        "    @hook_impl\n"
        "    def after_context_created(self, context):\n"
        "        pass\n\n"
        "hooks = HooklessHooks()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    with caplog.at_level(logging.WARNING):
        create_hook_manager([], load_entry_points=True)

    [warning] = [w for w in warnings_of(caplog) if "implements no hook" in w]
    assert warning.startswith(
        "HooklessHooks (entry point 'hookless = hookless_plugin:hooks' of hookline-hookless==1.0)"
    )
    assert "after_context_created are named after hooks but not marked" in warning


SETTINGS = """
try:
    from kedro.framework.hooks import hook_impl
except ImportError:
    def hook_impl(function):
        return function

class SparkHooks:
    @hook_impl
    def after_context_created(self, context):
        raise AssertionError("never called: not a hook")

HOOKS = (SparkHooks(),)
"""


def test_a_run_warns_at_start_up_and_goes_on(
    make_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    project = make_project(
        "def one():\n    return 1\n",
        'return {"__default__": pipeline([node(one, None, "x", name="one")])}',
        SETTINGS,
    )
    with caplog.at_level(logging.WARNING):
        result = HooklineSession.create(project).run()

    assert result.outputs == {"x": 1}
    [warning] = [w for w in warnings_of(caplog) if "implements no hook" in w]
    assert "SparkHooks (item 1 of HOOKS in settings.py)" in warning
