"""Dataset statistics, in the style of data-profiling hooks: list the catalog when it is made,
count the rows of every node output, and profile the persisted datasets after the run, through
the catalog's Kedro 1.x mapping interface."""

from kedro.framework.hooks import hook_impl

from .recorder import append_record


def _is_parameter(name):
    return name == "parameters" or name.startswith("params:")


class DatasetStatisticsHooks:
    """Records the catalog's listing, each node's output sizes and the persisted datasets."""

    def __init__(self, record_to):
        self.record_to = record_to

    @hook_impl
    def after_catalog_created(self, catalog):
        names = sorted(catalog.keys())
        append_record(
            self.record_to,
            "statistics.catalog",
            names=names,
            iterated=sorted(catalog),
            length=len(catalog),
            values=len(list(catalog.values())),
            items_match=all(catalog[name] is dataset for name, dataset in catalog.items()),
            classes={name: type(catalog[name]).__name__ for name in names},
            parameters=sorted(catalog.filter(name_regex=r"^params:")),
            memory=sorted(catalog.filter(type_regex=r"MemoryDataset$")),
            contains_companies="companies" in catalog,
            get_missing=catalog.get("no_such_dataset"),
            companies_type=catalog.get_type("companies"),
            get_type_missing=catalog.get_type("no_such_dataset"),
            get_is_getitem=catalog.get("companies") is catalog["companies"],
        )

    @hook_impl
    def after_node_run(self, node, outputs):
        rows = {name: len(data) for name, data in outputs.items() if hasattr(data, "__len__")}
        append_record(self.record_to, "statistics.node", node=node.name, rows=rows)

    @hook_impl
    def after_pipeline_run(self, catalog):
        profiles = {}
        for name, dataset in catalog.items():
            if _is_parameter(name) or not catalog.exists(name):
                continue
            data = catalog.load(name)
            filepath = getattr(dataset, "_filepath", None)
            profiles[name] = {
                "rows": len(data) if hasattr(data, "__len__") else None,
                "type": catalog.get_type(name).rsplit(".", 1)[-1],
                "filepath_class": type(filepath).__name__,
                "file_name": getattr(filepath, "name", None),
            }
        append_record(self.record_to, "statistics.persisted", profiles=profiles)
