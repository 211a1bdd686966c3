"""The shipped Grafana files: dashboard.json is what `hookline statsd dashboard` writes for
the default prefix, the command follows the project's prefix, and the provisioning files and
docker-compose.yml point at each other. (Grafana itself cannot run here; test_graphite.py
sends every panel target to a real graphite-web, which is what Grafana would do.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from hookline_statsd.dashboard import dashboard, dashboard_json
from tests.integration.servers.statsd_graphite import REPO
from tests.support import ProjectFactory

from .conftest import panel_targets

GRAFANA = REPO / "plugins" / "hookline-statsd" / "grafana"


def hookline(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hookline", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
    )


def prefix_variable(board: dict[str, Any]) -> dict[str, Any]:
    (variable,) = [v for v in board["templating"]["list"] if v["name"] == "prefix"]
    return variable


def test_the_shipped_dashboard_is_the_one_the_code_builds() -> None:
    assert (GRAFANA / "dashboard.json").read_text() == dashboard_json()


def test_every_target_queries_under_the_prefix_variable_from_a_graphite_source() -> None:
    board = dashboard()
    roots = ("stats.timers.$prefix.", "stats.gauges.$prefix.", "stats_counts.$prefix.")

    for title, target in panel_targets(board):
        assert any(root in target for root in roots), (title, target)
    for panel in board["panels"]:
        assert panel["datasource"] == {"type": "graphite", "uid": "${datasource}"}
    titles = {panel["title"] for panel in board["panels"]}
    assert {
        "Node duration (mean)",
        "Node duration (p90)",
        "Slowest nodes",
        "Dataset rows and columns",
        "Dataset loads and saves",
        "Runs and failures",
        "Memory peaks (hookline-memory)",
        "Regressions",
    } <= titles
    assert len({panel["id"] for panel in board["panels"]}) == len(board["panels"])


def test_the_command_writes_the_dashboard_for_a_given_prefix(tmp_path: Path) -> None:
    out = tmp_path / "board" / "hookline.json"

    done = hookline(
        "statsd", "dashboard", "--prefix", "team.pipelines", "-o", str(out), cwd=tmp_path
    )

    assert done.returncode == 0, done.stderr
    board = json.loads(out.read_text())
    assert prefix_variable(board)["query"] == "team.pipelines"
    assert prefix_variable(board)["current"]["value"] == "team.pipelines"
    # Only the variable's default changes: the targets still say $prefix.
    assert panel_targets(board) == panel_targets(dashboard())


def test_the_command_replaces_a_dashboard_whole_never_in_place(tmp_path: Path) -> None:
    folder = tmp_path / "provisioned"
    folder.mkdir()
    out = folder / "hookline.json"
    out.write_text('{"old": "dashboard"}\n')
    out.chmod(0o640)
    old_inode = out.stat().st_ino

    # What Grafana's provisioning would hold while the command writes: the old file, open.
    with out.open() as reader:
        done = hookline("statsd", "dashboard", "--prefix", "p", "-o", str(out), cwd=tmp_path)
        # Written in place, the open file would now be truncated or half new.
        assert reader.read() == '{"old": "dashboard"}\n'

    assert done.returncode == 0, done.stderr
    assert out.read_text() == dashboard_json("p")
    assert out.stat().st_ino != old_inode
    assert out.stat().st_mode & 0o777 == 0o640
    assert [path.name for path in folder.iterdir()] == ["hookline.json"]


def test_a_new_dashboard_file_gets_the_umask_permissions(tmp_path: Path) -> None:
    out = tmp_path / "hookline.json"
    umask = os.umask(0o022)
    os.umask(umask)

    done = hookline("statsd", "dashboard", "-o", str(out), cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    # Readable as any file the user writes: Grafana may run as another user.
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_the_command_follows_the_project_and_the_environment(
    make_project: ProjectFactory,
) -> None:
    project = make_project(
        "def f(x):\n    return x\n",
        'return {"__default__": pipeline([node(f, "a", "b")])}',
        conf={"base/statsd.yml": "prefix: from_file\n"},
    )

    from_file = hookline("statsd", "dashboard", cwd=project)
    from_env = hookline("statsd", "dashboard", cwd=project, STATSD_PREFIX="from.env")

    assert from_file.returncode == 0, from_file.stderr
    assert prefix_variable(json.loads(from_file.stdout))["query"] == "from_file"
    assert prefix_variable(json.loads(from_env.stdout))["query"] == "from.env"


def test_a_bad_prefix_is_a_one_line_error(tmp_path: Path) -> None:
    done = hookline("statsd", "dashboard", "--prefix", "params:x", cwd=tmp_path)

    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("Error: Option --prefix must be made of ASCII letters")
    assert "Traceback" not in done.stderr


def test_provisioning_loads_the_dashboard_from_where_compose_mounts_it() -> None:
    compose = yaml.safe_load((GRAFANA / "docker-compose.yml").read_text())
    (source,) = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "graphite.yml").read_text()
    )["datasources"]
    (provider,) = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "hookline.yml").read_text()
    )["providers"]

    assert source["type"] == "graphite"
    # The data source reaches graphite-web by the compose service's name and port.
    graphite = compose["services"]["graphite"]
    assert source["url"] == "http://graphite:80"
    assert "8125:8125/udp" in graphite["ports"]
    mounts = {v["target"]: v["source"] for v in compose["services"]["grafana"]["volumes"]}
    assert mounts["/etc/grafana/provisioning"] == "./provisioning"
    assert (GRAFANA / "provisioning").is_dir()
    (target,) = [t for t, s in mounts.items() if s == "${HOOKLINE_DASHBOARD:-./dashboard.json}"]
    assert (GRAFANA / "dashboard.json").is_file()
    assert Path(target).parent == Path(provider["options"]["path"])
    home = compose["services"]["grafana"]["environment"][
        "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"
    ]
    assert home == target
