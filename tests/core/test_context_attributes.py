"""What a hook reads off the context, under the names Kedro's ``KedroContext`` gives it: above
all ``context.catalog``, the very catalog the run uses, built once."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import pytest

from hookline import hook_impl
from hookline.runner import AbstractRunner
from hookline.session import HooklineSession
from tests.support import ProjectFactory

NODES = """
def add(raw, offset):
    return raw + offset
"""

REGISTRY = (
    'return {"__default__": pipeline([node(add, ["raw", "params:offset"], "out", name="add")])}'
)

# A hook in the style of Kedro hooks that feed data in after_context_created: "raw" is in no
# catalog.yml, so the run starts only if it uses the catalog this hook filled.
SETTINGS = """
from hookline import hook_impl

class ContextReader:
    def __init__(self):
        self.read = {}
        self.catalogs_created = 0

    @hook_impl
    def after_context_created(self, context):
        self.context = context
        self.read = {
            "params": context.params,
            "env": context.env,
            "project_path": context.project_path,
            "package_name": context.package_name,
            "_package_name": context._package_name,
            "parameters_yml": context.config_loader["parameters"],
        }
        self.catalog = context.catalog
        self.catalog.add_feed_dict({"raw": 40})

    @hook_impl
    def after_catalog_created(self, catalog):
        self.catalogs_created += 1

    @hook_impl
    def before_pipeline_run(self, catalog):
        self.pipeline_catalog = catalog

HOOKS = (ContextReader(),)
"""


def reader_of(project: Path) -> Any:
    """The ContextReader instance the project's settings registered in this process."""
    return importlib.import_module(f"{project.name}.settings").HOOKS[0]


@pytest.fixture
def project(make_project: ProjectFactory) -> Path:
    return make_project(
        NODES,
        REGISTRY,
        SETTINGS,
        conf={
            "base/parameters.yml": "offset: 1\n",
            "test/parameters.yml": "offset: 2\n",
            # A versioned entry the pipeline does not use, whose version a run can pin.
            "base/catalog.yml": "model:\n  type: pickle.PickleDataset\n"
            "  filepath: data/model.pkl\n  versioned: true\n",
        },
    )


def test_a_hook_reads_the_context_as_kedro_names_it(runner: AbstractRunner, project: Path) -> None:
    session = HooklineSession.create(project, env="test", extra_params={"offset": 3})

    result = session.run(runner=runner)

    reader = reader_of(project)
    assert reader.read == {
        "params": {"offset": 3},
        "env": "test",
        "project_path": project.resolve(),
        "package_name": project.name,
        "_package_name": project.name,
        "parameters_yml": {"offset": 3},
    }
    # The catalog the hook filled is the run's: "raw" reached the node under every runner.
    assert result.outputs == {"out": 43}
    assert reader.pipeline_catalog is reader.catalog
    assert reader.context.catalog is reader.catalog
    assert reader.catalogs_created == 1


class CatalogWitness:
    """Feeds "raw" into every catalog made, and keeps what the catalog hooks received."""

    def __init__(self) -> None:
        self.created: list[tuple[Any, dict[str, str]]] = []

    @hook_impl
    def after_catalog_created(self, catalog: Any, load_versions: dict[str, str]) -> None:
        catalog.add_feed_dict({"raw": 40})
        self.created.append((catalog, load_versions))

    @hook_impl
    def before_pipeline_run(self, catalog: Any) -> None:
        self.pipeline_catalog = catalog


def test_pinned_load_versions_give_the_run_a_catalog_of_its_own(project: Path) -> None:
    session = HooklineSession.create(project)
    context = session.load_context()
    witness = CatalogWitness()
    context.hook_manager.register_hooks(witness, source="test")
    # Built by the settings' hook before the run pinned a version: the run cannot use it.
    unpinned = reader_of(project).catalog
    pinned = {"model": "2026-11-22T10.20.30.123Z"}

    assert session.run(load_versions=pinned).outputs == {"out": 41}

    [(catalog, load_versions)] = witness.created
    assert load_versions == pinned
    assert witness.pipeline_catalog is catalog is context.catalog
    assert catalog is not unpinned


def test_each_run_of_a_session_gets_a_fresh_catalog(project: Path) -> None:
    session = HooklineSession.create(project)
    context = session.load_context()
    witness = CatalogWitness()
    context.hook_manager.register_hooks(witness, source="test")

    assert session.run().outputs == {"out": 41}
    first = context.catalog
    assert session.run().outputs == {"out": 41}

    # A run's memory datasets do not outlive it: the second run built a catalog anew.
    [(second, _)] = witness.created
    assert witness.pipeline_catalog is second is context.catalog
    assert second is not first
