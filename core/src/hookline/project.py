"""Finding a hookline project and reading its settings and pipeline registry.

A project is a folder with a ``pyproject.toml`` holding::

    [tool.hookline]
    package_name = "spaceflights"     # the package under src/
    project_name = "Spaceflights"     # optional, shown to people and used by plugins

plus ``conf/`` and ``src/<package_name>/`` with ``settings.py`` (optional) and
``pipeline_registry.py`` defining ``register_pipelines() -> dict[str, Pipeline]``.

A Kedro project's ``[tool.kedro]`` table (``package_name``, ``project_name``,
``kedro_init_version``) does as well when there is no ``[tool.hookline]``.
"""

from __future__ import annotations

import importlib
import sys
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from hookline.config.loader_args import check_settings_args
from hookline.errors import PipelineError, ProjectError
from hookline.pipeline import Pipeline
from hookline.pipeline_discovery import discovering_in

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

DEFAULT_PIPELINE = "__default__"

#: The tables of ``pyproject.toml`` that make a project, the first one found used.
PROJECT_TABLES = ("hookline", "kedro")

#: Kedro settings naming a class hookline has no use for, each with what to do instead.
KEDRO_CLASS_SETTINGS = {
    "CONTEXT_CLASS": (
        "hookline builds its own context: move what the class adds into an "
        "after_context_created hook"
    ),
    "CONFIG_LOADER_CLASS": (
        "hookline reads conf/ with its own loader, which behaves as Kedro's OmegaConfigLoader: "
        "keep its options in CONFIG_LOADER_ARGS"
    ),
    "DATA_CATALOG_CLASS": (
        "hookline uses its own DataCatalog: declare datasets in catalog.yml, or add them in an "
        "after_catalog_created hook"
    ),
    "SESSION_STORE_CLASS": (
        "hookline keeps no session store (its run history records every run): remove it and "
        "SESSION_STORE_ARGS"
    ),
}


@dataclass(frozen=True)
class ProjectMetadata:
    """Where a project lives and what its package is called.

    Attributes:
        project_path: The folder holding ``pyproject.toml``.
        package_name: The importable package under the source folder.
        project_name: A name for people and plugins (MLflow's default experiment name).
        source_dir: The folder added to ``sys.path`` so the package imports.
    """

    project_path: Path
    package_name: str
    project_name: str
    source_dir: Path


@dataclass(frozen=True)
class ProjectSettings:
    """What a project's ``settings.py`` declares.

    Attributes:
        hooks: Hook instances registered for every run (``HOOKS``).
        disable_hooks_for_plugins: Distributions whose hooks are not registered.
        conf_source: The configuration folder, relative to the project.
        stop_grace_seconds: ``STOP_GRACE_SECONDS``, the seconds a run stopped by SIGTERM or
            SIGHUP gets to end its work (checked by :mod:`hookline.stop_signals`).
        config_loader_args: ``CONFIG_LOADER_ARGS``, keyword arguments of the config loader.
    """

    hooks: tuple[object, ...] = ()
    disable_hooks_for_plugins: tuple[str, ...] = ()
    conf_source: str = "conf"
    stop_grace_seconds: object = None
    config_loader_args: Mapping[str, Any] = field(default_factory=dict)


def find_project(path: Path | str | None = None) -> ProjectMetadata:
    """Return the project at ``path``, or the one holding the current folder.

    Raises:
        ProjectError: If no ``pyproject.toml`` with a ``[tool.hookline]`` or ``[tool.kedro]``
            table is found.
    """
    if path is not None:
        return read_metadata(Path(path).resolve() / "pyproject.toml")
    start = Path.cwd().resolve()
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file() and _project_table(_read_toml(candidate)) is not None:
            return read_metadata(candidate)
    raise ProjectError(
        f"No hookline project found in {start} or its parents: a project has a pyproject.toml "
        "with a [tool.hookline] (or Kedro's [tool.kedro]) table naming its package_name. "
        "Use --project PATH to name one."
    )


def read_metadata(pyproject: Path) -> ProjectMetadata:
    """Read a project's ``[tool.hookline]`` table, or else its ``[tool.kedro]`` one, from
    ``pyproject``."""
    if not pyproject.is_file():
        raise ProjectError(
            f"{pyproject.parent} is not a hookline project: it has no pyproject.toml."
        )
    found = _project_table(_read_toml(pyproject))
    if found is None:
        raise ProjectError(f"{pyproject} has no [tool.hookline] (or [tool.kedro]) table.")
    tool, table = found
    package_name = table.get("package_name")
    if not isinstance(package_name, str) or not package_name.isidentifier():
        raise ProjectError(
            f"{pyproject}: [tool.{tool}] package_name must be the name of a Python package, "
            f"got {package_name!r}."
        )
    source_dir = pyproject.parent / str(table.get("source_dir", "src"))
    return ProjectMetadata(
        project_path=pyproject.parent,
        package_name=package_name,
        project_name=str(table.get("project_name", package_name)),
        source_dir=source_dir,
    )


def _project_table(content: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The first table of :data:`PROJECT_TABLES` under ``[tool]``, with its name."""
    tools = content.get("tool", {})
    for tool in PROJECT_TABLES:
        if isinstance(tools.get(tool), dict):
            return tool, tools[tool]
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as file:
            content: dict[str, Any] = tomllib.load(file)
            return content
    except tomllib.TOMLDecodeError as error:
        raise ProjectError(f"{path} is not valid TOML: {error}") from None


def import_project_module(metadata: ProjectMetadata, module: str) -> ModuleType | None:
    """Import ``<package>.<module>`` of the project; ``None`` if that module does not exist.

    Raises:
        ProjectError: If the module exists but importing it fails.
    """
    source = str(metadata.source_dir)
    if source not in sys.path:
        sys.path.insert(0, source)
    name = f"{metadata.package_name}.{module}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name in (name, metadata.package_name):
            return None
        raise ProjectError(f"Importing {name} failed: {error}") from error
    except Exception as error:
        raise ProjectError(f"Importing {name} failed: {type(error).__name__}: {error}") from error


def load_settings(metadata: ProjectMetadata) -> ProjectSettings:
    """Read ``HOOKS``, ``DISABLE_HOOKS_FOR_PLUGINS``, ``CONF_SOURCE``,
    ``STOP_GRACE_SECONDS`` and ``CONFIG_LOADER_ARGS`` from ``settings.py``.

    Raises:
        ProjectError: If ``settings.py`` names a Kedro class hookline cannot use
            (:data:`KEDRO_CLASS_SETTINGS`), or a setting has the wrong form.
    """
    module = import_project_module(metadata, "settings")
    if module is None:
        return ProjectSettings()
    where = f"{metadata.package_name}/settings.py"
    _refuse_kedro_classes(module, where)
    return ProjectSettings(
        hooks=_as_tuple(getattr(module, "HOOKS", ()), "HOOKS", where),
        disable_hooks_for_plugins=tuple(
            str(name)
            for name in _as_tuple(
                getattr(module, "DISABLE_HOOKS_FOR_PLUGINS", ()), "DISABLE_HOOKS_FOR_PLUGINS", where
            )
        ),
        conf_source=str(getattr(module, "CONF_SOURCE", "conf")),
        stop_grace_seconds=getattr(module, "STOP_GRACE_SECONDS", None),
        config_loader_args=check_settings_args(getattr(module, "CONFIG_LOADER_ARGS", {}), where),
    )


def _refuse_kedro_classes(module: ModuleType, where: str) -> None:
    """Fail, naming each one and what to do, if ``module`` sets a Kedro class setting."""
    found = [name for name in KEDRO_CLASS_SETTINGS if hasattr(module, name)]
    if not found:
        return
    advice = "; ".join(f"{name}: {KEDRO_CLASS_SETTINGS[name]}" for name in found)
    raise ProjectError(
        f"{where} sets {', '.join(found)}, which hookline cannot use. Remove "
        f"{'it' if len(found) == 1 else 'them'} from settings.py ({advice})."
    )


def _as_tuple(value: object, name: str, where: str) -> tuple[object, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise ProjectError(f"{where}: {name} must be a tuple, e.g. {name} = (...,), got {value!r}.")
    return tuple(value)


def _project_line(error: BaseException, metadata: ProjectMetadata) -> str | None:
    """``file:line`` (relative to the project) of the innermost frame of the project's own
    code in ``error``'s traceback, or None if none is the project's."""
    package = (metadata.source_dir / metadata.package_name).resolve()
    found = None
    for frame, line in traceback.walk_tb(error.__traceback__):
        path = Path(frame.f_code.co_filename).resolve()
        if path.is_relative_to(package):
            found = f"{path.relative_to(metadata.project_path.resolve()).as_posix()}:{line}"
    return found


def load_pipelines(metadata: ProjectMetadata) -> dict[str, Pipeline]:
    """Call the project's ``register_pipelines()`` and check what it returns."""
    module = import_project_module(metadata, "pipeline_registry")
    where = f"{metadata.package_name}/pipeline_registry.py"
    register = getattr(module, "register_pipelines", None)
    if register is None:
        raise ProjectError(f"{where} must define register_pipelines() -> dict[str, Pipeline].")
    with discovering_in(metadata.package_name):  # for find_pipelines()
        try:
            pipelines = register()
        except PipelineError as error:
            # The message names the namespace and the dataset; the person also needs to know
            # which of their files builds that pipeline.
            raise PipelineError(f"{_project_line(error, metadata) or where}: {error}") from None
    if not isinstance(pipelines, dict) or not all(
        isinstance(p, Pipeline) for p in pipelines.values()
    ):
        raise ProjectError(f"{where}: register_pipelines() must return a dict of Pipeline objects.")
    return pipelines
