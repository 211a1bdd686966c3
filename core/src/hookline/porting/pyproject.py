"""Adding ``[tool.hookline]`` to a Kedro project's ``pyproject.toml``, next to ``[tool.kedro]``.

The table is rendered by tomlkit and put right after ``[tool.kedro]`` (and its sub-tables),
before the comments that introduce the next table; the rest of the file is left byte for byte.
tomlkit then reads the result back to check that the file is valid and says what was meant.
"""

from __future__ import annotations

import re
from typing import Any

from hookline.errors import ProjectError
from hookline.porting.report import Change

_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def hookline_table(kedro_table: dict[str, Any]) -> dict[str, str]:
    """The ``[tool.hookline]`` keys matching a ``[tool.kedro]`` table."""
    table = {"package_name": str(kedro_table["package_name"])}
    for key in ("project_name", "source_dir"):
        if isinstance(kedro_table.get(key), str):
            table[key] = kedro_table[key]
    return table


def add_hookline_table(text: str, table: dict[str, str]) -> tuple[str, Change | None]:
    """``text`` with a ``[tool.hookline]`` table, and the change; unchanged if it has one."""
    import tomlkit

    document = tomlkit.parse(text)
    if "hookline" in document.get("tool", {}):
        return text, None
    rendered = tomlkit.dumps({"tool": {"hookline": table}})
    lines = text.splitlines(keepends=True)
    at = _after_kedro_table(lines)
    if at is None:  # [tool.kedro] written as dotted keys or inline: let tomlkit place it
        document["tool"]["hookline"] = table
        new_text = tomlkit.dumps(document)
        line = new_text.splitlines().index("[tool.hookline]") + 1
    else:
        before = "".join(lines[:at])
        if before and not before.endswith("\n"):
            before += "\n"
        new_text = before + "\n" + rendered + "".join(lines[at:])
        line = before.count("\n") + 2
    _check(new_text, table)
    return new_text, Change("pyproject.toml", line, "added [tool.hookline]")


def _after_kedro_table(lines: list[str]) -> int | None:
    """The index of the line after ``[tool.kedro]``'s last key (its sub-tables included), or
    ``None`` if the file has no ``[tool.kedro]`` header."""
    start = None
    last_content = 0
    for index, line in enumerate(lines):
        header = _HEADER.match(line)
        if header is not None:
            name = header.group(1).replace(" ", "").replace('"', "")
            in_kedro = name == "tool.kedro" or name.startswith("tool.kedro.")
            if start is not None and not in_kedro:
                return last_content + 1
            if in_kedro:
                start = index
                last_content = index
        elif start is not None and line.strip() and not line.lstrip().startswith("#"):
            last_content = index
    return None if start is None else last_content + 1


def _check(text: str, table: dict[str, str]) -> None:
    """Read the edited file back: a layout the line scan misread must not be written."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        written = tomlkit.parse(text)["tool"]["hookline"]
    except TOMLKitError as error:
        raise ProjectError(f"pyproject.toml: adding [tool.hookline] failed: {error}") from None
    if dict(written) != table:
        raise ProjectError(
            f"pyproject.toml: [tool.hookline] reads back as {dict(written)}, not {table}: "
            "add it by hand"
        )
