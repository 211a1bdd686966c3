# The pipeline monitoring hook of Kedro's hook examples (shared/seeds/001), verbatim except for
# its import lines: `from kedro.framework.hooks import hook_impl` became
# `from hookline import hook_impl`, and `from kedro.pipeline.node import Node` became
# `from hookline.node import Node`. Used by the port test and by the benchmark. It is kept as
# written, so the lint rules it predates are off for this file:
# ruff: noqa: I001, UP035, UP006
import sys
from typing import Any, Dict

import statsd
from hookline import hook_impl
from hookline.node import Node


class PipelineMonitoringHooks:
    def __init__(self):
        self._timers = {}
        self._client = statsd.StatsClient(prefix="kedro")

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        node_timer = self._client.timer(node.name)
        node_timer.start()
        self._timers[node.short_name] = node_timer

    @hook_impl
    def after_node_run(self, node: Node, inputs: Dict[str, Any]) -> None:
        self._timers[node.short_name].stop()
        for dataset_name, dataset_value in inputs.items():
            self._client.gauge(dataset_name + "_size", sys.getsizeof(dataset_value))

    @hook_impl
    def after_pipeline_run(self):
        self._client.incr("run")
