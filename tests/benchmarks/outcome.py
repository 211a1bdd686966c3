"""What a case hands back to run.py: its tables, its target results, and what went wrong."""

from __future__ import annotations

from dataclasses import dataclass, field

from report import Rendered, Table
from targets import TargetResult


@dataclass
class CaseOutcome:
    """The result of one case.

    Attributes:
        tables: Markdown tables, in the order they are shown.
        targets: Issue 2's targets this case measured.
        checked: How many measurements had their result checked.
        failures: One line per measurement whose result was wrong or that failed to run.
    """

    tables: list[Table | Rendered] = field(default_factory=list)
    targets: list[TargetResult] = field(default_factory=list)
    checked: int = 0
    failures: list[str] = field(default_factory=list)
