"""Where a project's run history lives, and whether it is kept at all.

In order: the ``HOOKLINE_HISTORY`` environment variable, then ``history`` in the project's
``[tool.hookline]`` table, then ``.hookline/runs.db``. A relative path is taken from the
project's folder; ``off`` keeps no history.
"""

from __future__ import annotations

import os
from pathlib import Path

from hookline.errors import ProjectError
from hookline.project import ProjectMetadata, _read_toml

#: The environment variable naming the history file (or ``off``).
HISTORY_ENV_VAR = "HOOKLINE_HISTORY"

#: The history file when nothing else is set, relative to the project.
DEFAULT_HISTORY = ".hookline/runs.db"

#: The value that keeps no history.
OFF = "off"


def history_path(metadata: ProjectMetadata) -> Path | None:
    """The project's history file, or ``None`` when history is switched off.

    Raises:
        ProjectError: If ``[tool.hookline] history`` is not a string.
    """
    setting = os.environ.get(HISTORY_ENV_VAR)
    if setting is None:
        setting = _pyproject_setting(metadata)
    if setting.strip().lower() == OFF:
        return None
    return metadata.project_path / Path(setting).expanduser()


def _pyproject_setting(metadata: ProjectMetadata) -> str:
    pyproject = metadata.project_path / "pyproject.toml"
    table = _read_toml(pyproject).get("tool", {}).get("hookline", {})
    value = table.get("history", DEFAULT_HISTORY)
    if not isinstance(value, str):
        raise ProjectError(
            f"{pyproject}: [tool.hookline] history must be a path or 'off', got {value!r}."
        )
    return value
