"""`hookline port-kedro` run as a user runs it, on Kedro-shaped projects written to disk."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from .conftest import git, hookline, snapshot, write


def test_a_ported_project_runs_under_hookline(kedro_project: Path) -> None:
    ported = hookline("port-kedro", kedro_project)
    assert ported.returncode == 0, ported.stderr
    # What the report says to do by hand, done as a user would: drop the unused Kedro import.
    hooks = kedro_project / "src/shop/hooks.py"
    hooks.write_text(hooks.read_text().replace("from kedro.framework.session", "# from kedro"))
    raw = kedro_project / "data/01_raw/prices.pkl"
    raw.parent.mkdir(parents=True)
    raw.write_bytes(pickle.dumps([1, 2, 3]))

    run = hookline("run", "--project", kedro_project, cwd=kedro_project)

    assert run.returncode == 0, run.stderr
    assert json.loads((kedro_project / "data/08_reporting/sum.json").read_text()) == 12
    assert "ran double" in run.stdout
    assert "ran total" in run.stdout


def test_the_report_names_file_line_api_and_what_to_do(kedro_project: Path) -> None:
    done = hookline("port-kedro", "--json", kedro_project)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["written"] is True
    assert report["project"] == str(kedro_project.resolve())
    assert {(c["file"], c["line"]) for c in report["changes"]} == {
        ("pyproject.toml", 17),
        ("src/shop/hooks.py", 1),
        ("src/shop/pipeline_registry.py", 1),
        ("src/shop/pipelines/prices/pipeline.py", 3),
        ("conf/base/catalog.yml", 7),
    }
    left = {(f["file"], f["line"], f["api"]) for f in report["not_ported"]}
    assert left == {
        ("pyproject.toml", 8, "kedro (dependency)"),
        ("src/shop/hooks.py", 4, "kedro.framework.session.KedroSession"),
    }
    assert all(f["action"] for f in report["not_ported"])


def test_the_terminal_table_lists_changes_and_what_is_left(kedro_project: Path) -> None:
    done = hookline("port-kedro", kedro_project)
    assert done.returncode == 0, done.stderr
    assert "added [tool.hookline]" in done.stdout
    assert "kedro.framework.session.KedroSession" in done.stdout
    assert "src/shop/hooks.py" in done.stdout


def test_comments_and_layout_are_kept(kedro_project: Path) -> None:
    before = snapshot(kedro_project)
    assert hookline("port-kedro", kedro_project).returncode == 0
    pipeline = (kedro_project / "src/shop/pipelines/prices/pipeline.py").read_text()
    assert pipeline == before["src/shop/pipelines/prices/pipeline.py"][0].decode().replace(
        "from kedro.pipeline import", "from hookline import"
    )
    assert (
        (kedro_project / "src/shop/hooks.py")
        .read_text()
        .startswith(
            "from hookline import (\n    hook_impl,  # the marker Kedro and hookline share\n)\n"
        )
    )
    catalog = (kedro_project / "conf/base/catalog.yml").read_text()
    assert catalog == before["conf/base/catalog.yml"][0].decode().replace(
        '"kedro_datasets.json.JSONDataset"', '"json.JSONDataset"'
    )


def test_settings_kedro_lets_replace_are_reported_and_the_rest_kept(kedro_project: Path) -> None:
    settings = kedro_project / "src/shop/settings.py"
    settings.write_text(
        settings.read_text()
        + "from kedro.config import OmegaConfigLoader\n"
        + "CONFIG_LOADER_CLASS = OmegaConfigLoader\n"
        + "CONTEXT_CLASS = object\n"
    )
    done = hookline("port-kedro", "--json", kedro_project)
    report = json.loads(done.stdout)
    found = {f["api"]: f["line"] for f in report["not_ported"] if f["file"].endswith("settings.py")}
    assert found == {
        "kedro.config.OmegaConfigLoader": 8,
        "CONFIG_LOADER_CLASS": 9,
        "CONTEXT_CLASS": 10,
    }
    text = settings.read_text()
    assert "HOOKS = (ShopHooks(),)" in text
    assert "CONFIG_LOADER_ARGS = {" in text


def test_check_reports_and_writes_nothing(kedro_project: Path) -> None:
    before = snapshot(kedro_project)
    done = hookline("port-kedro", "--check", "--json", kedro_project)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["written"] is False
    assert len(report["changes"]) == 5
    assert snapshot(kedro_project) == before
    assert sorted(p.name for p in kedro_project.rglob(".tmp-*")) == []


def test_a_second_port_changes_nothing(kedro_project: Path) -> None:
    assert hookline("port-kedro", kedro_project).returncode == 0
    before = snapshot(kedro_project)
    again = json.loads(hookline("port-kedro", "--json", kedro_project).stdout)
    assert again["changes"] == []
    assert snapshot(kedro_project) == before


def test_a_rewritten_file_keeps_its_permissions_and_line_endings(kedro_project: Path) -> None:
    script = kedro_project / "src/shop/run_me.py"
    script.write_bytes(b"#!/usr/bin/env python\r\nfrom kedro.pipeline import node\r\n")
    script.chmod(0o750)
    assert hookline("port-kedro", kedro_project).returncode == 0
    assert script.read_bytes() == b"#!/usr/bin/env python\r\nfrom hookline import node\r\n"
    assert script.stat().st_mode & 0o777 == 0o750


def test_a_file_that_is_not_python_is_reported_and_the_others_are_ported(
    kedro_project: Path,
) -> None:
    broken = kedro_project / "src/shop/broken.py"
    broken.write_text("from kedro.pipeline import node\ndef (:\n")
    done = hookline("port-kedro", "--json", kedro_project)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    [finding] = [f for f in report["not_ported"] if f["file"] == "src/shop/broken.py"]
    assert finding["api"] == "syntax"
    assert broken.read_text() == "from kedro.pipeline import node\ndef (:\n"
    assert "from hookline import" in (kedro_project / "src/shop/hooks.py").read_text()


@pytest.mark.parametrize("has_pyproject", [False, True])
def test_a_folder_that_is_not_a_kedro_project_is_one_error_and_nothing_written(
    tmp_path: Path, has_pyproject: bool
) -> None:
    folder = tmp_path / "not_kedro"
    write(folder, {"src/x/pipeline.py": "from kedro.pipeline import node\n"})
    if has_pyproject:
        write(folder, {"pyproject.toml": '[project]\nname = "x"\n'})
    before = snapshot(folder)
    done = hookline("port-kedro", folder)
    assert done.returncode == 2
    assert done.stderr.count("Error:") == 1
    assert f"{folder} is not a Kedro project" in done.stderr
    assert ("[tool.kedro]" in done.stderr) is has_pyproject
    assert snapshot(folder) == before


def test_the_current_folder_is_the_default(kedro_project: Path) -> None:
    done = hookline("port-kedro", "--check", "--json", cwd=kedro_project)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["project"] == str(kedro_project.resolve())


def test_files_reached_through_symlinks_out_of_the_project_are_not_touched(
    kedro_project: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    shared_code = "from kedro.pipeline import node\n"
    write(
        elsewhere,
        {"shared.py": shared_code, "conf/base/catalog.yml": "x:\n  type: pandas.ExcelDataset\n"},
    )
    (kedro_project / "src/shop/shared.py").symlink_to(elsewhere / "shared.py")
    (kedro_project / "conf/prod").symlink_to(elsewhere / "conf/base", target_is_directory=True)
    outside = snapshot(elsewhere)

    done = hookline("port-kedro", "--json", kedro_project)

    assert done.returncode == 0, done.stderr
    assert snapshot(elsewhere) == outside
    reported = {f["file"]: f["api"] for f in json.loads(done.stdout)["not_ported"]}
    assert reported["src/shop/shared.py"] == "symlink"
    assert reported["conf/prod"] == "symlink"


def test_a_project_reached_through_a_symlink_is_ported_where_it_lives(
    kedro_project: Path, tmp_path: Path
) -> None:
    link = tmp_path / "link"
    link.symlink_to(kedro_project, target_is_directory=True)
    assert hookline("port-kedro", link).returncode == 0
    assert "[tool.hookline]" in (kedro_project / "pyproject.toml").read_text()


def test_a_git_work_tree_with_uncommitted_changes_is_refused_unless_forced(
    kedro_project: Path,
) -> None:
    git(kedro_project, "init", "-q")
    git(kedro_project, "add", "-A")
    git(kedro_project, "commit", "-q", "-m", "the Kedro project")
    nodes = kedro_project / "src/shop/pipelines/prices/nodes.py"
    nodes.write_text(nodes.read_text() + "\n# work in progress\n")
    before = snapshot(kedro_project)

    refused = hookline("port-kedro", kedro_project)

    assert refused.returncode == 2
    assert "uncommitted changes" in refused.stderr
    assert "src/shop/pipelines/prices/nodes.py" in refused.stderr
    assert "--force" in refused.stderr
    assert snapshot(kedro_project) == before
    # --check only reads: allowed on a dirty tree.
    assert hookline("port-kedro", "--check", kedro_project).returncode == 0

    forced = hookline("port-kedro", "--force", kedro_project)
    assert forced.returncode == 0, forced.stderr
    assert "[tool.hookline]" in (kedro_project / "pyproject.toml").read_text()


def test_a_clean_git_work_tree_is_ported_and_the_diff_is_the_port(kedro_project: Path) -> None:
    git(kedro_project, "init", "-q")
    git(kedro_project, "add", "-A")
    git(kedro_project, "commit", "-q", "-m", "the Kedro project")
    done = hookline("port-kedro", kedro_project)
    assert done.returncode == 0, done.stderr
    assert git(kedro_project, "status", "--porcelain").split("\n")[:-1] == [
        " M conf/base/catalog.yml",
        " M pyproject.toml",
        " M src/shop/hooks.py",
        " M src/shop/pipeline_registry.py",
        " M src/shop/pipelines/prices/pipeline.py",
    ]
