"""Schema validation, in the style of kedro-pandera: a hook registers a config resolver when the
context is created, the catalog's ``metadata`` declares each dataset's columns with it, and the
same hook checks every node input against its declared schema."""

from kedro.framework.hooks import hook_impl

from .recorder import append_record

PANDAS_DTYPES = {"int": "int64", "float": "float64", "text": "object", "flag": "bool"}


def pandas_dtype(short_name):
    """The resolver ``${schema.dtype:<name>}``: a short type name as pandas spells it."""
    return PANDAS_DTYPES[short_name]


class SchemaError(ValueError):
    """A node input whose columns do not match its declared schema."""


class SchemaValidationHooks:
    """Registers ``schema.dtype`` and validates node inputs against ``metadata.schema``."""

    def __init__(self, record_to):
        self.record_to = record_to

    @hook_impl
    def after_context_created(self, context):
        context.config_loader._register_new_resolvers({"schema.dtype": pandas_dtype})

    @hook_impl
    def after_catalog_created(self, catalog):
        declared = {name: _declared_columns(dataset) for name, dataset in catalog.items()}
        schemas = {name: columns for name, columns in declared.items() if columns}
        append_record(self.record_to, "schema.declared", schemas=schemas)

    @hook_impl
    def before_node_run(self, node, catalog, inputs):
        for name, data in inputs.items():
            columns = _declared_columns(catalog[name])
            if not columns:
                continue
            found = {column: str(dtype) for column, dtype in data.dtypes.items()}
            problems = sorted(
                f"column {column!r} is {found.get(column, 'missing')}, expected {dtype}"
                for column, dtype in columns.items()
                if found.get(column) != dtype
            )
            append_record(
                self.record_to, "schema.checked", node=node.name, dataset=name, problems=problems
            )
            if problems:
                raise SchemaError(f"Dataset {name!r} fails its schema: {'; '.join(problems)}")


def _declared_columns(dataset):
    metadata = getattr(dataset, "metadata", None) or {}
    return dict(metadata.get("schema", {}).get("columns", {}))
