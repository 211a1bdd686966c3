"""Real projects of both tools, written at run time from one description of their pipeline.

The spaceflights and seed-hooks cases run ``hookline run`` and ``kedro run`` on projects that
differ only where the tools differ: the ``[tool.*]`` table of pyproject.toml and the module the
pipeline registry imports ``Pipeline`` and ``node`` from. The node functions, the node wiring,
the catalog and the parameters are the same text in both. Everything here is written from
scratch for the benchmark; nothing is copied from Kedro's starters.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Where each tool's pipeline registry imports ``Pipeline`` and ``node`` from.
PIPELINE_MODULES = {"hookline": "hookline", "kedro": "kedro.pipeline"}


@dataclass(frozen=True)
class NodeSpec:
    """One node, as both tools' registries declare it.

    Attributes:
        module: The module of the node function.
        function: The function's name in that module.
        inputs: Input dataset names, passed positionally.
        outputs: Output dataset names: one name means the function returns one value, several
            mean it returns a tuple of that many.
        name: The node's name.
        tags: The node's tags.
    """

    module: str
    function: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    name: str
    tags: tuple[str, ...] = ()


def specs_of(pipeline: Any) -> list[NodeSpec]:
    """The node specs of a hookline pipeline, in its run order.

    Only positional inputs are described (the spaceflights nodes take lists); a node with
    keyword inputs would be wired wrongly, which the cases' output checks would catch.
    """
    return [
        NodeSpec(
            module=node.func.__module__,
            function=node.func.__name__,
            inputs=tuple(node.inputs),
            outputs=tuple(node.outputs),
            name=node.name,
            tags=tuple(sorted(node.tags)),
        )
        for node in pipeline.nodes
    ]


def _names(names: tuple[str, ...]) -> str:
    """One name as a string, several as a list, none as None: how both tools read them."""
    if not names:
        return "None"
    return repr(names[0]) if len(names) == 1 else repr(list(names))


def registry_source(tool: str, specs: Sequence[NodeSpec]) -> str:
    """The ``pipeline_registry.py`` of ``tool``'s project: one ``__default__`` pipeline."""
    imports = sorted({f"from {spec.module} import {spec.function}" for spec in specs})
    nodes = "\n".join(
        f"            node({spec.function}, {_names(spec.inputs)}, {_names(spec.outputs)}, "
        f"name={spec.name!r}, tags={list(spec.tags)!r}),"
        for spec in specs
    )
    return (
        '"""The project\'s one pipeline, written by the benchmark harness."""\n\n'
        f"from {PIPELINE_MODULES[tool]} import Pipeline, node\n\n"
        + "\n".join(imports)
        + "\n\n\ndef register_pipelines():\n"
        + '    return {\n        "__default__": Pipeline(\n            [\n'
        + "\n".join("    " + line for line in nodes.splitlines())
        + "\n            ]\n        )\n    }\n"
    )


def pyproject_source(tool: str, package: str, kedro_version: str | None) -> str:
    """The pyproject.toml each tool reads to find the project's package."""
    if tool == "hookline":
        return textwrap.dedent(
            f"""\
            [tool.hookline]
            package_name = "{package}"
            project_name = "{package}"
            """
        )
    # Kedro refuses a project whose kedro_init_version is of another major version.
    return textwrap.dedent(
        f"""\
        [tool.kedro]
        package_name = "{package}"
        project_name = "{package}"
        kedro_init_version = "{kedro_version}"
        source_dir = "src"
        """
    )


@dataclass
class ProjectPlan:
    """What a generated project holds apart from its pipeline.

    Attributes:
        package: The Python package under ``src/``.
        catalog: The text of ``conf/base/catalog.yml``.
        parameters: The text of ``conf/base/parameters.yml``.
        settings: The text of ``settings.py`` (``HOOKS = (...)`` and the imports it needs).
        modules: Further modules of the package: file name -> source.
        conf: Further files under ``conf/base``: file name -> text.
        registry: The text of ``pipeline_registry.py``, when the project's pipelines are not
            the one flat pipeline of its node specs (modular pipelines, for instance).
    """

    package: str
    catalog: str
    parameters: str = "{}\n"
    settings: str = ""
    modules: Mapping[str, str] = field(default_factory=dict)
    conf: Mapping[str, str] = field(default_factory=dict)
    registry: str | None = None


def write_project(
    root: Path,
    tool: str,
    plan: ProjectPlan,
    specs: Sequence[NodeSpec],
    kedro_version: str | None = None,
) -> Path:
    """Write ``tool``'s project into ``root`` (created) and return ``root``."""
    package = root / "src" / plan.package
    files = {
        root / "pyproject.toml": pyproject_source(tool, plan.package, kedro_version),
        root / "conf" / "base" / "catalog.yml": plan.catalog,
        root / "conf" / "base" / "parameters.yml": plan.parameters,
        root / "conf" / "local" / ".keep": "",
        package / "__init__.py": "",
        package / "settings.py": plan.settings,
        package / "pipeline_registry.py": plan.registry or registry_source(tool, specs),
    }
    files.update({package / name: text for name, text in plan.modules.items()})
    files.update({root / "conf" / "base" / name: text for name, text in plan.conf.items()})
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root
