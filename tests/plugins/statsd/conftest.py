"""Fixtures for hookline-statsd's tests: the real StatsD daemon (and Graphite behind it), every
runner, and a hook manager holding only this plugin."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import metadata
from typing import Any

import pytest

from hookline.hooks.manager import HookManager, create_hook_manager
from hookline_statsd import StatsdConfig, StatsdHooks
from hookline_statsd.config import ENV_VARS
from tests.integration.servers.statsd_graphite import (  # noqa: F401
    StatsdDaemon,
    statsd_console,
    statsd_graphite,
    unique_prefix,
)

#: What the tests set to switch installed plugins off (comma-separated distribution names).
DISABLE = "HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS"


def all_plugins_but(*enabled: str) -> str:
    """Every installed hookline plugin except ``enabled``, as :data:`DISABLE` takes them."""
    installed = {
        ep.dist.name
        for ep in metadata.entry_points(group="hookline.hooks")
        if ep.dist is not None and ep.dist.name not in enabled
    }
    return ",".join(sorted(installed))


@pytest.fixture(autouse=True)
def only_this_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch off every other installed plugin (a test that wants hookline-memory's
    measurements switches it back on), and clear the ``STATSD_*`` variables of the shell."""
    monkeypatch.setenv(DISABLE, all_plugins_but("hookline-statsd"))
    for variable in ENV_VARS:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """A metric prefix of this test alone."""
    return unique_prefix(request.node.name)


def manager_with(*hooks: object) -> HookManager:
    """A hook manager with only ``hooks`` (no installed plugin)."""
    return create_hook_manager(hooks, load_entry_points=False)


def hooks_for(daemon: StatsdDaemon, prefix: str, **settings: Any) -> StatsdHooks:
    """StatsdHooks sending to ``daemon`` over UDP (or ``transport=...``) with ``prefix``."""
    transport = settings.get("transport", "udp")
    settings.setdefault("host", daemon.host)
    settings.setdefault("port", daemon.tcp_port if transport == "tcp" else daemon.port)
    if transport == "unix":
        settings.setdefault("socket_path", str(daemon.socket_path))
    return StatsdHooks(StatsdConfig(prefix=prefix, **settings))


def panel_targets(board: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, Graphite target) of every target of every panel of a Grafana ``board``."""
    return [
        (panel["title"], target["target"])
        for panel in board["panels"]
        for target in panel.get("targets", [])
    ]


def lines_of(daemon: StatsdDaemon, prefix: str) -> list[str]:
    """The lines ``daemon`` received under ``prefix``, without it."""
    start = prefix + "."
    return [line[len(start) :] for line in daemon.received() if line.startswith(start)]


def wait_for_lines(
    daemon: StatsdDaemon, prefix: str, done: Callable[[list[str]], bool], timeout: float = 15.0
) -> list[str]:
    """The lines under ``prefix`` once ``done(lines)`` holds (UDP arrives a little later)."""
    daemon.wait_for_lines(lambda _: done(lines_of(daemon, prefix)), timeout)
    return lines_of(daemon, prefix)


def parse(lines: Iterable[str]) -> list[tuple[str, str, str]]:
    """(name, value, type) of each line (tags dropped)."""
    parsed = []
    for line in lines:
        metric = line.split("|#")[0]
        name, _, rest = metric.partition(":")
        value, _, kind = rest.partition("|")
        parsed.append((name, value, kind.split("|")[0]))
    return parsed


def totals(lines: Iterable[str], kind: str) -> dict[str, float]:
    """Counters summed (``c``), or the last value (``g``), or the values joined (``ms``: a
    list), by name."""
    result: dict[str, Any] = {}
    for name, value, line_kind in parse(lines):
        if line_kind != kind:
            continue
        if kind == "c":
            result[name] = result.get(name, 0.0) + float(value)
        elif kind == "ms":
            result.setdefault(name, []).append(float(value))
        elif value.startswith(("+", "-")) and name in result:
            result[name] += float(value)  # StatsD's gauge delta
        else:
            result[name] = float(value)
    return result
