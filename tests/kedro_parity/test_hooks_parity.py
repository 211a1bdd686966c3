"""The Kedro-style hook classes of tests/kedro_compat/hooks/ run in the same scenario under
Kedro 1.7 (as written) and under hookline (import line changed), each through its own command
line, and record the same things: run_params, catalog listings, resolved config, outputs.

The differences hookline keeps on purpose are asserted here as such, and listed in the
README's "Coming from Kedro" section.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.kedro_compat.scenario import (
    KEDRO_1X_HOOKS,
    Scenario,
    write_hookline_scenario,
    write_kedro_scenario,
)

RUNTIME_PARAMS = {"currency": "USD", "app_name": "rating"}
CLI_PARAMS = ",".join(f"{key}={value}" for key, value in RUNTIME_PARAMS.items())

#: How each side runs the scenario's default pipeline, from its project folder: through the
#: command line as a user does, and through the session API as a script or notebook does.
COMMANDS = {
    "cli": {
        "kedro": ["-m", "kedro", "run", "--params", CLI_PARAMS],
        "hookline": ["-m", "hookline", "run", "--params", CLI_PARAMS],
    },
    "api": {
        "kedro": [
            "-c",
            "from pathlib import Path\n"
            "from kedro.framework.session import KedroSession\n"
            "from kedro.framework.startup import bootstrap_project\n"
            "bootstrap_project(Path.cwd())\n"
            f"with KedroSession.create(Path.cwd(), runtime_params={RUNTIME_PARAMS!r}) as s:\n"
            "    s.run()\n",
        ],
        "hookline": [
            "-c",
            "from hookline.session import HooklineSession\n"
            f"HooklineSession.create('.', extra_params={RUNTIME_PARAMS!r}).run()\n",
        ],
    },
}

#: Keys whose values differ from run to run or from machine to machine.
PER_RUN_KEYS = {"run_id", "project_path", "kedro_version", "runner"}
#: The keys hookline passes beyond Kedro 1.7's: the older releases' and its own version.
HOOKLINE_ONLY_KEYS = {
    "session_id",
    "pipeline_name",
    "extra_params",
    "namespace",
    "hookline_version",
}


def _run(arguments: list[str], project: Path) -> None:
    command = [sys.executable, *arguments]
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true"}
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module", params=sorted(COMMANDS))
def sides(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Scenario, Scenario]:
    """(Kedro, hookline): the scenario with the Kedro 1.x-style hooks, run by each, through
    the command line or the session API."""
    commands = COMMANDS[request.param]
    hookline = write_hookline_scenario(tmp_path_factory.mktemp("hookline"), KEDRO_1X_HOOKS)
    kedro = write_kedro_scenario(tmp_path_factory.mktemp("kedro"), hookline.package, KEDRO_1X_HOOKS)
    _run(commands["kedro"], kedro.project)
    _run(commands["hookline"], hookline.project)
    return kedro, hookline


def _both(sides: tuple[Scenario, Scenario], hook: str) -> tuple[list[Any], list[Any]]:
    kedro, hookline = sides
    return kedro.records(hook), hookline.records(hook)


def _runner_name(value: str) -> str:
    """The runner's class name: `kedro run` passes the instance's repr, hookline the name."""
    found = re.search(r"(\w+) object at 0x", value)
    return found.group(1) if found else value


def test_run_params_have_kedros_keys_and_values(sides: tuple[Scenario, Scenario]) -> None:
    (kedro,), (hookline,) = _both(sides, "status.started")
    ours, theirs = hookline["run_params"], kedro["run_params"]
    assert set(ours) - set(theirs) == HOOKLINE_ONLY_KEYS
    assert set(theirs) <= set(ours)
    for key in sorted(set(theirs) - PER_RUN_KEYS):
        assert ours[key] == theirs[key], key
    assert _runner_name(theirs["runner"]) == ours["runner"] == "SequentialRunner"
    assert Path(ours["project_path"]).name == Path(theirs["project_path"]).name
    assert ours["kedro_version"].split(".")[:2] == theirs["kedro_version"].split(".")[:2]
    assert hookline["nodes"] == kedro["nodes"]


def test_the_run_ends_the_same(sides: tuple[Scenario, Scenario]) -> None:
    (kedro,), (hookline,) = _both(sides, "status.finished")
    for record in (kedro, hookline):
        record.pop("run_id")
    # run_result: Kedro 1.x gives every output of the pipeline, as its dataset; hookline the
    # data of the outputs no catalog entry saves, as Kedro 0.18/0.19 did.
    assert kedro.pop("outputs") == ["snapshot_size", "summary"]
    assert hookline.pop("outputs") == ["snapshot_size"]
    assert hookline == kedro


@pytest.mark.parametrize(
    "hook",
    [
        "statistics.catalog",
        "statistics.node",
        "statistics.persisted",
        "schema.declared",
        "schema.checked",
        "spark.session",
        "dynamic.added",
    ],
)
def test_the_hook_records_the_same(sides: tuple[Scenario, Scenario], hook: str) -> None:
    kedro, hookline = _both(sides, hook)
    assert kedro, f"the Kedro side recorded no {hook!r}"
    assert sorted(map(repr, hookline)) == sorted(map(repr, kedro))


def test_the_outputs_are_the_same(sides: tuple[Scenario, Scenario]) -> None:
    kedro, hookline = sides
    summary = "08_reporting/summary.json"
    assert hookline.output(summary) == kedro.output(summary)
