"""hookline-memory as users get it: installed, found through its entry point, run by a session;
and the seed's own memory hook, ported by changing its import line only."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from hookline.hooks.manager import create_hook_manager
from hookline.session import HooklineSession, RunFailed
from hookline_memory import SOURCE, MemoryHooks
from tests.support import ProjectFactory

#: What node ``small`` allocates: above glibc's 32 MiB cap on its mmap threshold, so always a
#: fresh mapping whose memory really rises, even in a test process whose heap already holds
#: that much free memory (30 MiB could reuse free heap pages and show no peak at all).
SMALL_MIB = 64

NODES = f"""
import numpy as np


def spike(x):
    data = np.ones(200 * 2**20 // 8)
    del data
    return x


def small(x):
    data = np.ones({SMALL_MIB} * 2**20 // 8)
    del data
    return x


def boom(x):
    raise ValueError("boom")
"""

REGISTRY = """return {"__default__": pipeline([
    node(spike, "params:x", "a", name="spike"),
    node(small, "a", "b", name="small"),
])}"""


def hookline(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hookline", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**os.environ, "HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS": "hookline-testplugin"},
        timeout=120,
    )


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    return make_project(NODES, REGISTRY, conf={"base/parameters.yml": "x: 1\n"})


def test_installed_it_is_registered_with_no_code_change(project: Path) -> None:
    manager = create_hook_manager()
    assert isinstance(manager.get_plugin("hookline-memory"), MemoryHooks)

    done = hookline(project, "hooks")

    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()]
    ours = {row[0] for row in rows if row[2:] == ["MemoryHooks", "hookline-memory==0.1.0"]}
    assert {"before_dataset_loaded", "after_node_run", "after_pipeline_run"} <= ours


def test_a_session_run_has_the_figures_and_the_summary(
    project: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (project / "conf" / "base" / "memory.yml").write_text("top: 2\n")
    caplog.set_level(logging.INFO, logger="hookline_memory")

    result = HooklineSession.create(project).run()

    ours = [m for m in result.measurements if m.source == SOURCE]
    names = {m.name for m in ours}
    assert names == {
        f"memory.{k}.{f}" for k in ("load", "node", "save") for f in ("start", "delta", "peak")
    }
    peaks = {m.node: m.value for m in ours if m.name == "memory.node.peak"}
    assert peaks["spike"] >= 180
    (summary,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Memory:")]
    lines = summary.splitlines()
    assert lines[0] == "Memory: the 2 operation(s) with the highest peak:"
    assert re.fullmatch(
        r"  1\. Running node spike: peak \d+\.\d\dMiB, consumed -?\d+\.\d\dMiB", lines[1]
    )
    assert re.fullmatch(
        r"  2\. Running node small: peak \d+\.\d\dMiB, consumed -?\d+\.\d\dMiB", lines[2]
    )


def test_a_failed_run_still_gets_the_summary(
    make_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    project = make_project(
        NODES,
        'return {"__default__": pipeline([node(spike, "params:x", "a", name="spike"),'
        ' node(boom, "a", "b", name="boom")])}',
        conf={"base/parameters.yml": "x: 1\n", "base/memory.yml": "top: 1\n"},
    )
    caplog.set_level(logging.INFO, logger="hookline_memory")

    with pytest.raises(RunFailed):
        HooklineSession.create(project).run()

    (summary,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Memory:")]
    assert summary.splitlines()[1].startswith("  1. Running node spike: peak ")


def test_the_command_line_summary_shows_the_figures(project: Path) -> None:
    done = hookline(project, "run")

    assert done.returncode == 0, done.stderr
    line = re.search(
        r"Running node spike consumed -?\d+\.\d\dMiB memory \(peak (\d+\.\d\d)MiB\)", done.stderr
    )
    assert line is not None, done.stderr
    assert float(line.group(1)) >= 180
    # The run summary's table of measurements, grouped by name, with the largest of each.
    row = re.search(r"^memory\.node\.peak +MiB +2 +(\S+) +spike *$", done.stdout, re.MULTILINE)
    assert row is not None, done.stdout
    assert float(row.group(1)) >= 180


def test_importing_the_plugin_imports_nothing_heavy() -> None:
    code = "import sys, hookline_memory; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    loaded = {name.split(".")[0] for name in done.stdout.split()}
    assert "hookline_memory" in loaded
    assert not loaded & {"psutil", "memory_profiler", "numpy", "pandas", "dask", "distributed"}


SEED_SETTINGS = """
from tests.plugins.memory.seed_hooks import MemoryProfilingHooks

HOOKS = (MemoryProfilingHooks(),)
"""

SEED_NODES = """
def clean(companies):
    return [row for row in companies if row]
"""


def test_the_seeds_memory_hook_runs_after_changing_only_its_import_line(
    make_project: ProjectFactory, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("memory_profiler")
    project = make_project(
        SEED_NODES,
        'return {"__default__": pipeline([node(clean, "companies", "clean_companies")])}',
        settings=SEED_SETTINGS,
        conf={
            "base/catalog.yml": "companies:\n  type: json.JSONDataset\n  filepath: companies.json\n"
        },
    )
    (project / "companies.json").write_text('[{"id": 1}, {}, {"id": 3}]')
    caplog.set_level(logging.INFO)

    result = HooklineSession.create(project).run()

    assert result.outputs == {"clean_companies": [{"id": 1}, {"id": 3}]}
    seed_lines = [
        r.getMessage() for r in caplog.records if r.name == "tests.plugins.memory.seed_hooks"
    ]
    assert len(seed_lines) == 1
    assert re.fullmatch(r"Loading companies consumed -?\d+\.\d\dMiB memory", seed_lines[0])
