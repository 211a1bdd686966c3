"""hookline: a small, fast pipeline runner whose every extension point is a pluggy hook.

The public API::

    from hookline import node, pipeline, Pipeline, DataCatalog, hook_impl, SequentialRunner
    from hookline import find_pipelines  # in pipeline_registry.py

Names are imported on first use, so ``import hookline`` (and ``hookline --help``) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

# node and pipeline share their names with their modules, so they are bound eagerly: a lazy
# attribute would be shadowed by the submodule once anything imports ``hookline.node``.
from hookline.node import Node, node
from hookline.pipeline import Pipeline, pipeline

#: Public name -> the module that defines it.
_EXPORTS = {
    "AbstractRunner": "hookline.runner",
    "DaskRunner": "hookline.runner",
    "DataCatalog": "hookline.catalog",
    "Measurement": "hookline.measurements",
    "ParallelRunner": "hookline.runner",
    "SequentialRunner": "hookline.runner",
    "ThreadRunner": "hookline.runner",
    "find_pipelines": "hookline.pipeline_discovery",
    "hook_impl": "hookline.hooks.markers",
    "publish_measurement": "hookline.measurements",
}

__all__ = [
    "AbstractRunner",
    "DaskRunner",
    "DataCatalog",
    "Measurement",
    "Node",
    "ParallelRunner",
    "Pipeline",
    "SequentialRunner",
    "ThreadRunner",
    "__version__",
    "find_pipelines",
    "hook_impl",
    "node",
    "pipeline",
    "publish_measurement",
]

if TYPE_CHECKING:
    from hookline.catalog import DataCatalog
    from hookline.hooks.markers import hook_impl
    from hookline.measurements import Measurement, publish_measurement
    from hookline.pipeline_discovery import find_pipelines
    from hookline.runner import (
        AbstractRunner,
        DaskRunner,
        ParallelRunner,
        SequentialRunner,
        ThreadRunner,
    )


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is used."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'hookline' has no attribute '{name}'")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value
