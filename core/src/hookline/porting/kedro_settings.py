"""Checking a Kedro project's ``settings.py`` against what hookline reads.

``HOOKS``, ``DISABLE_HOOKS_FOR_PLUGINS``, ``CONF_SOURCE`` and ``CONFIG_LOADER_ARGS`` keep
their meaning and stay as written (the import lines of the hook classes are rewritten with
every other file). The classes Kedro lets a project replace have no counterpart: each one
set is reported with what to do.
"""

from __future__ import annotations

import ast

from hookline.porting.report import Finding

#: Kedro setting -> what to do about it in hookline.
REPORTED_SETTINGS = {
    "CONTEXT_CLASS": (
        "hookline has one context class, HooklineContext: move what the custom context adds "
        "into a hook (after_context_created) and remove the setting"
    ),
    "SESSION_STORE_CLASS": (
        "hookline keeps its own run history (`hookline runs`): remove the setting"
    ),
    "SESSION_STORE_ARGS": "goes with SESSION_STORE_CLASS: remove the setting",
    "DATA_CATALOG_CLASS": (
        "hookline has one catalog class: move what the custom catalog adds into a hook "
        "(after_catalog_created) and remove the setting"
    ),
    "CONFIG_LOADER_CLASS": (
        "hookline's config loader reads conf/ with OmegaConf's syntax: remove the setting; "
        "CONFIG_LOADER_ARGS is kept"
    ),
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
