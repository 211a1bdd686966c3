"""Load: a 10,000-node pipeline with all four plugins on, as a real ``hookline run`` process.
It completes with its memory bounded (each node's output is released once the next node has
read it), the StatsD daemon counts exactly one completed node per node, and MLflow holds one
run."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.support import ProjectFactory, hookline_command

from .conftest import PRODUCT_PLUGINS, PluginSwitch, mlflow_runs, project_store

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NODE_COUNT = 10_000
#: What each node returns: never released, the chain would hold NODE_COUNT times this (2 GB).
PAYLOAD_BYTES = 200_000
#: How much the process may grow from the first node to its peak. The run's own bookkeeping of
#: 10,000 nodes (records, measurements, metrics of four plugins) took about 220 MB here
#: (the same with 100 kB or 200 kB payloads); outputs kept in memory would add 2 GB.
GROWTH_LIMIT_BYTES = 600_000_000

NODES = f"""
def start(seed, marker):
    # Everything is imported and the catalog built: the memory samples that count start here.
    open(marker, "w").close()
    return b"x" * {PAYLOAD_BYTES}


def step(previous):
    # A new payload every time, written to, so that it is resident memory.
    return b"y" * len(previous)


def finish(previous):
    return len(previous)
"""

REGISTRY = f"""return {{"__default__": pipeline(
    [node(start, ["params:seed", "params:marker"], "d0", name="start")]
    + [node(step, f"d{{i}}", f"d{{i + 1}}", name=f"step_{{i}}") for i in range({NODE_COUNT - 2})]
    + [node(finish, "d{NODE_COUNT - 2}", "length", name="finish")]
)}}"""


@pytest.fixture
def statsd_daemon(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    """A real StatsD daemon the plugin sends to over TCP (no datagram may be lost when the
    count must be exact); skips, or fails under CI, when it is not installed."""
    from tests.integration.servers import statsd_graphite

    statsd_graphite.require(statsd_graphite.missing_daemon())
    with statsd_graphite.statsd_daemon(tmp_path_factory.mktemp("statsd-load")) as daemon:
        monkeypatch.setenv("STATSD_HOST", daemon.host)
        monkeypatch.setenv("STATSD_PORT", str(daemon.tcp_port))
        yield daemon


def run_sampling_memory(project: Path, log: Path, marker: Path) -> tuple[int, list[int]]:
    """Run ``hookline run`` in ``project``, its output to ``log``, and sample its resident
    memory every 20 ms from the moment ``marker`` appears (the first node ran)."""
    with (
        log.open("w") as output,
        subprocess.Popen(
            hookline_command("run"), cwd=project, stdout=output, stderr=subprocess.STDOUT
        ) as process,
    ):
        watched = psutil.Process(process.pid)
        samples: list[int] = []
        try:
            while process.poll() is None:
                if marker.exists():
                    try:
                        samples.append(watched.memory_info().rss)
                    except psutil.NoSuchProcess:
                        break
                time.sleep(0.02)
            return process.wait(), samples
        finally:
            if process.poll() is None:
                process.kill()


def statsd_counters(lines: list[str]) -> Counter[str]:
    """Counter lines (``name:value|c``) summed by name, without the metric prefix."""
    totals: Counter[str] = Counter()
    for line in lines:
        name, _, rest = line.partition(":")
        value, _, kind = rest.partition("|")
        if kind.split("|")[0] == "c":
            totals[name.split(".", 1)[1] if "." in name else name] += int(float(value))
    return totals


def test_ten_thousand_nodes_with_every_plugin(
    make_project: ProjectFactory,
    enable_plugins: PluginSwitch,
    statsd_daemon: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    enable_plugins(*PRODUCT_PLUGINS)
    monkeypatch.setenv("STATSD_PREFIX", "load")
    marker = tmp_path / "first-node-ran"
    project = make_project(
        NODES,
        REGISTRY,
        conf={
            "base/parameters.yml": f"seed: 1\nmarker: {marker}\n",
            "base/statsd.yml": "transport: tcp\n",
        },
    )

    log = project / "run.log"
    code, samples = run_sampling_memory(project, log, marker)

    assert code == 0, log.read_text()[-5000:]
    assert len(samples) > 10, "the run was too short to sample"
    growth = max(samples) - samples[0]
    assert growth < GROWTH_LIMIT_BYTES, (
        f"resident memory grew by {growth / 1e6:.0f} MB from the first node to its peak "
        f"({samples[0] / 1e6:.0f} MB to {max(samples) / 1e6:.0f} MB): outputs not released?"
    )

    runs = mlflow_runs(project_store(project))
    assert [run.info.status for run in runs] == ["FINISHED"]
    durations = [k for k in runs[0].data.metrics if k.startswith("node_duration_s/")]
    assert len(durations) == NODE_COUNT

    lines = statsd_daemon.wait_for_lines(
        lambda lines: statsd_counters(lines)["run.__default__.nodes_completed"] >= NODE_COUNT,
        timeout=60,
    )
    counters = statsd_counters(lines)
    assert counters["run.__default__.nodes_completed"] == NODE_COUNT
    successes = {name: n for name, n in counters.items() if name.endswith(".success")}
    assert len(successes) == NODE_COUNT
    assert set(successes.values()) == {1}
