"""Fixtures for hookline-great-expectations' tests: a project written to disk with a real
Great Expectations file context next to it, its suites and checkpoints made through the Great
Expectations API (1.x here; 0.15.x in ``legacy.py``).

The project (from the shared ``make_project``) has two nodes::

    companies (CSV) + params:factor --preprocess--> preprocessed_companies (CSV)
    preprocessed_companies --summarize--> summary (a dict, in memory)

``preprocess`` multiplies ``rating`` by ``params:factor`` (1 keeps ratings within 0..5, 10
breaks the ``preprocessed_companies`` suite). ``companies.csv`` is written from ``ROWS`` or
the rows a test gives. Each node writes ``<params:marker_dir>/<node>.ran`` when its function
runs, in whichever process runs it. The project's settings switch the other plugins off, so
only this plugin's hooks fire.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from hookline.errors import ConfigError
from hookline.measurements import Measurement
from hookline.runner import AbstractRunner, SequentialRunner
from hookline.session import HooklineSession, RunFailed, RunResult
from tests.support import RUNNERS


def _installed_major() -> int | None:
    try:
        return int(metadata.version("great_expectations").split(".")[0])
    except metadata.PackageNotFoundError:
        return None


#: The major version of the installed great_expectations (None when it is not installed).
GX_MAJOR = _installed_major()

# GX Core 1.x and great_expectations 0.15.x cannot share an environment: each environment
# collects the tests of its own release (the 0.15.x ones run in nox -s legacy_great_expectations).
GX1_TESTS = [
    "test_contract.py",
    "test_gx1.py",
    "test_gx1_checkpoints.py",
    "test_gx1_context_files.py",
    "test_gx1_regressions.py",
]
LEGACY_TESTS = ["test_legacy.py", "test_seed_legacy.py"]
if GX_MAJOR is None:
    collect_ignore = GX1_TESTS + LEGACY_TESTS
else:
    collect_ignore = LEGACY_TESTS if GX_MAJOR >= 1 else GX1_TESTS

NODES = """
import pathlib


def _ran(marker_dir, name):
    pathlib.Path(marker_dir, name + ".ran").touch()


def preprocess(companies, factor, marker_dir):
    _ran(marker_dir, "preprocess")
    return companies.assign(rating=companies["rating"] * factor)


def summarize(preprocessed_companies, marker_dir):
    _ran(marker_dir, "summarize")
    return {"rows": len(preprocessed_companies)}
"""

REGISTRY = """
pipe = pipeline([
    node(preprocess, ["companies", "params:factor", "params:marker_dir"],
         "preprocessed_companies", name="preprocess"),
    node(summarize, ["preprocessed_companies", "params:marker_dir"], "summary", name="summarize"),
])
return {"__default__": pipe}
"""

CATALOG = """
companies:
  type: pandas.CSVDataset
  filepath: data/01_raw/companies.csv
preprocessed_companies:
  type: pandas.CSVDataset
  filepath: data/02_intermediate/preprocessed_companies.csv
"""

# The other installed plugins stay out of these runs: only this plugin's hooks fire.
SETTINGS = """
DISABLE_HOOKS_FOR_PLUGINS = (
    "hookline-mlflow", "hookline-statsd", "hookline-memory", "hookline-testplugin",
    "hookline-brokenplugin",
)
"""

#: Valid companies: ids present, ratings within 0..5.
ROWS = [(1, 4.5), (2, 3.0), (3, 0.5), (4, 5.0)]
#: A missing id (not_be_null fails) and two ratings out of 0..5 (between fails).
BAD_ROWS = [(1, 4.5), (None, 3.0), (3, 7.25), (4, -1.0)]


def write_companies(project: Path, rows: Iterable[tuple[Any, Any]]) -> Path:
    """Write ``companies.csv`` of ``project`` from (id, rating) rows."""
    path = project / "data" / "01_raw" / "companies.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["id,rating"] + [
        f"{'' if cid is None else cid},{'' if rating is None else rating}" for cid, rating in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def ge_config(datasets: dict[str, dict[str, str]], **settings: Any) -> str:
    """The text of a ``great_expectations.yml`` with ``datasets`` and top-level ``settings``."""
    return json.dumps({**settings, "datasets": datasets})  # JSON is YAML


ProjectFactory = Callable[..., Path]


@pytest.fixture
def ge_project(make_project: ProjectFactory, tmp_path: Path) -> ProjectFactory:
    """Write a project with a Great Expectations context (made by ``build_context``).

    Call it with the text of ``great_expectations.yml``, and optionally ``rows`` for
    ``companies.csv``, ``factor``, ``build_context`` (a function of the project folder; the
    GX 1.x context by default, None for no context) and ``catalog`` text.
    """

    def factory(
        ge_yml: str | None,
        rows: Iterable[tuple[Any, Any]] = ROWS,
        factor: float = 1,
        build_context: Callable[[Path], None] | None = None,
        catalog: str = CATALOG,
        nodes: str = NODES,
        registry: str = REGISTRY,
    ) -> Path:
        markers = tmp_path / f"markers-{len(list(tmp_path.glob('markers-*')))}"
        markers.mkdir()
        conf = {
            "base/catalog.yml": catalog,
            "base/parameters.yml": json.dumps({"factor": factor, "marker_dir": str(markers)}),
        }
        if ge_yml is not None:
            conf["base/great_expectations.yml"] = ge_yml
        project = make_project(nodes=nodes, registry=registry, settings=SETTINGS, conf=conf)
        write_companies(project, rows)
        if build_context is not None:
            build_context(project)
        return project

    return factory


#: The runners this environment has: the legacy one (great_expectations 0.15.x) has only the
#: core and this plugin, without Dask.
AVAILABLE_RUNNERS = sorted(
    name for name in RUNNERS if name != "dask" or importlib.util.find_spec("distributed")
)


@pytest.fixture(params=AVAILABLE_RUNNERS)
def runner(request: pytest.FixtureRequest) -> AbstractRunner:
    """Each runner of hookline that this environment has, in turn."""
    return RUNNERS[request.param](request)


def run(project: Path, runner: AbstractRunner | None = None) -> RunResult | RunFailed:
    """Run the project's default pipeline; return the result, or the failure."""
    session = HooklineSession.create(project)
    try:
        return session.run(runner=runner or SequentialRunner())
    except RunFailed as failure:
        return failure


def start_up_error(project: Path) -> ConfigError:
    """Run the project; return the configuration error it stops with before any node ran
    (the session raises it as it is, exit code 2, not as a failed run to resume)."""
    with pytest.raises(ConfigError) as caught:
        HooklineSession.create(project).run(runner=SequentialRunner())
    return caught.value


def failed(outcome: RunResult | RunFailed) -> RunFailed:
    """``outcome``, which must be a failed run."""
    assert isinstance(outcome, RunFailed), "the run should have failed"
    return outcome


def ran(project: Path) -> set[str]:
    """The nodes whose function ran in ``project``'s runs."""
    parameters = json.loads((project / "conf" / "base" / "parameters.yml").read_text())
    return {path.stem for path in Path(parameters["marker_dir"]).glob("*.ran")}


def figures(
    measurements: Iterable[Measurement], name: str
) -> dict[tuple[str | None, str | None, str], float]:
    """(node, dataset, role) -> value of every measurement called ``name``."""
    return {
        (m.node, m.dataset, m.tags.get("role", "")): m.value
        for m in measurements
        if m.name == name and m.source == "hookline-great-expectations"
    }


def stored_results(context_root: Path, run_name: str) -> list[dict[str, Any]]:
    """Every validation result the context stored under ``run_name``."""
    results = []
    for path in sorted((context_root / "uncommitted" / "validations").rglob("*.json")):
        result = json.loads(path.read_text())
        if result.get("meta", {}).get("run_id", {}).get("run_name") == run_name:
            results.append(result)
    return results
