"""The regression guard: each kind detected on a project whose node is made slower, hungrier,
smaller or invalid on purpose (through parameters), and not detected within the thresholds."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookline.history import HistoryStore
from hookline.history.location import DEFAULT_HISTORY
from hookline.session import HooklineSession, RunResult
from tests.core.conftest import PRODUCT_PLUGINS
from tests.support import ProjectFactory

from .conftest import run_hookline

#: ``make`` saves a table of ``params:rows`` rows and holds ``params:mib`` MiB (every page
#: written, so the process's memory really grows); it publishes ``validation.failed`` as the
#: Great Expectations plugin does, failing when ``params:bad``. ``slow`` waits
#: ``params:delay`` seconds.
NODES = """
import time

import numpy as np

from hookline import Measurement, publish_measurement


def make(rows, mib, bad):
    ballast = np.ones(mib * 131072)
    publish_measurement(
        Measurement("validation.failed", float(bad), "count", node="make", dataset="table")
    )
    return np.zeros((rows, 2)), ballast


def slow(table, delay):
    time.sleep(delay)
    return len(table)
"""

REGISTRY = """
return {
    "__default__": pipeline([
        node(make, ["params:rows", "params:mib", "params:bad"], ["table", "ballast"], name="make"),
        node(slow, ["table", "params:delay"], "count", name="slow"),
    ])
}
"""

PARAMETERS = "rows: 100\nmib: 1\nbad: 0\ndelay: 0\n"


@pytest.fixture
def guarded(make_project: ProjectFactory) -> Path:
    """The project of :data:`NODES`, with two successful runs in its history."""
    project = make_project(NODES, REGISTRY, conf={"base/parameters.yml": PARAMETERS})
    for _ in range(2):
        HooklineSession.create(project).run()
    return project


def run(project: Path, **params: object) -> RunResult:
    return HooklineSession.create(project, extra_params=params).run()


def kinds(result: RunResult) -> list[tuple[str, str]]:
    """(kind, node or dataset) of each regression found."""
    assert result.regressions is not None
    return [(r.kind, r.subject) for r in result.regressions.found]


def test_a_run_like_its_baseline_has_no_regression(guarded: Path) -> None:
    result = run(guarded)

    assert kinds(result) == []
    assert result.regressions is not None
    assert result.regressions.baseline_runs == 2


def test_a_slower_node_is_a_regression(guarded: Path) -> None:
    result = run(guarded, delay=0.6)

    assert kinds(result) == [("duration", "slow")]
    (regression,) = result.regressions.found if result.regressions else ()
    assert regression.value >= 0.6
    # Published as a measurement, so every sink (and the history) has it.
    assert [(m.name, m.node) for m in result.measurements if m.name.startswith("regression.")] == [
        ("regression.duration", "slow")
    ]


def test_fewer_rows_is_a_regression_and_a_small_drop_is_not(guarded: Path) -> None:
    assert kinds(run(guarded, rows=85)) == []
    assert kinds(run(guarded, rows=79)) == [("rows", "table")]


def test_a_validation_failing_where_it_passed_is_a_regression(guarded: Path) -> None:
    assert kinds(run(guarded, bad=1)) == [("validation", "table")]


def test_a_hungrier_node_is_a_regression(
    make_project: ProjectFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real memory plugin measures the node; the other product plugins stay off.
    others = [p for p in PRODUCT_PLUGINS.split(",") if p != "hookline-memory"]
    monkeypatch.setenv("HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS", ",".join(others))
    project = make_project(NODES, REGISTRY, conf={"base/parameters.yml": PARAMETERS})
    for _ in range(2):
        run(project)

    assert ("memory", "make") not in kinds(run(project, mib=20))
    assert ("memory", "make") in kinds(run(project, mib=200))


def test_thresholds_come_from_regressions_yml_per_node_and_dataset(
    make_project: ProjectFactory,
) -> None:
    project = make_project(
        NODES,
        REGISTRY,
        conf={
            "base/parameters.yml": PARAMETERS,
            "base/regressions.yml": """
                baseline_runs: 1
                nodes:
                  slow: {duration: {seconds: 30}}
                datasets:
                  table: {rows: {drop: 0.5}, validation: false}
            """,
        },
    )
    run(project)
    run(project)

    result = run(project, delay=0.6, rows=60, bad=1)

    assert result.regressions is not None
    assert result.regressions.baseline_runs == 1
    assert result.regressions.found == []
    # The baseline is now the last run alone (60 rows): half of it is the limit.
    assert kinds(run(project, rows=25)) == [("rows", "table")]


def test_no_baseline_is_said_once_and_never_fails(make_project: ProjectFactory) -> None:
    project = make_project(NODES, REGISTRY, conf={"base/parameters.yml": PARAMETERS})

    done = run_hookline(project, "run", "--regressions", "fail")

    assert done.returncode == 0, done.stderr
    assert done.stderr.count("No baseline yet for pipeline __default__") == 1


def test_regressions_fail_the_run_with_their_own_exit_code(guarded: Path) -> None:
    warned = run_hookline(guarded, "run", "--params", "rows=10")
    assert warned.returncode == 0, warned.stderr
    assert "Regressions (against the median of" in warned.stdout

    failed = run_hookline(guarded, "run", "--params", "rows=10", "--regressions", "fail")
    assert failed.returncode == 3, failed.stderr
    assert "rows" in failed.stdout
    # Recorded all the same, with the published regression.
    runs = HistoryStore(guarded / DEFAULT_HISTORY).runs()
    newest = HistoryStore(guarded / DEFAULT_HISTORY).load(runs[0].run_id)
    assert newest is not None
    assert newest.status == "completed"
    assert ("regression.rows", "table") in {(m.name, m.dataset) for m in newest.measurements}


def test_on_regression_fail_in_the_yaml_fails_the_run(guarded: Path) -> None:
    (guarded / "conf" / "local" / "regressions.yml").write_text("on_regression: fail\n")

    assert run_hookline(guarded, "run", "--params", "rows=10").returncode == 3
    assert (
        run_hookline(guarded, "run", "--params", "rows=10", "--regressions", "warn").returncode == 0
    )


def test_an_unknown_key_in_regressions_yml_is_a_usage_error(guarded: Path) -> None:
    (guarded / "conf" / "local" / "regressions.yml").write_text(
        "nodes:\n  slow: {duration: {factr: 2}}\n"
    )

    done = run_hookline(guarded, "run")

    assert done.returncode == 2
    assert "regressions.yml" in done.stderr
    assert "unknown key 'nodes.slow.duration.factr'" in done.stderr
