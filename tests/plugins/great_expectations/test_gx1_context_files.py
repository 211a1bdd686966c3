"""A damaged file of a GX Core 1.x context stops the run before its first node, with one
error naming the file. Real file contexts, damaged as a bad edit or a truncated copy would
leave them; collected only where GX Core 1.x is installed (see conftest.py).
"""

from __future__ import annotations

import pytest

from hookline.errors import ConfigError
from hookline.runner import SequentialRunner
from hookline.session import HooklineSession

from .conftest import ProjectFactory, ge_config, ran
from .gx1_context import build_gx1_context

#: The context's files each style reads at start-up, relative to ``gx/``.
DAMAGEABLE = [
    "great_expectations.yml",
    "uncommitted/config_variables.yml",
    "expectations/companies.json",
    "checkpoints/preprocessed_companies_checkpoint.json",
    "validation_definitions/preprocessed_companies_checkpoint.json",
]


@pytest.mark.parametrize("relative", DAMAGEABLE)
def test_a_damaged_context_file_is_named_before_any_node(
    relative: str, ge_project: ProjectFactory
) -> None:
    project = ge_project(
        ge_config(
            {
                "companies": {"suite": "companies"},
                "preprocessed_companies": {"checkpoint": "preprocessed_companies_checkpoint"},
            }
        ),
        build_context=build_gx1_context,
    )
    damaged = project / "gx" / relative
    assert damaged.is_file()
    text = damaged.read_text()
    # Cut in the middle of a structure: no longer valid JSON, nor YAML.
    damaged.write_text(text[: len(text) // 2] + "\n  - [unclosed: {\n")

    with pytest.raises(ConfigError) as caught:
        HooklineSession.create(project).run(runner=SequentialRunner())

    message = str(caught.value)
    source = project / "conf" / "base" / "great_expectations.yml"
    assert message.startswith(
        f"{source}: the Great Expectations context at {project / 'gx'} cannot be read: "
        f"damaged file(s): {damaged} ("
    )
    # Only the damaged file is listed.
    listed = message.split("damaged file(s): ", 1)[1].split(". Fix or restore them", 1)[0]
    assert [other for other in DAMAGEABLE if str(project / "gx" / other) in listed] == [relative]
    assert ran(project) == set()


def test_the_error_never_quotes_a_connection_string_of_the_damaged_file(
    ge_project: ProjectFactory,
) -> None:
    project = ge_project(
        ge_config({"companies": {"suite": "companies"}}), build_context=build_gx1_context
    )
    variables = project / "gx" / "uncommitted" / "config_variables.yml"
    # A bad edit on the line of a secret: YAML parsers quote the line they stopped at.
    variables.write_text(
        "warehouse_url: postgresql://analyst:s3cr3t@db.example:5432/warehouse: [unclosed\n"
    )

    with pytest.raises(ConfigError) as caught:
        HooklineSession.create(project).run(runner=SequentialRunner())

    message = str(caught.value)
    assert f"damaged file(s): {variables} (" in message
    assert "s3cr3t" not in message
    assert "analyst" not in message
    # One line: Great Expectations' own text is cut to its first line.
    assert "\n" not in message
    assert ran(project) == set()
