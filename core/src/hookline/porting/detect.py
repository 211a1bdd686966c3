"""Recognising a Kedro project and listing the files a port may touch.

A Kedro project (0.19 and 1.x) is a folder whose ``pyproject.toml`` has a ``[tool.kedro]``
table naming its ``package_name``. A port reads and writes files inside that folder only:
every path is resolved, so a symlink to a file elsewhere is reported, never followed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hookline.errors import ProjectError
from hookline.porting.report import Finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

# Folders that hold no source of the project: tools' caches and virtual environments.
_SKIPPED_FOLDERS = {"__pycache__", "node_modules", "site-packages", "build", "dist"}


@dataclass(frozen=True)
class KedroProject:
    """The parts of a Kedro project a port needs.

    Attributes:
        root: The project folder, symlinks resolved.
        package_name: ``[tool.kedro] package_name``.
        project_name: ``[tool.kedro] project_name``, if set.
        source_dir: ``[tool.kedro] source_dir``, if set (Kedro's default is ``src``).
        kedro_table: The whole ``[tool.kedro]`` table.
    """

    root: Path
    package_name: str
    project_name: str | None
    source_dir: str | None
    kedro_table: dict[str, Any]

    @property
    def package_dir(self) -> Path:
        """The folder of the project's package."""
        return self.root / (self.source_dir or "src") / self.package_name

    def relative(self, path: Path) -> str:
        """``path`` relative to the project, with forward slashes, for reports."""
        return path.relative_to(self.root).as_posix()


def find_kedro_project(path: Path) -> KedroProject:
    """Return the Kedro project at ``path``.

    Raises:
        ProjectError: ``path`` is not a folder holding a Kedro ``pyproject.toml``.
    """
    root = path.resolve()
    pyproject = root / "pyproject.toml"
    if not root.is_dir():
        raise ProjectError(f"{path} is not a Kedro project: it is not a folder.")
    if not pyproject.is_file():
        raise ProjectError(f"{root} is not a Kedro project: it has no pyproject.toml.")
    try:
        content = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ProjectError(f"{pyproject} is not valid TOML: {error}") from None
    table = content.get("tool", {}).get("kedro")
    if not isinstance(table, dict):
        raise ProjectError(f"{root} is not a Kedro project: {pyproject} has no [tool.kedro] table.")
    package_name = table.get("package_name")
    if not isinstance(package_name, str) or not package_name.isidentifier():
        raise ProjectError(
            f"{pyproject}: [tool.kedro] package_name must name a Python package, "
            f"got {package_name!r}."
        )
    project_name = table.get("project_name")
    source_dir = table.get("source_dir")
    return KedroProject(
        root=root,
        package_name=package_name,
        project_name=project_name if isinstance(project_name, str) else None,
        source_dir=source_dir if isinstance(source_dir, str) else None,
        kedro_table=table,
    )


def is_inside(root: Path, path: Path) -> bool:
    """Whether ``path``, symlinks resolved, lies inside ``root`` (already resolved)."""
    return path.resolve().is_relative_to(root)


def outside_finding(project: KedroProject, path: Path) -> Finding:
    """The report line for a symlink that leads out of the project."""
    return Finding(
        file=project.relative(path),
        line=None,
        api="symlink",
        action=f"points outside the project, to {path.resolve()}: not touched; "
        "port that file where it lives",
    )


def project_files(
    project: KedroProject, start: Path, suffixes: tuple[str, ...]
) -> Iterator[Path | Finding]:
    """Every file under ``start`` ending with one of ``suffixes``, in a stable order; a
    :class:`Finding` instead for each symlink (to a file or folder) that leads out of the
    project. Hidden folders, caches and virtual environments are skipped."""
    if not start.exists():
        return
    if not is_inside(project.root, start):
        yield outside_finding(project, start)
        return
    for folder, folders, files in os.walk(start):
        here = Path(folder)
        kept = []
        for name in sorted(folders):
            child = here / name
            if name.startswith(".") or name in _SKIPPED_FOLDERS:
                continue
            if (child / "pyvenv.cfg").exists():
                continue
            if child.is_symlink() and not is_inside(project.root, child):
                yield outside_finding(project, child)
                continue
            kept.append(name)
        folders[:] = kept  # os.walk descends into these only (symlinked ones are not followed)
        for name in sorted(files):
            path = here / name
            if not name.endswith(suffixes):
                continue
            if not is_inside(project.root, path):
                yield outside_finding(project, path)
            else:
                yield path
