"""What a port changed and what it could not port, for a terminal table or ``--json``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Change:
    """One edit the port makes (or would make, under ``--check``).

    Attributes:
        file: The file, relative to the project.
        line: The 1-based line of the edit.
        description: What changes, e.g. ``kedro.pipeline -> hookline``.
    """

    file: str
    line: int
    description: str


@dataclass(frozen=True)
class Finding:
    """One use of Kedro that the port leaves as it is.

    Attributes:
        file: The file, relative to the project.
        line: The 1-based line, or ``None`` for a whole file.
        api: The Kedro API (``kedro.framework.session.KedroSession``, ``CONTEXT_CLASS``).
        action: What the user should do about it.
    """

    file: str
    line: int | None
    api: str
    action: str


@dataclass
class PortReport:
    """Everything a port found, in the order the files were read.

    Attributes:
        project: The project folder.
        written: Whether the files were written (false under ``--check``).
        changes: The edits.
        not_ported: What the user still has to port by hand.
    """

    project: Path
    written: bool = False
    changes: list[Change] = field(default_factory=list)
    not_ported: list[Finding] = field(default_factory=list)

    def to_json(self) -> str:
        """The report as a JSON document."""
        return json.dumps(
            {
                "project": str(self.project),
                "written": self.written,
                "changes": [asdict(change) for change in self.changes],
                "not_ported": [asdict(finding) for finding in self.not_ported],
            },
            indent=2,
        )


def print_report(report: PortReport) -> None:
    """Print the report as two tables, for a person at a terminal."""
    from rich.console import Console  # imported here: `hookline --help` stays fast
    from rich.table import Table
    from rich.text import Text  # plain text: "[tool.hookline]" is no markup

    console = Console()
    verb = "Ported" if report.written else "Would port"
    changes = Table(title=f"{verb} {report.project}", title_justify="left")
    for column in ("file", "line", "change"):
        changes.add_column(column)
    for change in report.changes:
        changes.add_row(Text(change.file), str(change.line), Text(change.description))
    console.print(changes if report.changes else Text(f"{report.project}: nothing to change."))
    if not report.not_ported:
        console.print("Nothing is left to port by hand.")
        return
    left = Table(title="Not ported: to do by hand", title_justify="left")
    for column in ("file", "line", "Kedro API", "what to do"):
        left.add_column(column, overflow="fold")
    for finding in report.not_ported:
        line = "" if finding.line is None else str(finding.line)
        left.add_row(Text(finding.file), line, Text(finding.api), Text(finding.action))
    console.print(left)
