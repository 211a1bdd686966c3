"""Kedro's context, config loader, catalog and pipeline, seen as hookline's plugins read them.

hookline's plugins use a small part of hookline's own objects: the context's ``config_loader``,
``project_path`` and ``project_name``; the catalog's ``list``, ``get_dataset``, ``load`` and
``in``; the pipeline's ``nodes``, ``datasets()`` and ``to_dict()``; and a few ``run_params``
keys of hookline's (``session_id``, ``pipeline_name``). Each class here offers exactly that
over the Kedro object it wraps, so the plugins run unchanged. Kedro's nodes already have what
the plugins read (``name``, ``inputs``, ``outputs``, ``tags``, ``func``) and are passed as
they are. Nothing here imports Kedro.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hookline import __version__ as hookline_version
from hookline.plugin import DEFAULT_PIPELINE

if sys.version_info >= (3, 11):
    import tomllib
else:  # hookline depends on tomli there
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

#: The configuration files of a plugin's key, as hookline's own config loader finds them:
#: ``mlflow.yml`` (and ``mlflow_*.yml``) or the files under ``mlflow/``.
_KEY_PATTERNS = ("{key}*", "{key}/**")
_CONFIG_SUFFIXES = (".yml", ".yaml", ".json")


class ConfigLoaderView:
    """Kedro's ``OmegaConfigLoader`` answering any key, as hookline's config loader does.

    Kedro refuses a key it has no file patterns for; a plugin's key (``mlflow``) gets the
    patterns hookline uses, added to the loader's own ``config_patterns`` unless the project
    set some in ``CONFIG_LOADER_ARGS``. A key no file supplies is an empty mapping (Kedro
    raises ``MissingConfigException``), so a plugin falls back to its defaults.
    """

    def __init__(self, loader: Any) -> None:
        self.kedro_loader = loader

    def __getitem__(self, key: str) -> dict[str, Any]:
        patterns = self.kedro_loader.config_patterns
        if key not in patterns:
            patterns[key] = [pattern.format(key=key) for pattern in _KEY_PATTERNS]
        try:
            return dict(self.kedro_loader[key])
        except Exception as error:
            # Kedro's MissingConfigException, named rather than imported: no file for the key.
            if type(error).__name__ == "MissingConfigException":
                return {}
            raise

    def files(self, key: str) -> list[Path]:
        """The local files read for ``key`` (base, then the run's environment), for messages."""
        loader = self.kedro_loader
        root = Path(str(loader.conf_source))
        envs = [loader.base_env, loader.env or loader.default_run_env]
        patterns = loader.config_patterns.get(key, [])
        found: list[Path] = []
        for env in dict.fromkeys(e for e in envs if e):
            for pattern in patterns:
                for path in sorted((root / env).glob(pattern)):
                    if path.suffix in _CONFIG_SUFFIXES and path not in found:
                        found.append(path)
        return found


class ContextView:
    """A ``KedroContext`` with the attributes hookline's plugins read.

    Attributes:
        kedro_context: The wrapped context.
        project_path: The project folder.
        project_name: ``[tool.kedro] project_name`` of the project's pyproject.toml (else
            the folder's name).
        package_name: The project's package.
        env: The configuration environment of the run (``None``: Kedro's default).
        config_loader: Kedro's config loader, answering every plugin's key.
    """

    def __init__(self, context: Any) -> None:
        self.kedro_context = context
        self.project_path = Path(context.project_path)
        self.project_name = _project_name(self.project_path)
        self.package_name = getattr(context, "_package_name", None)
        self.env = context.env
        self.config_loader = ConfigLoaderView(context.config_loader)

    @property
    def params(self) -> dict[str, Any]:
        """The project's parameters, runtime parameters applied (Kedro's own)."""
        return dict(self.kedro_context.params)


def _project_name(project_path: Path) -> str:
    try:
        with (project_path / "pyproject.toml").open("rb") as file:
            name = tomllib.load(file).get("tool", {}).get("kedro", {}).get("project_name")
    except (OSError, tomllib.TOMLDecodeError):
        name = None
    return str(name) if name else project_path.name


class CatalogView:
    """A Kedro ``DataCatalog`` with the methods hookline's plugins call on hookline's.

    Attributes:
        kedro_catalog: The wrapped catalog.
    """

    def __init__(self, catalog: Any) -> None:
        self.kedro_catalog = catalog

    def list(self, regex_search: str | None = None) -> list[str]:
        """The catalog's dataset names (parameters included), those matching
        ``regex_search`` if given."""
        names = list(self.kedro_catalog.keys())
        if regex_search is None:
            return names
        pattern = re.compile(regex_search)
        return [name for name in names if pattern.search(name)]

    def get_dataset(self, name: str) -> Any:
        """The dataset object registered as ``name`` (a dataset factory's match included)."""
        return self.kedro_catalog.get(name)

    def load(self, name: str) -> Any:
        """Load dataset ``name``."""
        return self.kedro_catalog.load(name)

    def __contains__(self, name: object) -> bool:
        return name in self.kedro_catalog


class PipelineView:
    """A Kedro ``Pipeline`` with the methods hookline's plugins call on hookline's.

    Attributes:
        kedro_pipeline: The wrapped pipeline.
    """

    def __init__(self, pipeline: Any) -> None:
        self.kedro_pipeline = pipeline

    @property
    def nodes(self) -> list[Any]:
        """The nodes, in Kedro's order (topological)."""
        return list(self.kedro_pipeline.nodes)

    def datasets(self) -> set[str]:
        """Every dataset name the nodes read or write (parameters included)."""
        return set(self.kedro_pipeline.datasets())

    def inputs(self) -> set[str]:
        """The datasets no node of the pipeline makes."""
        return set(self.kedro_pipeline.inputs())

    def outputs(self) -> set[str]:
        """The datasets no node of the pipeline reads."""
        return set(self.kedro_pipeline.outputs())

    def to_dict(self) -> dict[str, Any]:
        """The pipeline's structure in the form hookline's ``Pipeline.to_dict`` gives."""
        return {
            "nodes": [
                {
                    "name": node.name,
                    "func": _function_path(node.func),
                    "inputs": list(node.inputs),
                    "outputs": list(node.outputs),
                    "tags": sorted(node.tags),
                }
                for node in self.kedro_pipeline.nodes
            ],
            "inputs": sorted(self.inputs()),
            "outputs": sorted(self.outputs()),
        }


def _function_path(func: Any) -> str:
    module = getattr(func, "__module__", None) or "?"
    name = getattr(func, "__qualname__", None) or type(func).__name__
    return f"{module}.{name}"


#: What ``str()`` of a runner instance looks like in Kedro's ``run_params["runner"]``.
_RUNNER_REPR = re.compile(r"^<(?:[\w.]+\.)?(\w+) object at 0x[0-9a-f]+>$")


def run_params(kedro_run_params: Mapping[str, Any]) -> dict[str, Any]:
    """Kedro's ``run_params`` with hookline's names added, as hookline's plugins read them.

    Kedro's keys stay as they are; ``session_id`` (the run id), ``pipeline_name``
    (``__default__`` when none was named, the names joined by ``+`` when several were),
    ``extra_params`` (the runtime parameters), ``namespace`` and ``hookline_version`` are
    added, and ``runner`` is the runner's class name (Kedro gives ``str()`` of an instance).
    """
    params = dict(kedro_run_params)
    names = params.get("pipeline_names") or [DEFAULT_PIPELINE]
    namespaces = params.get("namespaces") or []
    runner = str(params.get("runner") or "")
    matched = _RUNNER_REPR.match(runner)
    params.update(
        {
            "session_id": params.get("run_id"),
            "pipeline_name": "+".join(map(str, names)),
            "extra_params": dict(params.get("runtime_params") or {}),
            "namespace": namespaces[0] if len(namespaces) == 1 else None,
            "hookline_version": hookline_version,
            "runner": matched.group(1) if matched else runner,
        }
    )
    return params
