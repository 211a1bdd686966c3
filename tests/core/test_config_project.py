"""The config loader in a project: ``CONFIG_LOADER_ARGS`` in settings.py, resolvers a hook
registers in ``after_context_created`` (before the catalog is built), Kedro 0.18's glob form
from a hook, and bad interpolations through the real ``hookline run``: exit 2, one line naming
the file and the key, no traceback."""

from __future__ import annotations

import json

import pytest

from hookline.errors import ProjectError
from hookline.plugin_config import project_config_loader
from hookline.session import HooklineSession
from tests.support import ProjectFactory

from .conftest import hookline

NODES = """
def double(x):
    return x * 2
"""

REGISTRY = """return {"__default__": pipeline([node(double, "params:x", "y", name="double")])}"""

SETTINGS = """
import json
from pathlib import Path

from hookline import hook_impl


class SchemaHooks:
    # kedro-pandera's way: a resolver registered on the context's loader.
    @hook_impl
    def after_context_created(self, context):
        context.config_loader._register_new_resolvers({"hl_folder": lambda name: f"out_{name}"})


class SparkHooks:
    # The 0.18 starters' way and the 1.x way of reading spark.yml.
    @hook_impl
    def after_context_created(self, context):
        seen = {
            "item": context.config_loader["spark"],
            "glob": context.config_loader.get("spark*", "spark*/**"),
        }
        Path(context.project_path, "spark_seen.json").write_text(json.dumps(seen))


HOOKS = (SchemaHooks(), SparkHooks())
CONFIG_LOADER_ARGS = {
    # What Kedro's project template writes.
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {"spark": ["spark*", "spark*/**", "**/spark*"]},
    "custom_resolvers": {"hl_times": lambda a, b: a * b},
    "merge_strategy": {"spark": "soft"},
}
"""

CONF = {
    "base/globals.yml": "folder: data\n",
    "base/parameters.yml": "x: ${hl_times:3,7}\n",
    "base/catalog.yml": (
        "y:\n  type: json.JSONDataset\n"
        "  filepath: ${globals:folder}/${hl_folder:${runtime_params:tag,plain}}/y.json\n"
    ),
    "base/spark.yml": "spark.app: {name: app, cores: 1}\n",
    "base/jobs/spark_executor.yml": "spark.executor: {memory: 2g}\n",
    "local/spark.yml": "spark.app: {cores: 4}\n",
}


def test_settings_args_and_hook_resolvers_reach_the_run(make_project: ProjectFactory) -> None:
    project = make_project(NODES, REGISTRY, SETTINGS, CONF)
    session = HooklineSession.create(project, extra_params={"tag": "nightly"})
    session.run()
    # The parameter used the settings' resolver; the catalog, read after after_context_created,
    # the hook's resolver, globals and a runtime parameter.
    assert json.loads((project / "data" / "out_nightly" / "y.json").read_text()) == 42
    seen = json.loads((project / "spark_seen.json").read_text())
    assert seen["item"] == {
        "spark.app": {"name": "app", "cores": 4},  # merged softly, as the settings say
        "spark.executor": {"memory": "2g"},  # found by the settings' **/spark* pattern
    }
    # The 0.18 form reads only the files its patterns name, merged destructively.
    assert seen["glob"] == {"spark.app": {"cores": 4}}


def test_a_plugins_command_reads_through_the_same_settings(make_project: ProjectFactory) -> None:
    project = make_project(NODES, REGISTRY, SETTINGS, CONF)
    loader, project_path = project_config_loader(project, None)
    assert project_path == project
    assert loader.config_patterns["spark"] == ["spark*", "spark*/**", "**/spark*"]
    assert loader["spark"]["spark.app"] == {"name": "app", "cores": 4}


def test_an_unknown_config_loader_argument_names_settings(make_project: ProjectFactory) -> None:
    settings = 'CONFIG_LOADER_ARGS = {"config_pattern": {}}\n'
    project = make_project(NODES, REGISTRY, settings, {"base/parameters.yml": "x: 1\n"})
    with pytest.raises(ProjectError) as info:
        HooklineSession.create(project).run()
    message = str(info.value)
    assert "settings.py: CONFIG_LOADER_ARGS has the key 'config_pattern'" in message
    assert "Did you mean 'config_patterns'?" in message


@pytest.mark.parametrize(
    ("file", "text", "key", "message"),
    [
        ("base/catalog.yml", "y: {type: '${hl_nope:json}'}\n", "y.type", "unknown resolver"),
        ("base/parameters.yml", "x: ${z}\nz: ${x}\n", "x", "interpolation cycle"),
        (
            "local/catalog.yml",
            "y: {type: json.JSONDataset, filepath: '${globals:out}/y.json'}\n",
            "y.filepath",
            "globals key 'out' is not defined",
        ),
        ("base/parameters.yml", "x: ${oc.env:HOME}\n", "x", "in credentials only"),
    ],
)
def test_bad_interpolation_exits_2_naming_file_and_key(
    make_project: ProjectFactory, file: str, text: str, key: str, message: str
) -> None:
    conf = {"base/parameters.yml": "x: 1\n", file: text}
    project = make_project(NODES, REGISTRY, "", conf)
    done = hookline(project, "run")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert line.startswith(f"Error: {project / 'conf' / file}: key '{key}': "), line
    assert message in line
