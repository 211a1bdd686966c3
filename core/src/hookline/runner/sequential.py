"""Runs nodes one after another, in topological order, in the calling thread."""

from __future__ import annotations

from hookline.catalog import DataCatalog
from hookline.hooks.manager import HookManager
from hookline.pipeline import Pipeline
from hookline.runner.base import AbstractRunner, NodeHookCallers, ReleaseTracker, timed_run_node
from hookline.runner.progress import ProgressReporter


class SequentialRunner(AbstractRunner):
    """Runs nodes one at a time in topological order: the simplest and the default runner."""

    def _run(
        self,
        pipeline: Pipeline,
        catalog: DataCatalog,
        hook_manager: HookManager,
        session_id: str,
        reporter: ProgressReporter,
    ) -> None:
        hooks = NodeHookCallers(hook_manager)
        release = ReleaseTracker(pipeline, catalog)
        for node in pipeline.nodes:
            seconds, error = timed_run_node(node, catalog, hooks, session_id)
            if error is not None:
                error = catalog.redact_error(error)
                reporter.node_failed(node, seconds, error)
                raise error
            reporter.node_completed(node, seconds)
            release.node_done(node)
