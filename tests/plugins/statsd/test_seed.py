"""The seed's PipelineMonitoringHooks, ported by changing its import lines only, against the
real StatsD daemon: it runs, and the daemon refuses the lines whose names hold the StatsD
separator ``:`` (a ``params:`` input's size gauge, a node named after its ``params:`` input),
while hookline-statsd, on the same pipeline and the same daemon, has every line accepted.

The seed's client sends to localhost:8125 and cannot be told otherwise, so this test starts
its own daemon there, flushing to the session's Carbon.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookline.session import HooklineSession
from tests.integration.servers.statsd_graphite import (
    HOST,
    StatsdDaemon,
    StatsdGraphite,
    require,
    statsd_daemon,
)
from tests.support import ProjectFactory

from .conftest import DISABLE, all_plugins_but, totals, wait_for_lines

pytestmark = pytest.mark.integration

SEED_PORT = 8125

NODES = """
def preprocess(companies, options):
    return [row * options["scale"] for row in companies]


def split(rows, test_size):
    cut = int(len(rows) * (1 - test_size))
    return rows[:cut], rows[cut:]


def count(train):
    return len(train)
"""

# The second node keeps its derived name, which holds "params:test_size".
REGISTRY = """return {"__default__": pipeline([
    node(preprocess, ["companies", "params:model_options"], "preprocessed", name="preprocess"),
    node(split, ["preprocessed", "params:test_size"], ["train", "test"]),
    node(count, "train", "n", name="count"),
])}"""

SETTINGS = """
from tests.plugins.statsd.seed_hooks import PipelineMonitoringHooks

HOOKS = (PipelineMonitoringHooks(),)
"""

CONF = {
    "base/parameters.yml": "model_options:\n  scale: 2\ntest_size: 0.25\n",
    "base/catalog.yml": """
        companies:
          type: yaml.YAMLDataset
          filepath: data/companies.yml
    """,
}

#: The seed's lines that the daemon refuses: the size gauges of the two ``params:`` inputs and
#: the timer of the node whose derived name holds ``params:test_size``.
SEED_BAD_LINES = 3


def seed_port_taken(timeout: float = 120.0) -> str | None:
    """Why UDP port 8125 cannot be had (another program holds it for ``timeout`` seconds), or
    ``None`` once it is free: on a shared machine another StatsD daemon may be using it."""
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((HOST, SEED_PORT))
                return None
            except OSError as error:
                if time.monotonic() > deadline:
                    return f"UDP port {SEED_PORT}, where the seed's client sends, is taken: {error}"
        time.sleep(1.0)


@pytest.fixture
def daemon_on_8125(statsd_graphite: StatsdGraphite, tmp_path: Path) -> Iterator[StatsdDaemon]:
    """A StatsD daemon on UDP localhost:8125 (where the seed sends), flushing to Carbon."""
    require(seed_port_taken())
    with statsd_daemon(
        tmp_path / "statsd-8125",
        carbon_port=statsd_graphite.graphite.carbon_port,
        udp_port=SEED_PORT,
    ) as daemon:
        yield daemon


def write_project(make_project: ProjectFactory, settings: str, statsd_yml: str) -> Path:
    project = make_project(
        NODES, REGISTRY, settings=settings, conf={**CONF, "base/statsd.yml": statsd_yml}
    )
    (project / "data").mkdir()
    (project / "data" / "companies.yml").write_text("[1, 2, 3, 4, 5, 6, 7, 8]\n")
    return project


def test_the_seed_loses_its_params_lines_and_the_plugin_delivers_every_metric(
    daemon_on_8125: StatsdDaemon,
    statsd_graphite: StatsdGraphite,
    make_project: ProjectFactory,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    daemon = daemon_on_8125

    # The seed alone (every installed plugin switched off, this one too).
    monkeypatch.setenv(DISABLE, all_plugins_but())
    seed_project = write_project(make_project, SETTINGS, "enabled: false\n")
    before = daemon.bad_lines_seen()
    result = HooklineSession.create(seed_project).run()
    assert result.outputs == {"n": 6, "test": [14, 16]}
    seed_lines = wait_for_lines(daemon, "kedro", lambda lines: "run:1|c" in lines)
    daemon.wait_for_lines(lambda _: daemon.bad_lines_seen() - before >= SEED_BAD_LINES, 5)
    assert daemon.bad_lines_seen() - before == SEED_BAD_LINES
    refused = [line for line in seed_lines if line.count(":") > 1]
    assert sorted(line.split(":")[0] for line in refused) == [
        "params",
        "params",
        "split([preprocessed,params",
    ]
    # 3 node timers, a size gauge per input (5), the run counter: the 3 refused among them.
    assert len(seed_lines) == 9

    # This plugin alone, with its defaults (UDP to localhost:8125), on the same daemon.
    monkeypatch.setenv(DISABLE, all_plugins_but("hookline-statsd"))
    plugin_project = write_project(make_project, "", f"prefix: {prefix}\n")
    before = daemon.bad_lines_seen()
    result = HooklineSession.create(plugin_project).run()
    assert result.outputs == {"n": 6, "test": [14, 16]}
    lines = wait_for_lines(
        daemon, prefix, lambda lines: "run.__default__.count" in totals(lines, "c")
    )
    split = "split_preprocessed_params-test_size_train_test"
    gauges = totals(lines, "g")
    assert {
        "dataset.params-model_options.length": 1.0,
        "dataset.params-test_size.bytes": 24.0,
        "dataset.companies.length": 8.0,
    }.items() <= gauges.items()
    assert {"node.preprocess.duration", f"node.{split}.duration", "node.count.duration"} <= set(
        totals(lines, "ms")
    )
    assert totals(lines, "c") == {
        "node.preprocess.success": 1.0,
        f"node.{split}.success": 1.0,
        "node.count.success": 1.0,
        "run.__default__.nodes_completed": 3.0,
        "run.__default__.count": 1.0,
    }
    assert all(line.count(":") == 1 for line in lines)
    assert daemon.bad_lines_seen() - before == 0

    # What reached Graphite: the plugin's params gauges under their own names; of the seed's,
    # only a gauge named "kedro.params", made of the part before the ':' of both lines.
    graphite = statsd_graphite.graphite
    found = graphite.wait_for_metrics(
        [
            f"stats.gauges.{prefix}.dataset.params-model_options.bytes",
            f"stats.gauges.{prefix}.dataset.params-test_size.bytes",
            "stats.gauges.kedro.params",
        ],
        since=0,
    )
    assert all(found.values()), found
    assert not graphite.whisper_file("stats.gauges.kedro.params:model_options_size").exists()
