"""The real stack: a project run by hookline sends through the StatsD daemon (npm) to Carbon,
and graphite-web answers every target of every panel of the shipped Grafana dashboard.

The whisper files must hold what the run did (node timings bracketing what each node measured
of itself, row counts exact), and each panel target of ``grafana/dashboard.json`` sent to the
render API, as Grafana's Graphite data source sends it, must return series that have points and
carry the expected node and dataset names. The regressions panel is checked on runs of its own,
under a prefix of its own, so that the runs its baseline needs leave the exact figures of the
first run alone. A PNG of the node-duration panel, drawn by
graphite-web, is kept under ``$HOOKLINE_TEST_ARTIFACTS`` (default ``tests/artifacts/``).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from hookline.session import HooklineSession, RunFailed, RunResult
from hookline_statsd.names import metric_part
from tests.integration.servers.statsd_graphite import REPO, StatsdGraphite
from tests.support import ProjectFactory

from .conftest import DISABLE, all_plugins_but, panel_targets

pytestmark = pytest.mark.integration

DASHBOARD = REPO / "plugins" / "hookline-statsd" / "grafana" / "dashboard.json"
ARTIFACTS = Path(os.environ.get("HOOKLINE_TEST_ARTIFACTS") or REPO / "tests" / "artifacts")

COMPANIES = 25

NODES = """
import json
import os
import time

import pandas as pd


def _timed(name, seconds, work):
    # Each node measures its own function's wall time, for the test to compare with the timer.
    started = time.perf_counter()
    time.sleep(seconds)
    result = work()
    elapsed = time.perf_counter() - started
    with open(os.environ["STATSD_TEST_TIMINGS"], "a") as out:
        out.write(json.dumps({"node": name, "seconds": elapsed}) + "\\n")
    return result


def preprocess(companies, options):
    return _timed(
        "preprocess companies", 0.15 + options.get("delay", 0),
        lambda: companies.assign(score=companies["rating"] * options["scale"]),
    )


def split_data(frame, test_size):
    def work():
        cut = int(len(frame) * (1 - test_size))
        return frame.iloc[:cut], frame.iloc[cut:]
    return _timed("split", 0.05, work)


def names_of(train):
    return _timed("names_of", 0.1, lambda: list(train["name"]))


def boom(x):
    raise ValueError("boom")
"""

REGISTRY = """return {
    "__default__": pipeline([
        node(preprocess, ["companies", "params:model_options"], "preprocessed",
             name="preprocess companies"),
        node(split_data, ["preprocessed", "params:model_options.test_size"], ["train", "test"]),
        node(names_of, "train", "names", name="names_of"),
    ]),
    "broken": pipeline([node(boom, "params:model_options", "nothing", name="boom")]),
}"""

SPLIT = "split_data([preprocessed,params:model_options.test_size]) -> [train,test]"


def write_project(make_project: ProjectFactory, stack: StatsdGraphite, prefix: str) -> Path:
    project = make_project(
        NODES,
        REGISTRY,
        conf={
            "base/catalog.yml": """
                companies:
                  type: pandas.CSVDataset
                  filepath: data/companies.csv
                preprocessed:
                  type: pandas.CSVDataset
                  filepath: data/preprocessed.csv
            """,
            "base/parameters.yml": """
                model_options:
                  scale: 2
                  test_size: 0.2
            """,
            "base/statsd.yml": f"""
                host: {stack.host}
                port: {stack.port}
                prefix: {prefix}
            """,
        },
    )
    (project / "data").mkdir()
    rows = ["id,name,rating"] + [f"{i},company {i},{i % 5}" for i in range(COMPANIES)]
    (project / "data" / "companies.csv").write_text("\n".join(rows) + "\n")
    return project


@pytest.fixture
def graphite_run(
    statsd_graphite: StatsdGraphite,
    make_project: ProjectFactory,
    tmp_path: Path,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """One successful run of the default pipeline, then one failed run of 'broken', with this
    plugin and hookline-memory found through their entry points, as a user runs them."""
    project = write_project(make_project, statsd_graphite, prefix)
    timings = tmp_path / "timings.jsonl"
    monkeypatch.setenv("STATSD_TEST_TIMINGS", str(timings))
    monkeypatch.setenv(DISABLE, all_plugins_but("hookline-statsd", "hookline-memory"))
    started = time.time()
    result = HooklineSession.create(project).run()
    with pytest.raises(RunFailed):
        HooklineSession.create(project).run(pipeline_name="broken")
    own = {}
    for line in timings.read_text().splitlines():
        entry = json.loads(line)
        own[entry["node"]] = entry["seconds"]
    return {"prefix": prefix, "started": started, "result": result, "own": own}


def test_whisper_files_hold_what_the_run_did(
    statsd_graphite: StatsdGraphite, graphite_run: dict[str, Any]
) -> None:
    prefix, started = graphite_run["prefix"], graphite_run["started"]
    result: RunResult = graphite_run["result"]
    split = metric_part(SPLIT)
    assert split == "split_data_preprocessed_params-model_options-test_size_train_test"
    nodes = {"preprocess companies": "preprocess_companies", "split": split, "names_of": "names_of"}
    timers = {
        name: f"stats.timers.{prefix}.node.{part}.duration.mean" for name, part in nodes.items()
    }
    gauges = {
        f"stats.gauges.{prefix}.dataset.{dataset}.{figure}": value
        for dataset, figure, value in [
            ("companies", "rows", COMPANIES),
            ("companies", "columns", 3),
            ("preprocessed", "rows", COMPANIES),
            ("preprocessed", "columns", 4),
            ("train", "rows", COMPANIES * 8 // 10),
            ("test", "rows", COMPANIES * 2 // 10),
            ("names", "length", COMPANIES * 8 // 10),
        ]
    }
    counts = {
        f"stats_counts.{prefix}.run.__default__.count": 1,
        f"stats_counts.{prefix}.run.__default__.nodes_completed": 3,
        f"stats_counts.{prefix}.run.broken.count": 1,
        f"stats_counts.{prefix}.run.broken.failures": 1,
        f"stats_counts.{prefix}.node.boom.failure": 1,
        **{f"stats_counts.{prefix}.node.{part}.success": 1 for part in nodes.values()},
    }
    metrics = [*timers.values(), *gauges, *counts]
    points = statsd_graphite.graphite.wait_for_metrics(
        metrics,
        started,
        ready=lambda found: all(sum(v for _, v in found[m]) >= want for m, want in counts.items()),
    )
    missing = [metric for metric in metrics if not points[metric]]
    assert not missing, f"no whisper points for {missing}"

    # Row counts are exact (a dataset saved and loaded again in another flush interval has a
    # point for each).
    for metric, value in gauges.items():
        assert {v for _, v in points[metric]} == {value}, metric
    # Counters: the per-flush counts add up to what happened (the daemon does not resend a
    # counter that got nothing, so there is one point, or a few if a flush fell in between).
    for metric, value in counts.items():
        assert sum(v for _, v in points[metric]) == value, metric
    # Each node timing brackets what the node measured of its own function, and fits in the
    # node's whole time (loads and saves included) that the run reported. That it times the
    # function alone is pinned on a stepped clock (test_transport.py), not in wall time here.
    records = {record.name: record.seconds for record in result.records}
    for name, metric in timers.items():
        (timing,) = [v for _, v in points[metric]]
        own_ms = graphite_run["own"][name] * 1000
        record = records[name if name != "split" else SPLIT]
        assert own_ms <= timing <= record * 1000, (name, own_ms, timing, record)


def expected_series(prefix: str) -> dict[str, list[set[str]]]:
    """Panel title -> for each of its targets, the series names it must return."""
    nodes = {"preprocess_companies", metric_part(SPLIT), "names_of"}
    frames = {"companies", "preprocessed", "train", "test"}
    params = {"params-model_options", "params-model_options-test_size"}
    loaded = {"companies", "preprocessed", "train", *params}
    saved = {"preprocessed", "train", "test", "names"}
    return {
        "Node duration (mean)": [nodes],
        "Node duration (p90)": [nodes],
        "Slowest nodes": [nodes],
        "Node successes and failures": [{f"{n}.success" for n in nodes} | {"boom.failure"}],
        "Dataset rows and columns": [
            {f"{d}.rows" for d in frames},
            {f"{d}.columns" for d in frames},
        ],
        "Dataset bytes": [frames | params | {"names"}],
        "Dataset lengths": [{"names", "params-model_options"}],
        "Dataset load and save duration (mean)": [
            {f"{d}.load_duration" for d in loaded},
            {f"{d}.save_duration" for d in saved},
        ],
        "Dataset loads and saves": [
            {f"{d}.load_duration" for d in loaded},
            {f"{d}.save_duration" for d in saved},
        ],
        "Runs and failures": [
            {"__default__.count", "__default__.nodes_completed", "broken.count", "broken.failures"}
        ],
        "Run duration": [{"__default__", "broken"}],
        # hookline-memory's figures, through the core's measurement hook: at least every load,
        # save and node of the successful run (the failed run adds its own).
        "Memory peaks (hookline-memory)": [
            {f"load.{d}" for d in loaded}
            | {f"save.{d}" for d in saved}
            | {f"node.{n}" for n in nodes}
        ],
    }


#: The panel test_the_regressions_panel_shows_each_regression_of_a_run checks.
REGRESSIONS_PANEL = "Regressions"


def with_points(series: list[dict[str, Any]]) -> set[str]:
    """The names of the series that hold at least one value."""
    return {s["target"] for s in series if any(v is not None for v, _ in s["datapoints"])}


def test_every_target_of_every_dashboard_panel_returns_the_expected_series(
    statsd_graphite: StatsdGraphite, graphite_run: dict[str, Any]
) -> None:
    prefix, started = graphite_run["prefix"], graphite_run["started"]
    board = json.loads(DASHBOARD.read_text())
    expected = expected_series(prefix)
    targets = [(t, q) for t, q in panel_targets(board) if t != REGRESSIONS_PANEL]
    assert {title for title, _ in targets} == set(expected), "a panel without expectations"
    graphite = statsd_graphite.graphite
    position: dict[str, int] = {}
    for title, target in targets:
        index = position[title] = position.get(title, -1) + 1
        want = expected[title][index]
        # What Grafana does with the dashboard variable before sending the target.
        query = target.replace("${prefix}", prefix).replace("$prefix", prefix)
        assert "$" not in query, f"{title}: a variable Grafana would leave unresolved: {query}"
        deadline = time.monotonic() + 30
        while True:
            got = with_points(graphite.render(query, started))
            if want <= got or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        if title.startswith("Memory peaks"):
            assert want <= got, (title, query, want - got)
            assert all(name.split(".")[0] in {"load", "save", "node"} for name in got), got
        else:
            assert got == want, (title, query, sorted(got ^ want))


def test_the_regressions_panel_shows_each_regression_of_a_run(
    statsd_graphite: StatsdGraphite,
    make_project: ProjectFactory,
    tmp_path: Path,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two runs make the baseline; in the third 'preprocess companies' sleeps 1.5 s more (more
    # than 1.5 times and 0.5 s above its baseline) and 'train' has half its rows.
    project = write_project(make_project, statsd_graphite, prefix)
    monkeypatch.setenv("STATSD_TEST_TIMINGS", str(tmp_path / "timings.jsonl"))
    monkeypatch.setenv(DISABLE, all_plugins_but("hookline-statsd"))
    started = time.time()
    for _ in range(2):
        assert HooklineSession.create(project).run().regressions is not None
    worse = {"model_options.test_size": 0.6, "model_options.delay": 1.5}
    result = HooklineSession.create(project, extra_params=worse).run()
    assert result.regressions is not None
    found = {(r.kind, r.subject) for r in result.regressions.found}
    assert found == {("duration", "preprocess companies"), ("rows", "train")}
    board = json.loads(DASHBOARD.read_text())
    (target,) = [t for title, t in panel_targets(board) if title == REGRESSIONS_PANEL]
    query = target.replace("$prefix", prefix)
    want = {"duration.preprocess_companies", "rows.train"}
    deadline = time.monotonic() + 30
    while True:
        got = with_points(statsd_graphite.graphite.render(query, started))
        if want <= got or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert got == want, (query, sorted(got ^ want))


def test_graphite_web_draws_the_node_duration_panel(
    statsd_graphite: StatsdGraphite, graphite_run: dict[str, Any]
) -> None:
    prefix, started = graphite_run["prefix"], graphite_run["started"]
    board = json.loads(DASHBOARD.read_text())
    (panel,) = [p for p in board["panels"] if p["title"] == "Node duration (mean)"]
    targets = [t["target"].replace("$prefix", prefix) for t in panel["targets"]]
    graphite = statsd_graphite.graphite
    metrics = [
        f"stats.timers.{prefix}.node.{metric_part(name)}.duration.mean"
        for name in ("preprocess companies", SPLIT, "names_of")
    ]
    points = graphite.wait_for_metrics(metrics, started)
    stamps = [stamp for metric in metrics for stamp, _ in points[metric]]
    assert stamps, points
    # Each node ran once, so each series is one point, which a line graph does not show:
    # empty intervals are drawn as zero, making each node a peak as high as its duration.
    # The window ends a few seconds after the last point (waited for), so the peaks stand
    # in the middle of the picture rather than at its edge.
    until = max(stamps) + 6
    time.sleep(max(0.0, until - time.time()))
    png = graphite.render_png(
        targets,
        min(stamps) - 12,
        until,
        width="900",
        height="450",
        title=f"{panel['title']} (prefix {prefix})",
        vtitle="ms",
        lineWidth="2",
        drawNullAsZero="true",
        areaMode="all",
        areaAlpha="0.3",
    )
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    artifact = ARTIFACTS / "statsd-node-duration-panel.png"
    artifact.write_bytes(png)
    assert artifact.stat().st_size > 1000
