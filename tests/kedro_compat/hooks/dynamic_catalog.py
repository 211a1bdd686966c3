"""Datasets added at run time, in the style of hooks that feed lookup tables or aliases into
the catalog once it is made, through Kedro 1.x's ``catalog[name] = ...``."""

from kedro.framework.hooks import hook_impl

from .recorder import append_record


class DynamicCatalogHooks:
    """Adds raw data (which becomes a memory dataset) and a second name for a dataset."""

    def __init__(self, record_to, exchange_rates):
        self.record_to = record_to
        self.exchange_rates = exchange_rates

    @hook_impl
    def after_catalog_created(self, catalog):
        catalog["exchange_rates"] = dict(self.exchange_rates)
        catalog["companies_snapshot"] = catalog["companies"]
        append_record(
            self.record_to,
            "dynamic.added",
            exchange_rates_class=type(catalog["exchange_rates"]).__name__,
            exchange_rates=catalog.load("exchange_rates"),
            snapshot_is_companies=catalog["companies_snapshot"] is catalog["companies"],
            listed=sorted(name for name in catalog if not name.startswith("params")),
        )
