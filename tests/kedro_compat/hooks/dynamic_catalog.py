"""Datasets added at run time, in the style of hooks that feed lookup tables or aliases into
the catalog, through Kedro 1.x's ``catalog[name] = ...``: a second name for a dataset once the
catalog is made, and raw data fetched when the run starts (a free input no entry declares)."""

from kedro.framework.hooks import hook_impl

from .recorder import append_record


class DynamicCatalogHooks:
    """Adds a second name for a dataset, then raw data (which becomes a memory dataset)."""

    def __init__(self, record_to, exchange_rates):
        self.record_to = record_to
        self.exchange_rates = exchange_rates

    @hook_impl
    def after_catalog_created(self, catalog):
        catalog["companies_snapshot"] = catalog["companies"]

    @hook_impl
    def before_pipeline_run(self, catalog):
        catalog["exchange_rates"] = dict(self.exchange_rates)
        append_record(
            self.record_to,
            "dynamic.added",
            exchange_rates_class=type(catalog["exchange_rates"]).__name__,
            exchange_rates=catalog.load("exchange_rates"),
            snapshot_is_companies=catalog["companies_snapshot"] is catalog["companies"],
            listed=sorted(name for name in catalog if not name.startswith("params")),
        )
