"""conf/<env>/memory.yml: read in after_context_created, validated, optional."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hookline.errors import ConfigError
from hookline.session import HooklineSession
from hookline_memory import MemoryConfig, MemoryHooks
from hookline_memory.config import ALLOWED_KEYS, DEFAULT, parse_config
from tests.support import ProjectFactory

ALLOWED = (
    "Allowed keys: backend, interval, threshold_mib, include_children, measure, top, reset_os_peak."
)

NODES = "def double(x):\n    return x * 2\n"
REGISTRY = 'return {"__default__": pipeline([node(double, "params:x", "y", name="double")])}'


def entry_point_hooks(session: HooklineSession) -> MemoryHooks:
    """The hookline-memory object the session's hook manager got from the entry point."""
    plugin = session.load_context().hook_manager.get_plugin("hookline-memory")
    assert isinstance(plugin, MemoryHooks), "hookline-memory is not installed"
    return plugin


def project_with(make_project: ProjectFactory, **files: str) -> Path:
    conf = {"base/parameters.yml": "x: 2\n"}
    conf.update({name.replace("__", "/") + ".yml": text for name, text in files.items()})
    return make_project(NODES, REGISTRY, conf=conf)


def test_without_a_file_the_defaults_apply(make_project: ProjectFactory) -> None:
    session = HooklineSession.create(project_with(make_project))

    assert entry_point_hooks(session).config == DEFAULT
    assert (
        MemoryConfig(
            backend="psutil",
            interval=0.002,
            threshold_mib=1.0,
            include_children=False,
            measure_loads=True,
            measure_saves=True,
            measure_nodes=True,
            top=5,
            reset_os_peak=True,
        )
        == DEFAULT
    )


def test_every_key_is_read_from_the_file(make_project: ProjectFactory) -> None:
    project = project_with(
        make_project,
        base__memory=(
            "backend: psutil\n"
            "interval: 0.005\n"
            "threshold_mib: 25\n"
            "include_children: true\n"
            "measure:\n  loads: true\n  saves: false\n  nodes: true\n"
            "top: 3\n"
            "reset_os_peak: false\n"
        ),
    )

    config = entry_point_hooks(HooklineSession.create(project)).config

    assert config == MemoryConfig(
        backend="psutil",
        interval=0.005,
        threshold_mib=25.0,
        include_children=True,
        measure_loads=True,
        measure_saves=False,
        measure_nodes=True,
        top=3,
        reset_os_peak=False,
    )


def test_an_environment_overrides_base(make_project: ProjectFactory) -> None:
    project = project_with(make_project, base__memory="top: 3\n", local__memory="top: 7\n")

    assert entry_point_hooks(HooklineSession.create(project)).config.top == 7


def test_the_memory_profiler_backend_defaults_to_the_seeds_settings() -> None:
    pytest.importorskip("memory_profiler")
    config = parse_config({"backend": "memory_profiler"}, "memory.yml")

    assert (config.interval, config.include_children) == (0.1, True)


def test_an_unknown_key_names_the_file_and_the_allowed_keys(
    make_project: ProjectFactory,
) -> None:
    project = project_with(make_project, local__memory="intervall: 0.01\n")

    with pytest.raises(ConfigError) as error:
        HooklineSession.create(project).load_context()

    message = str(error.value)
    assert message.startswith(str(project / "conf" / "local" / "memory.yml") + ": ")
    assert "unknown key 'intervall'" in message
    assert "Did you mean 'interval'?" in message
    assert message.endswith(ALLOWED)


def test_a_bad_file_is_a_one_line_error_from_the_command_line(
    make_project: ProjectFactory,
) -> None:
    project = project_with(make_project, base__memory="backend: psutil\ncolour: blue\n")

    done = subprocess.run(
        [sys.executable, "-m", "hookline", "run"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS": "hookline-testplugin"},
        timeout=60,
    )

    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: {project / 'conf' / 'base' / 'memory.yml'}: unknown key 'colour' in the "
        f"memory configuration. {ALLOWED}"
    ]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            {"backend": "psutl"},
            "key 'backend' must be one of psutil, memory_profiler, not 'psutl'. Did you mean 'psutil'?",
        ),
        (
            {"interval": "fast"},
            "key 'interval' is in seconds and must be a number at least 0.0001 and at most 60, not 'fast'.",
        ),
        (
            {"interval": True},
            "key 'interval' is in seconds and must be a number at least 0.0001 and at most 60, not True.",
        ),
        (
            {"interval": 0},
            "key 'interval' is in seconds and must be a number at least 0.0001 and at most 60, "
            "not 0.",
        ),
        ({"threshold_mib": -1}, "key 'threshold_mib' must be a number at least 0, not -1."),
        ({"include_children": "yes"}, "key 'include_children' must be true or false, not 'yes'."),
        ({"top": 2.5}, "key 'top' must be a whole number from 0 to 1000, not 2.5."),
        ({"top": -1}, "key 'top' must be a whole number from 0 to 1000, not -1."),
        (
            {"measure": ["loads"]},
            "key 'measure' must be a mapping with the keys loads, saves, nodes, not ['loads'].",
        ),
        (
            {"measure": {"node": False}},
            "unknown key 'measure.node' in the memory configuration. Did you mean 'nodes'? "
            "Allowed keys under 'measure': loads, saves, nodes.",
        ),
        ({"measure": {"loads": "no"}}, "key 'measure.loads' must be true or false, not 'no'."),
        ({"reset_os_peak": 1}, "key 'reset_os_peak' must be true or false, not 1."),
    ],
)
def test_bad_values_are_errors_naming_file_and_key(raw: dict[str, Any], expected: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(raw, "conf/base/memory.yml")

    assert str(error.value) == f"conf/base/memory.yml: {expected}"


def test_the_allowed_keys_are_the_documented_ones() -> None:
    readme = (Path(__file__).parents[3] / "plugins" / "hookline-memory" / "README.md").read_text()

    for key in ALLOWED_KEYS:
        assert f"`{key}`" in readme, f"README.md does not document {key}"


def test_an_empty_measure_section_keeps_everything_measured() -> None:
    config = parse_config({"measure": None}, "memory.yml")

    assert (config.measure_loads, config.measure_saves, config.measure_nodes) == (True,) * 3
