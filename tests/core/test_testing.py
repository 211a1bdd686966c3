"""hookline.testing: tests only import it, and its plugin contract fails a plugin that breaks it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hookline import hook_impl
from hookline.testing import PluginContract


def modules_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_import_hookline_imports_neither_the_testing_module_nor_pytest() -> None:
    loaded = modules_after("import hookline\nfrom hookline import *  # noqa: F403")
    assert "hookline.testing" not in loaded
    assert "pytest" not in loaded


def test_the_testing_module_does_not_import_pytest() -> None:
    assert "pytest" not in modules_after("import hookline.testing")


class ForgetfulHooks:
    """Loses its settings when pickled and in the worker state, and fails when its backend
    is gone: everything the contract must catch."""

    def __init__(self, config: dict[str, Any] | None = None, dead: bool = False) -> None:
        self.config = config or {}
        self.dead = dead

    def __getstate__(self) -> dict[str, Any]:
        return {"config": {}, "dead": self.dead}

    @hook_impl
    def export_worker_state(self) -> dict[str, Any]:
        return {}

    @hook_impl
    def restore_worker_state(self, state: dict[str, Any] | None) -> None:
        self.config = dict(state or {})

    @hook_impl
    def before_node_run(self) -> None:
        if self.dead:
            raise ConnectionError("the backend is gone")


class ForgetfulContract(PluginContract):
    """Not collected (no ``Test`` prefix): the tests below call its checks."""

    def configured_hooks(self, tmp_path: Path) -> ForgetfulHooks:
        return ForgetfulHooks({"level": 3})

    def dead_backend_hooks(self, tmp_path: Path) -> ForgetfulHooks:
        return ForgetfulHooks(dead=True)


def test_the_contract_fails_a_plugin_whose_copy_loses_its_settings(tmp_path: Path) -> None:
    with pytest.raises(AssertionError):
        ForgetfulContract().test_the_instance_pickles_with_its_settings(tmp_path)


def test_the_contract_fails_a_plugin_whose_worker_state_loses_its_settings(
    tmp_path: Path,
) -> None:
    with pytest.raises(AssertionError):
        ForgetfulContract().test_the_worker_state_survives_a_round_trip(tmp_path)


def test_the_contract_fails_a_plugin_that_a_dead_backend_fails(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="the backend is gone"):
        ForgetfulContract().test_a_dead_backend_never_fails_a_run(tmp_path)
