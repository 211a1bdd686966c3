"""``find_pipelines()`` in a real project on disk: ``pipelines/<name>/`` packages and a
``pipeline`` module are found, a broken one is skipped with a warning naming it and its error."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hookline import find_pipelines
from hookline.errors import ProjectError
from hookline.pipeline_discovery import PipelineDiscoveryWarning
from hookline.project import read_metadata
from hookline.runner import AbstractRunner
from hookline.session import HooklineSession
from tests.support import ProjectFactory

from .conftest import hookline

NODES = """
def double(x):
    return x * 2

def plus_one(x):
    return x + 1
"""

REGISTRY = """
from hookline import find_pipelines
pipelines = find_pipelines()
pipelines["__default__"] = sum(pipelines.values())
return pipelines
"""

CATALOG = """
x:
  type: json.JSONDataset
  filepath: data/x.json
y:
  type: json.JSONDataset
  filepath: data/y.json
z:
  type: json.JSONDataset
  filepath: data/z.json
"""

PIPELINE = """
from hookline import node, pipeline
from {package}.nodes import {func}

def create_pipeline(**kwargs):
    return pipeline([node({func}, "{source}", "{target}", name="{func}")])
"""

INIT = "from .pipeline import create_pipeline\n"


def package_of(project: Path) -> tuple[str, Path]:
    metadata = read_metadata(project / "pyproject.toml")
    return metadata.package_name, metadata.source_dir / metadata.package_name


def add_pipeline(project: Path, name: str, func: str, source: str, target: str) -> None:
    package, folder = package_of(project)
    where = folder / "pipelines" / name
    where.mkdir(parents=True)
    (folder / "pipelines" / "__init__.py").write_text("")
    (where / "__init__.py").write_text(INIT)
    (where / "pipeline.py").write_text(
        PIPELINE.format(package=package, func=func, source=source, target=target)
    )


def add_module(project: Path, relative: str, source: str) -> None:
    path = package_of(project)[1] / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    root = make_project(NODES, REGISTRY, conf={"base/catalog.yml": CATALOG})
    (root / "data").mkdir()
    (root / "data" / "x.json").write_text("5")
    add_pipeline(root, "doubling", "double", "x", "y")
    add_pipeline(root, "counting", "plus_one", "y", "z")
    return root


@pytest.fixture
def importable(project: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The project's package, importable from this process; its name."""
    metadata = read_metadata(project / "pyproject.toml")
    monkeypatch.syspath_prepend(str(metadata.source_dir))
    return metadata.package_name


def test_pipelines_of_pipelines_folders_are_found_and_run_by_every_runner(
    project: Path, runner: AbstractRunner
) -> None:
    session = HooklineSession.create(project)
    session.run(runner=runner)
    assert (project / "data" / "z.json").read_text() == "11"
    for name, node_name in (("doubling", "double"), ("counting", "plus_one")):
        ran = HooklineSession.create(project).run(name, runner=runner)
        assert [record.name for record in ran.records] == [node_name]


def test_without_a_pipeline_module_the_default_is_empty(importable: str) -> None:
    found = find_pipelines(package=importable)
    assert sorted(found) == ["__default__", "counting", "doubling"]
    assert len(found["__default__"]) == 0
    assert [n.name for n in found["doubling"].nodes] == ["double"]


def test_a_pipeline_module_of_the_package_is_the_default(project: Path, importable: str) -> None:
    add_module(
        project,
        "pipeline.py",
        PIPELINE.format(package=importable, func="plus_one", source="x", target="w"),
    )
    found = find_pipelines(package=importable)
    assert [n.name for n in found["__default__"].nodes] == ["plus_one"]


def test_a_module_that_fails_to_import_is_skipped_with_a_warning_naming_it(
    project: Path, importable: str
) -> None:
    add_module(project, "pipelines/broken/__init__.py", "import not_installed_anywhere\n")
    with pytest.warns(PipelineDiscoveryWarning) as caught:
        found = find_pipelines(package=importable)
    assert sorted(found) == ["__default__", "counting", "doubling"]
    (warning,) = caught
    message = str(warning.message)
    assert message.startswith(
        f"Importing the pipeline module '{importable}.pipelines.broken' failed: "
        "ModuleNotFoundError: No module named 'not_installed_anywhere'."
    )


def test_a_module_without_create_pipeline_or_a_pipeline_is_skipped_with_a_warning(
    project: Path, importable: str
) -> None:
    add_module(project, "pipelines/empty/__init__.py", "")
    add_module(project, "pipelines/wrong/__init__.py", "def create_pipeline():\n    return 3\n")
    with pytest.warns(PipelineDiscoveryWarning) as caught:
        found = find_pipelines(package=importable)
    assert sorted(found) == ["__default__", "counting", "doubling"]
    messages = sorted(str(w.message) for w in caught)
    assert messages == [
        f"The pipeline module '{importable}.pipelines.empty' has no create_pipeline() "
        "function, so nothing defined in it is registered.",
        f"create_pipeline() of the pipeline module '{importable}.pipelines.wrong' must return "
        "a Pipeline, got int; nothing defined in it is registered.",
    ]


def test_raise_errors_raises_instead_of_warning(project: Path, importable: str) -> None:
    add_module(project, "pipelines/broken/__init__.py", "raise RuntimeError('no luck')\n")
    with pytest.raises(ProjectError, match=r"pipelines.broken' failed: RuntimeError: no luck"):
        find_pipelines(raise_errors=True, package=importable)


def test_only_the_pipelines_asked_for_are_loaded(project: Path, importable: str) -> None:
    add_module(project, "pipelines/broken/__init__.py", "raise RuntimeError('no luck')\n")
    assert sorted(find_pipelines(pipelines_to_find=["counting"], package=importable)) == [
        "counting"
    ]
    with pytest.warns(PipelineDiscoveryWarning, match=r"Pipeline 'nope' was asked for"):
        find_pipelines(pipelines_to_find=["nope"], package=importable)


def test_outside_a_pipeline_registry_the_package_must_be_given() -> None:
    with pytest.raises(ProjectError, match=r"call it from register_pipelines\(\)"):
        find_pipelines()


def test_hookline_run_warns_about_a_broken_pipeline_and_runs_the_others(project: Path) -> None:
    add_module(project, "pipelines/broken/pipeline.py", "import not_installed_anywhere\n")
    add_module(project, "pipelines/broken/__init__.py", INIT)
    done = hookline(project, "run")
    assert done.returncode == 0, done.stderr
    assert ".pipelines.broken' failed: ModuleNotFoundError: No module named " in done.stderr
    assert (project / "data" / "z.json").read_text() == "11"
