"""The guards before a port writes, and the writes themselves.

A port writes only inside the project, only when git can give the user their files back
(no uncommitted changes in the project, unless forced), and each file atomically: a port
stopped half way leaves every file either as it was or fully ported.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from hookline.datasets.base import atomic_write
from hookline.errors import ProjectError


def uncommitted_changes(root: Path) -> list[str] | None:
    """The project's files git sees as changed or untracked (``git status --porcelain``), or
    ``None`` when the project is not in a git work tree (or git is not installed).

    Raises:
        ProjectError: ``git status`` fails in the work tree.
    """
    git = shutil.which("git")
    if git is None:
        return None
    inside = subprocess.run(
        [git, "-C", str(root), "rev-parse", "--is-inside-work-tree"],
        capture_output=True,
        text=True,
        check=False,
    )
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return None
    status = subprocess.run(
        [git, "-C", str(root), "status", "--porcelain", "--untracked-files=all", "--", "."],
        capture_output=True,
        text=True,
        check=False,
    )
    if status.returncode != 0:
        raise ProjectError(f"git status failed in {root}: {status.stderr.strip()}")
    return [line[3:] for line in status.stdout.splitlines() if line.strip()]


def refuse_dirty_work_tree(root: Path) -> None:
    """Raise if the project has uncommitted changes that a port would mix its edits into.

    Raises:
        ProjectError: naming the first changed files and ``--force``.
    """
    changed = uncommitted_changes(root)
    if not changed:
        return
    shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
    raise ProjectError(
        f"{root} has uncommitted changes in git ({shown}): commit or stash them first, so that "
        "the port's edits can be reviewed and undone on their own, or pass --force."
    )


def write_files(root: Path, texts: Mapping[Path, str]) -> None:
    """Write each file of ``texts`` atomically, keeping its permissions.

    Raises:
        ProjectError: a path lies outside ``root`` (a bug upstream, checked once more here).
    """
    for path in texts:
        if not path.resolve().is_relative_to(root):
            raise ProjectError(f"Refusing to write {path}: it is outside the project {root}.")
    for path, text in texts.items():
        mode = path.stat().st_mode & 0o7777

        def write(tmp: Path, text: str = text, mode: int = mode) -> None:
            # newline="" writes the text's own line endings (a CRLF file stays CRLF).
            with tmp.open("w", encoding="utf-8", newline="") as file:
                file.write(text)
            os.chmod(tmp, mode)

        atomic_write(path.resolve(), write)
