"""conf/<env>/statsd.yml: read in after_context_created, validated, optional; STATSD_HOST,
STATSD_PORT and STATSD_PREFIX replace the file's settings; the metric groups it switches off
are not sent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from hookline import DataCatalog, SequentialRunner, node, pipeline
from hookline.datasets import MemoryDataset
from hookline.errors import ConfigError
from hookline.session import HooklineSession
from hookline_statsd import DEFAULT, StatsdConfig, StatsdHooks
from hookline_statsd.config import parse_config, with_environment
from tests.integration.servers.statsd_graphite import StatsdDaemon
from tests.support import ProjectFactory

from .conftest import hooks_for, lines_of, manager_with, parse, totals, wait_for_lines
from .pipelines import identity

ALLOWED = (
    "Allowed keys: enabled, transport, host, port, socket_path, prefix, ipv6, max_udp_size, "
    "timeout, resolve_timeout, tags, metrics."
)

NODES = "def double(x):\n    return x * 2\n"
REGISTRY = 'return {"__default__": pipeline([node(double, "params:x", "y", name="double")])}'


def entry_point_hooks(session: HooklineSession) -> StatsdHooks:
    """The hookline-statsd object the session's hook manager got from the entry point."""
    plugin = session.load_context().hook_manager.get_plugin("hookline-statsd")
    assert isinstance(plugin, StatsdHooks), "hookline-statsd is not installed"
    return plugin


def project_with(make_project: ProjectFactory, **files: str) -> Path:
    conf = {"base/parameters.yml": "x: 2\n"}
    conf.update({name.replace("__", "/") + ".yml": text for name, text in files.items()})
    return make_project(NODES, REGISTRY, conf=conf)


def test_without_a_file_the_defaults_apply(make_project: ProjectFactory) -> None:
    session = HooklineSession.create(project_with(make_project))

    hooks = entry_point_hooks(session)
    assert hooks.config == DEFAULT
    assert hooks.settings.describe_target() == "udp://localhost:8125"
    assert DEFAULT.prefix == "hookline"
    assert DEFAULT.tags == ()
    assert all((DEFAULT.nodes, DEFAULT.datasets, DEFAULT.sizes, DEFAULT.bytes, DEFAULT.runs))


def test_every_key_is_read_from_the_file(make_project: ProjectFactory) -> None:
    project = project_with(
        make_project,
        base__statsd="""
            enabled: true
            transport: tcp
            host: metrics.internal
            port: 9125
            prefix: team.pipelines
            ipv6: true
            max_udp_size: 512
            timeout: 0.5
            resolve_timeout: 2
            tags: [node, pipeline]
            metrics:
              nodes: true
              datasets: false
              sizes: true
              bytes: false
              runs: true
              measurements: false
        """,
    )

    config = entry_point_hooks(HooklineSession.create(project)).config

    assert config == StatsdConfig(
        transport="tcp",
        host="metrics.internal",
        port=9125,
        prefix="team.pipelines",
        ipv6=True,
        max_udp_size=512,
        timeout=0.5,
        resolve_timeout=2.0,
        tags=("pipeline", "node"),
        datasets=False,
        bytes=False,
        measurements=False,
    )


def test_local_overrides_base_key_by_key(make_project: ProjectFactory) -> None:
    project = project_with(
        make_project,
        base__statsd="host: base-host\nprefix: base\n",
        local__statsd="prefix: local\n",
    )

    config = entry_point_hooks(HooklineSession.create(project)).config

    assert (config.host, config.prefix) == ("base-host", "local")


def test_an_unknown_key_names_the_file_and_the_allowed_keys(
    make_project: ProjectFactory,
) -> None:
    project = project_with(make_project, local__statsd="prot: 8125\n")

    with pytest.raises(ConfigError) as error:
        HooklineSession.create(project).load_context()

    message = str(error.value)
    assert message.startswith(str(project / "conf" / "local" / "statsd.yml") + ": ")
    assert "unknown key 'prot'" in message
    assert "Did you mean 'port'?" in message
    assert message.endswith(ALLOWED)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"port": 70000}, "key 'port' must be a port number from 1 to 65535, not 70000."),
        ({"port": "8125"}, "key 'port' must be a port number from 1 to 65535, not '8125'."),
        ({"transport": "udpp"}, "key 'transport' must be one of udp, tcp, unix, not 'udpp'."),
        ({"transport": "unix"}, "transport 'unix' needs key 'socket_path'"),
        ({"host": ""}, "key 'host' must be a non-empty string, not ''."),
        ({"enabled": "yes"}, "key 'enabled' must be true or false, not 'yes'."),
        ({"prefix": "a..b"}, "key 'prefix' must be made of ASCII letters"),
        ({"prefix": "params:x"}, "key 'prefix' must be made of ASCII letters"),
        ({"timeout": 0}, "key 'timeout' is in seconds and must be a number above 0"),
        ({"resolve_timeout": 61}, "key 'resolve_timeout' is in seconds"),
        ({"max_udp_size": 10}, "key 'max_udp_size' must be a whole number from 64 to 65507"),
        ({"tags": ["nodes"]}, "unknown tag 'nodes' in key 'tags'. Did you mean 'node'?"),
        ({"tags": "node"}, "key 'tags' must be true, false or a list of tag names"),
        ({"metrics": ["nodes"]}, "key 'metrics' must be a mapping"),
        ({"metrics": {"node": True}}, "unknown key 'metrics.node' in the statsd configuration."),
        ({"metrics": {"sizes": 1}}, "key 'metrics.sizes' must be true or false, not 1."),
    ],
)
def test_a_bad_value_is_an_error_naming_the_file_and_key(
    raw: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(raw, "conf/base/statsd.yml")

    message = str(error.value)
    assert message.startswith("conf/base/statsd.yml: ")
    assert expected in message


def test_tags_true_means_every_tag() -> None:
    assert parse_config({"tags": True}, "f").tags == ("pipeline", "node", "dataset", "session")


def test_a_bad_file_is_a_one_line_error_from_the_command_line(
    make_project: ProjectFactory,
) -> None:
    project = project_with(make_project, base__statsd="port: 8125\ncolour: blue\n")

    done = subprocess.run(
        [sys.executable, "-m", "hookline", "run"],
        cwd=project,
        capture_output=True,
        text=True,
        env=os.environ.copy(),  # this plugin on, every other one off (the autouse fixture)
        timeout=60,
    )

    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [
        f"Error: {project / 'conf' / 'base' / 'statsd.yml'}: unknown key 'colour' in the "
        f"statsd configuration. {ALLOWED}"
    ]
    assert "Traceback" not in done.stderr


def test_environment_variables_replace_host_port_and_prefix() -> None:
    config = StatsdConfig(host="file-host", port=1, prefix="file")

    changed = with_environment(
        config, {"STATSD_HOST": "env-host", "STATSD_PORT": "9000", "STATSD_PREFIX": "env.p"}
    )

    assert (changed.host, changed.port, changed.prefix) == ("env-host", 9000, "env.p")
    # Empty variables count as unset.
    assert with_environment(config, {"STATSD_HOST": "", "STATSD_PORT": ""}) == config


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("STATSD_PORT", "eighty", "Environment variable STATSD_PORT must be a port number"),
        ("STATSD_PORT", "0", "Environment variable STATSD_PORT must be a port number from 1"),
        ("STATSD_PREFIX", "a b", "Environment variable STATSD_PREFIX must be made of ASCII"),
    ],
)
def test_a_bad_environment_variable_is_a_configuration_error(
    make_project: ProjectFactory,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    expected: str,
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(ConfigError, match=expected):
        HooklineSession.create(project_with(make_project)).load_context()


def test_the_environment_wins_over_the_file_in_a_run(
    make_project: ProjectFactory,
    statsd_console: StatsdDaemon,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The file points nowhere useful; the variables point at the real daemon.
    project = project_with(make_project, base__statsd="host: 192.0.2.1\nport: 9\nprefix: file\n")
    monkeypatch.setenv("STATSD_HOST", statsd_console.host)
    monkeypatch.setenv("STATSD_PORT", str(statsd_console.port))
    monkeypatch.setenv("STATSD_PREFIX", prefix)

    assert HooklineSession.create(project).run().outputs == {"y": 4}

    lines = wait_for_lines(
        statsd_console, prefix, lambda lines: "run.__default__.count" in totals(lines, "c")
    )
    assert totals(lines, "c")["node.double.success"] == 1
    assert not lines_of(statsd_console, "file")


def run_identity(hooks: StatsdHooks) -> None:
    pipe = pipeline([node(identity, "a", "b", name="copy")])
    SequentialRunner().run(pipe, DataCatalog({"a": MemoryDataset([1, 2])}), manager_with(hooks))


@pytest.mark.parametrize(
    ("switched_off", "absent"),
    [
        ("nodes", {"node.copy.duration", "node.copy.success"}),
        ("datasets", {"dataset.a.load_duration", "dataset.b.save_duration"}),
        ("sizes", {"dataset.a.length", "dataset.b.length"}),
        ("bytes", {"dataset.a.bytes", "dataset.b.bytes"}),
        ("runs", {"run.__default__.nodes_completed"}),
    ],
)
def test_a_metric_group_switched_off_is_not_sent(
    statsd_console: StatsdDaemon, prefix: str, switched_off: str, absent: set[str]
) -> None:
    everything = {
        "node.copy.duration",
        "node.copy.success",
        "dataset.a.load_duration",
        "dataset.b.save_duration",
        "dataset.a.length",
        "dataset.b.length",
        "dataset.a.bytes",
        "dataset.b.bytes",
        "run.__default__.nodes_completed",
    }

    run_identity(hooks_for(statsd_console, prefix, **{switched_off: False}))

    # The node's batch is one packet: once anything of it arrived, all of it did.
    lines = wait_for_lines(statsd_console, prefix, bool)
    assert {name for name, _, _ in parse(lines)} == everything - absent


def test_enabled_false_sends_nothing(statsd_console: StatsdDaemon, prefix: str) -> None:
    run_identity(hooks_for(statsd_console, prefix, enabled=False))
    # Then a run that does send, to the same daemon: once its lines are there, the first
    # run's would have been too.
    marker = f"{prefix}_after"
    run_identity(hooks_for(statsd_console, marker))
    wait_for_lines(statsd_console, marker, bool)

    assert lines_of(statsd_console, prefix) == []
