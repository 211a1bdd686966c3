"""A port from start to end: plan every edit in memory, then write them all or none."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from hookline.errors import ProjectError
from hookline.porting.catalog_types import edit_catalog
from hookline.porting.detect import KedroProject, find_kedro_project, is_inside, project_files
from hookline.porting.kedro_settings import conf_source, settings_findings
from hookline.porting.pyproject import add_hookline_table, hookline_table
from hookline.porting.python_imports import rewrite_imports
from hookline.porting.report import Finding, PortReport
from hookline.porting.writing import refuse_dirty_work_tree, write_files

INSTALL_COMMAND = 'pip install "hookline[port]"'
_KEDRO_REQUIREMENT = re.compile(r"""^\s*["']?kedro\s*([<>=!~;\[\s"']|$)""")


def port_project(path: Path, *, check: bool = False, force: bool = False) -> PortReport:
    """Port the Kedro project at ``path`` in place (or only report, with ``check``).

    Raises:
        ProjectError: ``path`` is not a Kedro project, libcst or tomlkit is missing, or the
            project has uncommitted changes in git and ``force`` is false. Nothing is written.
    """
    _require_libraries()
    project = find_kedro_project(path)
    report = PortReport(project.root)
    texts: dict[Path, str] = {}
    _plan_pyproject(project, report, texts)
    _plan_python(project, report, texts)
    _plan_catalogs(project, report, texts)
    if check or not texts:
        return report
    if not force:
        refuse_dirty_work_tree(project.root)
    write_files(project.root, texts)
    report.written = True
    return report


def _require_libraries() -> None:
    missing = [name for name in ("libcst", "tomlkit") if importlib.util.find_spec(name) is None]
    if missing:
        raise ProjectError(
            f"hookline port-kedro needs {' and '.join(missing)}: run {INSTALL_COMMAND}"
        )


def read_text(path: Path) -> str:
    """A file's text with its own line endings."""
    with path.open(encoding="utf-8", newline="") as file:
        return file.read()


def _keep_inside(report: PortReport, paths: Iterable[Path | Finding]) -> list[Path]:
    """The paths, with each symlink leading out of the project reported instead."""
    inside = []
    for item in paths:
        if isinstance(item, Finding):
            report.not_ported.append(item)
        else:
            inside.append(item)
    return inside


def _plan_pyproject(project: KedroProject, report: PortReport, texts: dict[Path, str]) -> None:
    pyproject = project.root / "pyproject.toml"
    if not is_inside(project.root, pyproject):
        report.not_ported.append(
            Finding("pyproject.toml", None, "symlink", "points outside the project: not touched")
        )
        return
    text = read_text(pyproject)
    new_text, change = add_hookline_table(text, hookline_table(project.kedro_table))
    if change is not None:
        texts[pyproject] = new_text
        report.changes.append(change)
    for number, line in enumerate(text.splitlines(), start=1):
        if _KEDRO_REQUIREMENT.match(line):
            report.not_ported.append(
                Finding(
                    "pyproject.toml",
                    number,
                    "kedro (dependency)",
                    "depend on hookline (and kedro-datasets for its dataset classes) instead",
                )
            )


def _plan_python(project: KedroProject, report: PortReport, texts: dict[Path, str]) -> None:
    import libcst  # checked by _require_libraries; imported only for a port

    for path in _keep_inside(report, project_files(project, project.root, (".py",))):
        file = project.relative(path)
        try:
            source = read_text(path)
            rewrite = rewrite_imports(source, file)
        except (UnicodeDecodeError, libcst.ParserSyntaxError) as error:
            report.not_ported.append(
                Finding(file, None, "syntax", f"not UTF-8 Python, not rewritten: {error}")
            )
            continue
        report.changes.extend(rewrite.changes)
        report.not_ported.extend(rewrite.not_ported)
        if rewrite.source != source:
            texts[path] = rewrite.source
        if path == project.package_dir / "settings.py":
            report.not_ported.extend(settings_findings(source, file))


def _conf_folder(project: KedroProject) -> Path:
    settings = project.package_dir / "settings.py"
    if settings.is_file() and is_inside(project.root, settings):
        try:
            return project.root / conf_source(read_text(settings))
        except SyntaxError:
            pass  # reported with the other Python files
    return project.root / "conf"


def _plan_catalogs(project: KedroProject, report: PortReport, texts: dict[Path, str]) -> None:
    conf = _conf_folder(project)
    for path in _keep_inside(report, project_files(project, conf, (".yml", ".yaml"))):
        # Kedro's catalog patterns, in every environment: catalog*, catalog*/**, **/catalog*.
        if not any(part.startswith("catalog") for part in path.relative_to(conf).parts[1:]):
            continue
        file = project.relative(path)
        text = read_text(path)
        try:
            edit = edit_catalog(text, file)
        except yaml.YAMLError as error:
            raise ProjectError(f"{file} is not valid YAML: {error}") from None
        report.changes.extend(edit.changes)
        report.not_ported.extend(edit.not_ported)
        if edit.text != text:
            texts[path] = edit.text
