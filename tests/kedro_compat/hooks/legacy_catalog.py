"""A hook written for Kedro 0.18/0.19, whose calls Kedro's docs and many plugins still show:
``catalog.list``, ``add_feed_dict``, ``add_all``, ``catalog.datasets.<name>``,
``shallow_copy`` and the ConfigLoader's glob form ``config_loader.get("spark*", "spark*/**")``.
Kedro 1.x dropped these calls; hookline keeps them."""

from kedro.framework.hooks import hook_impl

from .recorder import append_record


class LegacyCatalogHooks:
    """Reads config by glob, adds datasets with the 0.18 calls and reads them back by attribute."""

    def __init__(self, record_to):
        self.record_to = record_to

    @hook_impl
    def after_context_created(self, context):
        spark = context.config_loader.get("spark*", "spark*/**")
        append_record(self.record_to, "legacy.config", spark=sorted(spark.items()))

    @hook_impl
    def after_catalog_created(self, catalog):
        listed = catalog.list()
        catalog.add_feed_dict({"run_label": "nightly"}, replace=True)
        catalog.add_all(
            {
                "companies_copy": catalog.datasets.companies,
                "threshold_copy": catalog.datasets.params__threshold,
            },
            replace=True,
        )
        copy = catalog.shallow_copy()
        append_record(
            self.record_to,
            "legacy.catalog",
            listed=sorted(listed),
            parameters=sorted(catalog.list("^params:")),
            added=sorted(set(catalog.list()) - set(listed)),
            copy_has_added=all(name in copy.list() for name in ("run_label", "companies_copy")),
            copy_is_shallow=copy.datasets.companies_copy is catalog.datasets.companies,
        )

    @hook_impl
    def before_node_run(self, node, catalog):
        append_record(
            self.record_to,
            "legacy.node",
            node=node.name,
            run_label=catalog.load("run_label"),
            threshold_copy=catalog.datasets.threshold_copy.load(),
        )
