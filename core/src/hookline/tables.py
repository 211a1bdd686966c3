"""Tables for people: rich tables on a terminal, plain aligned columns when piped.

Kept apart from :mod:`hookline.console` (the run's progress display), so that commands that
only print a table (``hookline runs``) start without importing the runners.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO


def is_terminal(stream: IO[str]) -> bool:
    """Whether ``stream`` is attached to a terminal (so a progress bar makes sense)."""
    return hasattr(stream, "isatty") and stream.isatty()


def write_table(
    stream: IO[str], title: str, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]
) -> None:
    """Write ``rows`` under ``header`` and ``title``: a rich table on a terminal, plain columns
    separated by two spaces otherwise (rich is imported only for a terminal)."""
    if is_terminal(stream):
        from rich.console import Console
        from rich.table import Table

        table = Table(*header, title=title)
        for row in rows:
            table.add_row(*row)
        Console(file=stream).print(table)
        return
    widths = [max(len(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    line = "  ".join(f"{{:<{width}}}" for width in widths)
    stream.write(f"{title}\n{line.format(*header)}\n")
    for row in rows:
        stream.write(line.format(*row) + "\n")
