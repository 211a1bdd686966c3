"""Checking a Kedro project's ``settings.py`` against what hookline reads.

``HOOKS``, ``DISABLE_HOOKS_FOR_PLUGINS``, ``CONF_SOURCE`` and ``CONFIG_LOADER_ARGS`` keep
their meaning and stay as written (the import lines of the hook classes are rewritten with
every other file). The classes Kedro lets a project replace have no counterpart (hookline stops
at start-up on each, see :data:`hookline.project.KEDRO_CLASS_SETTINGS`): each one set is
reported with what to do.
"""

from __future__ import annotations

import ast

from hookline.porting.report import Finding
from hookline.project import KEDRO_CLASS_SETTINGS

#: Kedro setting -> what to do about it: hookline stops at start-up on each of these.
REPORTED_SETTINGS = {
    **KEDRO_CLASS_SETTINGS,
    "SESSION_STORE_ARGS": "goes with SESSION_STORE_CLASS: remove it",
}


def settings_findings(source: str, file: str) -> list[Finding]:
    """A finding for each top-level assignment of a setting hookline does not have.

    Raises:
        SyntaxError: ``source`` is not valid Python.
    """
    findings = []
    for statement in ast.parse(source).body:
        targets: list[ast.expr] = []
        if isinstance(statement, ast.Assign):
            targets = statement.targets
        elif isinstance(statement, ast.AnnAssign):
            targets = [statement.target]
        for target in targets:
            if isinstance(target, ast.Name) and target.id in REPORTED_SETTINGS:
                findings.append(
                    Finding(file, statement.lineno, target.id, REPORTED_SETTINGS[target.id])
                )
    return findings


def conf_source(source: str) -> str:
    """``CONF_SOURCE`` when ``settings.py`` sets it to a string literal, else ``"conf"``."""
    for statement in ast.parse(source).body:
        if (
            isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "CONF_SOURCE" for t in statement.targets)
            and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str)
        ):
            return statement.value.value
    return "conf"
