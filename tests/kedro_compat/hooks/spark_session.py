"""A Spark session set up from ``conf/<env>/spark.yml``, in the style of the PySpark starter's
``SparkHooks``. No Spark here: the hook records the application name and the configuration it
would hand to ``SparkConf().setAll(...)``."""

from kedro.framework.hooks import hook_impl

from .recorder import append_record


class SparkHooks:
    """Reads ``config_loader["spark"]`` when the context is created."""

    def __init__(self, record_to):
        self.record_to = record_to

    @hook_impl
    def after_context_created(self, context):
        parameters = context.config_loader["spark"]
        append_record(
            self.record_to,
            "spark.session",
            app_name=context.project_path.name,
            package_name=context._package_name,
            env=context.env,
            conf=sorted(parameters.items()),
        )
