"""[tool.hookline] lands next to [tool.kedro]; the rest of pyproject.toml stays byte for byte."""

from __future__ import annotations

from pathlib import Path

from hookline.porting.pyproject import add_hookline_table, hookline_table
from hookline.project import read_metadata

KEDRO = """\
[project]
name = "shop"  # the distribution

[tool.kedro]
package_name = "shop"
project_name = "Shop"
source_dir = "code"
kedro_init_version = "1.7.0"

[tool.kedro.extra]
x = 1

# Linting.
[tool.ruff]
line-length = 100
"""


def test_the_table_goes_after_tool_kedro_and_before_the_next_tables_comment(
    tmp_path: Path,
) -> None:
    table = hookline_table({"package_name": "shop", "project_name": "Shop", "source_dir": "code"})
    text, change = add_hookline_table(KEDRO, table)
    assert text == KEDRO.replace(
        "x = 1\n",
        'x = 1\n\n[tool.hookline]\npackage_name = "shop"\nproject_name = "Shop"\n'
        'source_dir = "code"\n',
    )
    assert change is not None
    assert text.splitlines()[change.line - 1] == "[tool.hookline]"
    (tmp_path / "pyproject.toml").write_text(text)
    metadata = read_metadata(tmp_path / "pyproject.toml")
    assert (metadata.package_name, metadata.project_name) == ("shop", "Shop")
    assert metadata.source_dir == tmp_path / "code"


def test_a_project_that_has_the_table_already_is_left_alone() -> None:
    text = KEDRO + '\n[tool.hookline]\npackage_name = "other"\n'
    assert add_hookline_table(text, {"package_name": "shop"}) == (text, None)


def test_tool_kedro_written_as_dotted_keys_gets_the_table_from_tomlkit() -> None:
    text = '[tool]\nkedro.package_name = "shop"  # dotted\n'
    new_text, change = add_hookline_table(text, {"package_name": "shop"})
    assert new_text.startswith(text)
    assert '[tool.hookline]\npackage_name = "shop"' in new_text
    assert change is not None
