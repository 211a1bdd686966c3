"""Rewriting the Kedro import lines of a Python file to hookline's, with libcst.

libcst keeps everything it is not asked to change: an import whose names all move to one
hookline module only has its module replaced, so parentheses, aliases and comments stay. An
import mixing names that have a counterpart with names that have none is split into one
import per module, and the names with no counterpart stay imported from Kedro and reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hookline.porting.report import Change, Finding

if TYPE_CHECKING:
    import libcst as cst

#: Kedro module -> {Kedro name: (hookline module, hookline name)}.
COUNTERPARTS: dict[str, dict[str, tuple[str, str]]] = {
    "kedro.pipeline": {
        "node": ("hookline", "node"),
        "Node": ("hookline", "Node"),
        "pipeline": ("hookline", "pipeline"),
        "Pipeline": ("hookline", "Pipeline"),
    },
    "kedro.pipeline.node": {"node": ("hookline", "node"), "Node": ("hookline", "Node")},
    "kedro.pipeline.pipeline": {
        "pipeline": ("hookline", "pipeline"),
        "Pipeline": ("hookline", "Pipeline"),
    },
    "kedro.pipeline.modular_pipeline": {"pipeline": ("hookline", "pipeline")},
    "kedro.framework.hooks": {"hook_impl": ("hookline", "hook_impl")},
    "kedro.framework.hooks.markers": {"hook_impl": ("hookline", "hook_impl")},
    "kedro.framework.project": {"find_pipelines": ("hookline", "find_pipelines")},
    "kedro.framework.context": {"KedroContext": ("hookline.context", "HooklineContext")},
    "kedro.io": {
        "DataCatalog": ("hookline", "DataCatalog"),
        "MemoryDataset": ("hookline.datasets", "MemoryDataset"),
        "Version": ("hookline.datasets", "Version"),
        "DatasetError": ("hookline.errors", "DatasetError"),
    },
    "kedro.io.core": {
        "Version": ("hookline.datasets", "Version"),
        "DatasetError": ("hookline.errors", "DatasetError"),
    },
    "kedro.io.data_catalog": {"DataCatalog": ("hookline", "DataCatalog")},
    "kedro.io.memory_dataset": {"MemoryDataset": ("hookline.datasets", "MemoryDataset")},
    "kedro.runner": {
        name: ("hookline", name)
        for name in ("AbstractRunner", "SequentialRunner", "ThreadRunner", "ParallelRunner")
    },
}

_DATASET_BASE = (
    "hookline's catalog loads a Kedro-style dataset class while kedro is installed; to drop "
    "kedro, derive from hookline.datasets.AbstractDataset (or FileDataset) and rename "
    "_load/_save/_describe to load/save/describe"
)

#: Advice for the Kedro names with no counterpart that projects commonly use.
ADVICE: dict[str, str] = {
    "kedro.io.AbstractDataset": _DATASET_BASE,
    "kedro.io.AbstractVersionedDataset": _DATASET_BASE,
    "kedro.io.core.AbstractDataset": _DATASET_BASE,
    "kedro.io.core.AbstractVersionedDataset": _DATASET_BASE,
    "kedro.framework.session.KedroSession": (
        "run with `hookline run`, or in code with hookline.session.HooklineSession"
    ),
    "kedro.framework.project.settings": "hookline reads settings.py itself: remove this use",
    "kedro.framework.project.pipelines": (
        "hookline calls register_pipelines() itself: remove this use"
    ),
    "kedro.framework.project.configure_project": (
        "hookline finds the project from [tool.hookline]: remove this use"
    ),
    "kedro.framework.cli.utils.find_run_command": (
        "the Kedro entry point of __main__.py: run the project with the `hookline` command"
    ),
    "kedro.config.OmegaConfigLoader": (
        "hookline's own config loader reads conf/: remove CONFIG_LOADER_CLASS and this import"
    ),
}

_NO_COUNTERPART = "no hookline counterpart: keep kedro installed for it, or rewrite this use"


def advice_for(api: str) -> str:
    """What to do about a Kedro name that has no hookline counterpart."""
    return ADVICE.get(api, _NO_COUNTERPART)


@dataclass
class ImportRewrite:
    """The result of rewriting one file: its new source and what changed.

    Attributes:
        source: The new source (the old one if nothing changed).
        changes: One per rewritten import statement.
        not_ported: One per Kedro name left imported.
    """

    source: str
    changes: list[Change] = field(default_factory=list)
    not_ported: list[Finding] = field(default_factory=list)


def is_kedro_module(name: str) -> bool:
    """Whether ``name`` is Kedro's package or one of its modules (not ``kedro_datasets``)."""
    return name == "kedro" or name.startswith("kedro.")


def rewrite_imports(source: str, file: str) -> ImportRewrite:
    """Rewrite the Kedro imports of ``source`` (the file ``file``, for the report).

    Raises:
        libcst.ParserSyntaxError: ``source`` is not valid Python.
    """
    import libcst as cst
    from libcst.metadata import MetadataWrapper

    from hookline.porting._import_transformer import KedroImportTransformer

    result = ImportRewrite(source)
    if "kedro" not in source:  # most files: no syntax tree needed
        return result
    wrapper = MetadataWrapper(cst.parse_module(source))
    transformer = KedroImportTransformer(file, result)
    result.source = wrapper.visit(transformer).code
    return result


def split_names(
    module: str, aliases: Sequence[cst.ImportAlias]
) -> tuple[dict[str, list[tuple[cst.ImportAlias, str]]], list[cst.ImportAlias]]:
    """Group ``aliases`` imported from the Kedro ``module``: hookline module -> [(alias, the
    hookline name)] for the names with a counterpart, and the aliases with none."""
    table = COUNTERPARTS.get(module, {})
    ported: dict[str, list[tuple[cst.ImportAlias, str]]] = {}
    kept: list[cst.ImportAlias] = []
    for alias in aliases:
        target = table.get(_alias_name(alias))
        if target is None:
            kept.append(alias)
        else:
            ported.setdefault(target[0], []).append((alias, target[1]))
    return ported, kept


def _alias_name(alias: cst.ImportAlias) -> str:
    import libcst as cst

    name = alias.name
    return name.value if isinstance(name, cst.Name) else cst.Module([]).code_for_node(name)
