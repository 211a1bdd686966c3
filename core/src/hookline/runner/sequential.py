"""Runs nodes one after another, in topological order, in the calling thread."""

from __future__ import annotations

from hookline.runner.base import AbstractRunner, RunState, timed_run_node


class SequentialRunner(AbstractRunner):
    """Runs nodes one at a time in topological order: the simplest and the default runner."""

    def _run(self, run: RunState) -> None:
        catalog, hooks, session_id = run.catalog, run.hooks, run.session_id
        reporter, release = run.reporter, run.release
        for node in run.pipeline.nodes:
            seconds, error = timed_run_node(node, catalog, hooks, session_id)
            if error is not None:
                error = catalog.redact_error(error)
                reporter.node_failed(node, seconds, error)
                raise error
            reporter.node_completed(node, seconds)
            release.node_done(node)
