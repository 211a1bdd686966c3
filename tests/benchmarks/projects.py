"""The 3-node projects of the whole-process case, generated into a folder for each tool.

Both run the same three node functions (source below), with no dataset I/O: the first node
takes no input, the last prints the result, so the harness can check both tools computed it.
The Kedro project is written from scratch here, with only what ``kedro run`` needs; it is not
a copy of Kedro's starter.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

#: The line the last node prints; the whole-process case looks for it in the output.
RESULT_LINE = "BENCH-RESULT 3"

NODES = '''\
"""The three node functions, shared by the hookline and the Kedro project."""


def one():
    return 1


def plus_two(x):
    return x + 2


def emit(x):
    print(f"BENCH-RESULT {x}", flush=True)
'''

REGISTRY = '''\
"""The project's one pipeline: one -> plus_two -> emit."""

from {module} import Pipeline, node

from {package}.nodes import emit, one, plus_two


def register_pipelines():
    return {{
        "__default__": Pipeline(
            [
                node(one, None, "a", name="one"),
                node(plus_two, "a", "b", name="plus_two"),
                node(emit, "b", None, name="emit"),
            ]
        )
    }}
'''


def _write(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _package_files(package: str, registry: str) -> dict[str, str]:
    return {
        # Kedro refuses to run without a catalog file; both projects get the same empty one.
        "conf/base/catalog.yml": "{}\n",
        "conf/local/.keep": "",
        f"src/{package}/__init__.py": "",
        f"src/{package}/settings.py": "",
        f"src/{package}/nodes.py": NODES,
        f"src/{package}/pipeline_registry.py": registry,
    }


def write_hookline_project(parent: Path) -> Path:
    """Write the hookline project under ``parent`` and return its folder."""
    package = "bench_hookline_project"
    files = _package_files(package, REGISTRY.format(module="hookline", package=package))
    files["pyproject.toml"] = textwrap.dedent(
        f"""\
        [tool.hookline]
        package_name = "{package}"
        project_name = "Benchmark"
        """
    )
    return _write(parent / "hookline_project", files)


def write_kedro_project(parent: Path, kedro_version: str) -> Path:
    """Write the Kedro project under ``parent`` and return its folder.

    ``kedro_init_version`` must name the installed Kedro, which refuses other major versions.
    """
    package = "bench_kedro_project"
    files = _package_files(package, REGISTRY.format(module="kedro.pipeline", package=package))
    files["pyproject.toml"] = textwrap.dedent(
        f"""\
        [tool.kedro]
        package_name = "{package}"
        project_name = "Benchmark"
        kedro_init_version = "{kedro_version}"
        source_dir = "src"
        """
    )
    return _write(parent / "kedro_project", files)
