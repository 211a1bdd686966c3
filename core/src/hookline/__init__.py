"""hookline: a small, fast pipeline runner whose every extension point is a pluggy hook.

The public API::

    from hookline import node, pipeline, Pipeline, DataCatalog, hook_impl, SequentialRunner
"""

__version__ = "0.1.0"

from hookline.catalog import DataCatalog
from hookline.hooks.markers import hook_impl
from hookline.measurements import Measurement, publish_measurement
from hookline.node import Node, node
from hookline.pipeline import Pipeline, pipeline
from hookline.runner import AbstractRunner, SequentialRunner, ThreadRunner

__all__ = [
    "AbstractRunner",
    "DataCatalog",
    "Measurement",
    "Node",
    "Pipeline",
    "SequentialRunner",
    "ThreadRunner",
    "__version__",
    "hook_impl",
    "node",
    "pipeline",
    "publish_measurement",
]
