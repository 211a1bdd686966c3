"""Run status, in the style of run trackers and chat notifiers: what was asked for when the run
starts (from ``run_params``), and whether it succeeded or failed when it ends."""

from kedro.framework.hooks import hook_impl

from .recorder import append_record


class RunStatusHooks:
    """Records the context, ``run_params`` and the pipeline at the start, and the outcome at
    the end."""

    def __init__(self, record_to):
        self.record_to = record_to

    @hook_impl
    def after_context_created(self, context):
        append_record(
            self.record_to,
            "status.context",
            project=context.project_path.name,
            package=context._package_name,
            env=context.env,
            params=context.params,
            threshold=context.config_loader["parameters"]["threshold"],
        )

    @hook_impl
    def before_pipeline_run(self, run_params, pipeline):
        append_record(
            self.record_to,
            "status.started",
            run_params=run_params,
            nodes=sorted(node.name for node in pipeline.nodes),
        )

    @hook_impl
    def after_pipeline_run(self, run_params, run_result):
        append_record(
            self.record_to,
            "status.finished",
            run_id=run_params["run_id"],
            outcome="succeeded",
            outputs=sorted(run_result),
        )

    @hook_impl
    def on_pipeline_error(self, error, run_params):
        append_record(
            self.record_to,
            "status.finished",
            run_id=run_params["run_id"],
            outcome="failed",
            error=str(error),
        )
