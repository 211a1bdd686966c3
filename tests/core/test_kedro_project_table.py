"""A Kedro project's ``[tool.kedro]`` table makes a hookline project, and the Kedro settings that
name classes hookline cannot use are one clear error at start-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from hookline.errors import ProjectError
from hookline.project import find_project, read_metadata
from hookline.session import HooklineSession
from tests.support import ProjectFactory

from .conftest import hookline

NODES = "def double(x):\n    return x * 2\n"
REGISTRY = 'return {"__default__": pipeline([node(double, "params:x", "y", name="double")])}'


def kedro_table(package: str) -> str:
    """The ``pyproject.toml`` table ``kedro new`` writes."""
    return (
        "[tool.kedro]\n"
        f'package_name = "{package}"\n'
        'project_name = "Spaceflights"\n'
        'kedro_init_version = "1.7.0"\n'
        'tools = "[]"\n'
        'example_pipeline = "False"\n'
    )


@pytest.fixture
def kedro_project(make_project: ProjectFactory) -> Path:
    """A project whose pyproject.toml has Kedro's table and no [tool.hookline]."""
    project = make_project(NODES, REGISTRY, conf={"base/parameters.yml": "x: 21\n"})
    (project / "pyproject.toml").write_text(
        '[project]\nname = "spaceflights"\n\n' + kedro_table(project.name)
    )
    return project


def test_a_kedro_project_runs(kedro_project: Path) -> None:
    metadata = read_metadata(kedro_project / "pyproject.toml")
    assert metadata.package_name == kedro_project.name
    assert metadata.project_name == "Spaceflights"

    assert HooklineSession.create(kedro_project).run().outputs == {"y": 42}


def test_a_kedro_project_is_found_from_a_folder_inside_it(
    kedro_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(kedro_project / "conf" / "base")
    assert find_project().project_path == kedro_project.resolve()


def test_hooklines_table_wins_over_kedros(make_project: ProjectFactory) -> None:
    project = make_project(NODES, REGISTRY)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n" + kedro_table("not_this_one"))

    assert read_metadata(pyproject).package_name == project.name


def test_a_bad_package_name_names_kedros_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(kedro_table("not-a-package"))
    with pytest.raises(ProjectError, match=r"\[tool\.kedro\] package_name must be the name"):
        read_metadata(tmp_path / "pyproject.toml")


def test_neither_table_says_both_are_accepted(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    with pytest.raises(ProjectError, match=r"no \[tool\.hookline\] \(or \[tool\.kedro\]\) table"):
        read_metadata(tmp_path / "pyproject.toml")


KEDRO_CLASS_SETTINGS = """
class SparkContext:
    pass

class CachingCatalog:
    pass

CONTEXT_CLASS = SparkContext
DATA_CATALOG_CLASS = CachingCatalog
"""


def test_kedro_class_settings_are_one_error_naming_each_and_what_to_do(
    make_project: ProjectFactory,
) -> None:
    project = make_project(NODES, REGISTRY, KEDRO_CLASS_SETTINGS)
    with pytest.raises(ProjectError) as error:
        HooklineSession.create(project).load_context()

    message = str(error.value)
    assert message.startswith(
        f"{project.name}/settings.py sets CONTEXT_CLASS, DATA_CATALOG_CLASS, which hookline "
        "cannot use. Remove them from settings.py"
    )
    assert "CONTEXT_CLASS: hookline builds its own context" in message
    assert "DATA_CATALOG_CLASS: hookline uses its own DataCatalog" in message


@pytest.mark.parametrize(
    ("setting", "advice"),
    [
        ("CONFIG_LOADER_CLASS", "CONFIG_LOADER_ARGS"),
        ("SESSION_STORE_CLASS", "hookline keeps no session store"),
    ],
)
def test_hookline_run_exits_2_on_a_kedro_class_setting(
    make_project: ProjectFactory, setting: str, advice: str
) -> None:
    project = make_project(NODES, REGISTRY, f"class Custom:\n    pass\n\n{setting} = Custom\n")
    done = hookline(project, "run")

    assert done.returncode == 2
    [line] = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert f"settings.py sets {setting}, which hookline cannot use. Remove it" in line
    assert advice in line
