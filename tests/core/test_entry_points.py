"""Plugins found through entry points of real installed distributions.

These use the fixture distributions under tests/fixtures/plugins, which `nox -s tests`
installs (not editable) so their entry points are real metadata.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

import pytest

from tests.support import ProjectFactory

from .conftest import PRODUCT_PLUGINS, hookline


@pytest.fixture(autouse=True)
def _fixture_plugins_installed() -> None:
    for dist in ("hookline-testplugin", "hookline-brokenplugin"):
        try:
            metadata.distribution(dist)
        except metadata.PackageNotFoundError:
            pytest.fail(
                f"{dist} is not installed: install tests/fixtures/plugins/* (nox -s tests does)"
            )


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    return make_project(
        "def double(x):\n    return x * 2\n",
        'return {"__default__": pipeline([node(double, "params:x", "y", name="double")])}',
        conf={"base/parameters.yml": "x: 2\n"},
    )


def run_logged(project: Path, tmp_path: Path, **env: str) -> tuple[int, str, list[dict[str, str]]]:
    log = tmp_path / "plugin.jsonl"
    done = hookline(
        project,
        "run",
        HOOKLINE_TESTPLUGIN_LOG=str(log),
        HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS=",".join([PRODUCT_PLUGINS, env.pop("disable", "")]),
        **env,
    )
    lines = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    return done.returncode, done.stderr, lines


def test_an_installed_plugin_fires_with_no_code_change(project: Path, tmp_path: Path) -> None:
    code, stderr, lines = run_logged(project, tmp_path)
    assert code == 0, stderr
    assert [line["hook"] for line in lines] == ["before_pipeline_run", "after_node_run"]
    assert lines[1]["node"] == "double"


def test_a_plugin_that_fails_to_import_is_a_warning_naming_it(
    project: Path, tmp_path: Path
) -> None:
    code, stderr, _ = run_logged(project, tmp_path)
    assert code == 0
    assert "hookline-brokenplugin==0.1.0 was not loaded" in stderr
    assert "needs a library that is not installed" in stderr


def test_plugins_can_be_disabled_by_environment(project: Path, tmp_path: Path) -> None:
    code, _, lines = run_logged(project, tmp_path, disable="Hookline_TestPlugin")
    assert code == 0
    assert lines == []


def test_plugins_can_be_disabled_in_settings(make_project: ProjectFactory, tmp_path: Path) -> None:
    project = make_project(
        "def double(x):\n    return x * 2\n",
        'return {"__default__": pipeline([node(double, "params:x", "y", name="double")])}',
        settings='DISABLE_HOOKS_FOR_PLUGINS = ("hookline-testplugin",)\n',
        conf={"base/parameters.yml": "x: 2\n"},
    )
    code, _, lines = run_logged(project, tmp_path)
    assert code == 0
    assert lines == []


def test_hooks_command_lists_implementation_source_and_order(make_project: ProjectFactory) -> None:
    project = make_project(
        "",
        "return {}",
        settings=(
            "from hookline import hook_impl\n"
            "class ProjectHooks:\n"
            "    @hook_impl\n"
            "    def after_node_run(self, node):\n"
            "        pass\n"
            "HOOKS = (ProjectHooks(),)\n"
        ),
    )
    done = hookline(project, "hooks", HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS=PRODUCT_PLUGINS)
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()[2:]]
    # Other installed plugins (hookline-memory, ...) may implement after_node_run too: only the
    # relative order of these two is this test's business.
    ours = {"RecordingPluginHooks", "ProjectHooks"}
    after_node_run = [row for row in rows if row[0] == "after_node_run" and row[2] in ours]
    # The plugin registered last fires first.
    assert [row[2:] for row in after_node_run] == [
        ["RecordingPluginHooks", "hookline-testplugin==0.1.0"],
        ["ProjectHooks", "settings"],
    ]
    assert int(after_node_run[0][1]) < int(after_node_run[1][1])


def test_plugin_commands_appear_under_hookline(project: Path) -> None:
    done = hookline(project, "testplugin", "hello")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "hello from hookline-testplugin"
    assert "testplugin" in hookline(project, "--help").stdout


def test_info_lists_installed_plugins(project: Path) -> None:
    done = hookline(project, "info")
    assert "hookline-testplugin 0.1.0" in done.stdout
