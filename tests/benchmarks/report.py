"""Markdown output: tables, the number formats they use, and the results file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: What a cell shows when a figure was not measured (``--no-kedro``, or a size skipped).
NOT_MEASURED = "n/a"


@dataclass
class Table:
    """One Markdown table with a heading and notes under it."""

    title: str
    headers: Sequence[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        """The table as Markdown: a level-3 heading, the table, then the notes."""
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.headers) + " |")
        lines.append("|" + "|".join(" --- " for _ in self.headers) + "|")
        lines.extend("| " + " | ".join(row) + " |" for row in self.rows)
        if self.notes:
            lines.append("")
            lines.extend(self.notes)
        return "\n".join(lines) + "\n"


def number(value: float | None, digits: int = 1) -> str:
    """``1,234.5``-style, or ``n/a`` for a missing value."""
    return NOT_MEASURED if value is None else f"{value:,.{digits}f}"


def ratio(hookline: float | None, kedro: float | None) -> str:
    """hookline / Kedro as ``0.012 (83x faster)``; ``n/a`` when either is missing."""
    if hookline is None or kedro is None or kedro == 0 or hookline == 0:
        return NOT_MEASURED
    value = hookline / kedro
    if value < 1:
        return f"{value:.3f} ({1 / value:,.1f}x faster)"
    return f"{value:.2f} ({value:,.2f}x slower)"


def met(ok: bool) -> str:
    """The verdict shown next to a target."""
    return "met" if ok else "**not met**"


def write_results(markdown: str, results_dir: Path, stamp: str) -> Path:
    """Write ``markdown`` to ``results_dir/<stamp>.md`` and return the path."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{stamp}.md"
    path.write_text(markdown)
    return path


@dataclass(frozen=True)
class Rendered:
    """A section already rendered as Markdown (by a case run in another environment)."""

    text: str

    def render(self) -> str:
        """The Markdown as it came."""
        return self.text
