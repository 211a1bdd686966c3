"""``find_pipelines()``: register every pipeline of a project without listing them by hand.

In ``pipeline_registry.py``::

    from hookline import find_pipelines

    def register_pipelines():
        pipelines = find_pipelines()
        pipelines["__default__"] = sum(pipelines.values())
        return pipelines

It imports each package ``<package>.pipelines.<name>`` and calls its ``create_pipeline()``
(the package's ``__init__.py`` usually takes it from ``pipeline.py``), and takes
``__default__`` from a module ``<package>.pipeline`` when the project has one (Kedro's
simplified layout) or makes it empty. A module that fails to import, has no
``create_pipeline`` or returns something else than a pipeline is skipped with a warning naming
it and the error, so one broken pipeline does not stop the others from running (Kedro's
semantics; ``raise_errors=True`` raises instead).

The project's package is the one whose ``pipeline_registry`` hookline is loading (see
:func:`discovering_in`); outside that, pass ``package=``.
"""

from __future__ import annotations

import importlib
import traceback
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from types import ModuleType

from hookline.errors import ProjectError
from hookline.pipeline import Pipeline

__all__ = ["PipelineDiscoveryWarning", "discovering_in", "find_pipelines"]

_DEFAULT = "__default__"

#: The package of the project whose pipeline registry is being loaded.
_package: ContextVar[str | None] = ContextVar("hookline_project_package", default=None)


class PipelineDiscoveryWarning(UserWarning):
    """A pipeline module :func:`find_pipelines` skipped: it failed to import, or does not
    provide a pipeline through ``create_pipeline()``."""


@contextmanager
def discovering_in(package: str) -> Iterator[None]:
    """Make ``package`` the project package :func:`find_pipelines` searches, for the block."""
    token = _package.set(package)
    try:
        yield
    finally:
        _package.reset(token)


def find_pipelines(
    raise_errors: bool = False,
    pipelines_to_find: Iterable[str] | None = None,
    *,
    package: str | None = None,
) -> dict[str, Pipeline]:
    """Find the project's pipelines: ``pipelines/<name>/`` and a ``pipeline`` module.

    Args:
        raise_errors: Raise on a pipeline module that cannot be used instead of warning.
        pipelines_to_find: Load only these pipelines (all when None or when it holds
            ``__default__``); a requested pipeline that is not found is warned about.
        package: The project's package; by default the one whose ``pipeline_registry``
            hookline is loading.

    Returns:
        Pipeline name -> pipeline; ``__default__`` from ``<package>.pipeline`` or empty
        (when every pipeline is loaded).

    Raises:
        ProjectError: No package is given and no pipeline registry is being loaded; with
            ``raise_errors``, a pipeline module that fails to import or gives no pipeline.
    """
    package = package or _package.get()
    if package is None:
        raise ProjectError(
            "find_pipelines() needs the project's package: call it from register_pipelines() "
            "in pipeline_registry.py, or pass package='<your package>'."
        )
    wanted = None if pipelines_to_find is None else set(pipelines_to_find)
    load_all = wanted is None or _DEFAULT in wanted
    found: dict[str, Pipeline] = {}
    if load_all:
        simple = _import(f"{package}.pipeline", raise_errors, missing_ok=True)
        found[_DEFAULT] = (_create(simple, raise_errors) if simple else None) or Pipeline([])
    for name in _pipeline_folders(package):
        if not load_all and wanted is not None and name not in wanted:
            continue
        module = _import(f"{package}.pipelines.{name}", raise_errors, missing_ok=False)
        created = _create(module, raise_errors) if module else None
        if created is not None:
            found[name] = created
    if not load_all and wanted is not None:
        for name in sorted(wanted - set(_pipeline_folders(package))):
            _problem(
                f"Pipeline '{name}' was asked for, but {package}/pipelines/{name}/ does not exist.",
                raise_errors,
            )
    return found


def _pipeline_folders(package: str) -> list[str]:
    """The folders under ``<package>/pipelines/``, sorted; none when it does not exist."""
    try:
        pipelines = importlib.import_module(f"{package}.pipelines")
    except ModuleNotFoundError as error:
        if error.name in (f"{package}.pipelines", package):
            return []
        raise
    folders: list[str] = []
    for location in getattr(pipelines, "__path__", ()):
        for child in sorted(Path(location).iterdir()):
            # Hidden folders and __pycache__ are no pipelines.
            if child.is_dir() and not child.name.startswith((".", "__")):
                folders.append(child.name)
    return folders


def _import(module: str, raise_errors: bool, *, missing_ok: bool) -> ModuleType | None:
    """Import ``module``; on failure warn (or raise) naming it and the error, return None."""
    try:
        return importlib.import_module(module)
    except Exception as error:
        if missing_ok and isinstance(error, ModuleNotFoundError) and error.name == module:
            return None
        _problem(
            f"Importing the pipeline module '{module}' failed: {type(error).__name__}: {error}. "
            f"Nothing defined in it is registered.\n{traceback.format_exc()}",
            raise_errors,
            error,
        )
        return None


def _create(module: ModuleType, raise_errors: bool) -> Pipeline | None:
    """Call ``module.create_pipeline()``; warn (or raise) unless it returns a pipeline."""
    create = getattr(module, "create_pipeline", None)
    if not callable(create):
        _problem(
            f"The pipeline module '{module.__name__}' has no create_pipeline() function, so "
            "nothing defined in it is registered.",
            raise_errors,
        )
        return None
    created = create()
    if not isinstance(created, Pipeline):
        _problem(
            f"create_pipeline() of the pipeline module '{module.__name__}' must return a "
            f"Pipeline, got {type(created).__name__}; nothing defined in it is registered.",
            raise_errors,
        )
        return None
    return created


def _problem(message: str, raise_errors: bool, cause: Exception | None = None) -> None:
    if raise_errors:
        raise ProjectError(message.split("\n", 1)[0]) from cause
    warnings.warn(message, PipelineDiscoveryWarning, stacklevel=4)
