"""The libcst transformer behind :func:`hookline.porting.python_imports.rewrite_imports`.

A module of its own because it imports libcst at import time (its class derives from
libcst's), and libcst comes with the ``hookline[port]`` extra only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst
from libcst.metadata import PositionProvider

from hookline.porting.python_imports import (
    advice_for,
    is_kedro_module,
    split_names,
)
from hookline.porting.report import Change, Finding

if TYPE_CHECKING:
    from hookline.porting.python_imports import ImportRewrite


def _dotted(node: cst.BaseExpression) -> str:
    return cst.Module([]).code_for_node(node)


def _module_node(dotted: str) -> cst.Attribute | cst.Name:
    parsed = cst.parse_expression(dotted)
    assert isinstance(parsed, cst.Attribute | cst.Name)  # a dotted name parses to one of them
    return parsed


def _renamed(alias: cst.ImportAlias, new_name: str) -> cst.ImportAlias:
    """``alias`` importing ``new_name``, still bound to the name the code uses."""
    old_name = alias.name
    if isinstance(old_name, cst.Name) and old_name.value == new_name:
        return alias
    bound = alias.asname or cst.AsName(name=cst.Name(_dotted(old_name)))
    return alias.with_changes(name=cst.Name(new_name), asname=bound)


def _last_without_comma(aliases: list[cst.ImportAlias]) -> list[cst.ImportAlias]:
    return [
        alias.with_changes(comma=cst.MaybeSentinel.DEFAULT) if i == len(aliases) - 1 else alias
        for i, alias in enumerate(aliases)
    ]


class KedroImportTransformer(cst.CSTTransformer):
    """Points the Kedro imports that have a hookline counterpart at hookline, records the rest."""

    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, file: str, result: ImportRewrite) -> None:
        super().__init__()
        self._file = file
        self._result = result

    def _line(self, node: cst.CSTNode) -> int:
        return int(self.get_metadata(PositionProvider, node).start.line)

    def _not_ported(self, node: cst.CSTNode, api: str, action: str | None = None) -> None:
        finding = Finding(self._file, self._line(node), api, action or advice_for(api))
        self._result.not_ported.append(finding)

    def leave_Import(
        self, original_node: cst.Import, updated_node: cst.Import
    ) -> cst.BaseSmallStatement:
        """``import kedro.x`` is reported: its uses are attribute accesses, not import lines."""
        for alias in original_node.names:
            name = _dotted(alias.name)
            if is_kedro_module(name):
                self._not_ported(
                    original_node,
                    name,
                    f"uses of {name}.<name> are not rewritten: import the names from "
                    "hookline instead, or keep kedro installed",
                )
        return updated_node

    def leave_ImportFrom(
        self, original_node: cst.ImportFrom, updated_node: cst.ImportFrom
    ) -> cst.BaseSmallStatement | cst.FlattenSentinel[cst.BaseSmallStatement]:
        """Rewrite one ``from kedro... import ...``."""
        if original_node.relative or original_node.module is None:
            return updated_node
        module = _dotted(original_node.module)
        if not is_kedro_module(module):
            return updated_node
        if isinstance(updated_node.names, cst.ImportStar):
            self._not_ported(
                original_node,
                f"{module}.*",
                "import the names used one by one, from hookline where they have a counterpart",
            )
            return updated_node
        ported, kept = split_names(module, updated_node.names)
        for alias in kept:
            self._not_ported(original_node, f"{module}.{_dotted(alias.name)}")
        if not ported:
            return updated_node
        targets = ", ".join(ported)
        self._result.changes.append(
            Change(self._file, self._line(original_node), f"from {module} -> from {targets}")
        )
        if len(ported) == 1 and not kept:
            # One target: only the module changes, the names keep their layout and comments.
            (target, pairs) = next(iter(ported.items()))
            names = [_renamed(alias, new) for alias, new in pairs]
            return updated_node.with_changes(module=_module_node(target), names=names)
        statements: list[cst.BaseSmallStatement] = [
            cst.ImportFrom(
                module=_module_node(target),
                names=_last_without_comma([_renamed(alias, new) for alias, new in pairs]),
            )
            for target, pairs in ported.items()
        ]
        statements.append(
            cst.ImportFrom(module=original_node.module, names=_last_without_comma(kept))
        )
        return cst.FlattenSentinel(statements)

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.FlattenSentinel[cst.SimpleStatementLine]:
        """Put the statements a split import became on lines of their own."""
        if len(original_node.body) != 1 or len(updated_node.body) == 1:
            return updated_node
        body = updated_node.body
        lines = [
            cst.SimpleStatementLine(
                body=[statement.with_changes(semicolon=cst.MaybeSentinel.DEFAULT)]
            )
            for statement in body
        ]
        lines[0] = lines[0].with_changes(leading_lines=updated_node.leading_lines)
        lines[-1] = lines[-1].with_changes(trailing_whitespace=updated_node.trailing_whitespace)
        return cst.FlattenSentinel(lines)
