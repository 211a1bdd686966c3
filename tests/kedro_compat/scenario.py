"""The project every Kedro-style hook runs in: the hook modules of ``hooks/`` copied into its
package, for hookline (import line changed) or for Kedro (as written).

One scenario serves the compatibility tests (hookline, every runner) and the parity tests
(``nox -s kedro_parity``, the same project under Kedro 1.7 and hookline): companies are rated
against a parameter, the top ones summed in a currency fed by a hook, and every hook appends
what it saw to one JSON-lines file, which :func:`read_records` reads back.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from hookline.entry_points import HOOKS_ENTRY_POINT_GROUP
from hookline.testing import write_project

HOOKS_DIR = Path(__file__).parent / "hooks"

KEDRO_IMPORT = "from kedro.framework.hooks import hook_impl\n"
HOOKLINE_IMPORT = "from hookline import hook_impl\n"

#: Hook module -> how settings.py builds its instance (``{record}`` is the record file).
KEDRO_1X_HOOKS: dict[str, str] = {
    "dataset_statistics": "DatasetStatisticsHooks({record})",
    "run_status": "RunStatusHooks({record})",
    "schema_validation": "SchemaValidationHooks({record})",
    "spark_session": "SparkHooks({record})",
    "dynamic_catalog": 'DynamicCatalogHooks({record}, {{"EUR": 1.0, "USD": 1.25}})',
}
#: Hooks calling what Kedro 1.x removed: they run on hookline only.
KEDRO_018_HOOKS: dict[str, str] = {"legacy_catalog": "LegacyCatalogHooks({record})"}
ALL_HOOKS = {**KEDRO_1X_HOOKS, **KEDRO_018_HOOKS}

NODES = """
def rate(companies, threshold):
    return companies.assign(top=companies["rating"] >= threshold)


def summarise(rated_companies, report, exchange_rates):
    top = rated_companies[rated_companies["top"]]
    rate = exchange_rates[report["currency"]]
    return {
        "title": report["title"],
        "currency": report["currency"],
        "top_ids": [int(i) for i in top["id"]],
        "revenue": round(float(top["revenue"].sum()) * rate, 2),
    }


def count(companies_snapshot):
    return len(companies_snapshot)
"""

REGISTRY = """return {"__default__": pipeline([
    node(rate, ["companies", "params:threshold"], "rated_companies", name="rate"),
    node(summarise, ["rated_companies", "params:report", "exchange_rates"], "summary",
         name="summarise"),
    node(count, "companies_snapshot", "snapshot_size", name="count"),
])}
"""

#: rating 4.5 and 3.0 pass a threshold of 3.5 only with revenue 10.0 and 30.0.
COMPANIES_CSV = "id,rating,revenue\n1,4.5,10.0\n2,2.0,20.0\n3,3.5,30.0\n"
#: The same companies with a rating that is not a number: its schema check fails.
BAD_COMPANIES_CSV = "id,rating,revenue\n1,high,10.0\n2,2.0,20.0\n3,3.5,30.0\n"

CONF = {
    "base/catalog.yml": """
        companies:
          type: pandas.CSVDataset
          filepath: data/01_raw/companies.csv
          metadata:
            schema:
              columns:
                id: ${schema.dtype:int}
                rating: ${schema.dtype:float}
        rated_companies:
          type: pandas.CSVDataset
          filepath: data/02_intermediate/rated_companies.csv
        summary:
          type: json.JSONDataset
          filepath: data/08_reporting/summary.json
    """,
    "base/parameters.yml": """
        threshold: 3.5
        report:
          title: ${globals:report_title}
          currency: ${runtime_params:currency,EUR}
    """,
    "base/globals.yml": """
        report_title: Top companies
        driver_memory: 2g
    """,
    "base/spark.yml": """
        spark.master: local[2]
        spark.driver.memory: ${globals:driver_memory}
        spark.app.name: ${runtime_params:app_name,companies}
        spark.sql.shuffle.partitions: 4
    """,
    "local/spark.yml": """
        spark.sql.shuffle.partitions: 8
    """,
}

SETTINGS = """
{imports}

HOOKS = (
{instances}
)
# As Kedro's project template writes it, with the pattern the PySpark starter adds.
CONFIG_LOADER_ARGS = {{
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {{"spark": ["spark*", "spark*/**"]}},
}}
"""


def hookline_source(module: str) -> str:
    """The source of hook module ``module`` with its Kedro import line made hookline's."""
    source = (HOOKS_DIR / f"{module}.py").read_text(encoding="utf-8")
    assert source.count(KEDRO_IMPORT) == 1, f"{module}.py must import hook_impl from Kedro"
    return source.replace(KEDRO_IMPORT, HOOKLINE_IMPORT)


def kedro_source(module: str) -> str:
    """The source of hook module ``module`` as written, for Kedro."""
    return (HOOKS_DIR / f"{module}.py").read_text(encoding="utf-8")


def _settings(package: str, hooks: dict[str, str], record: Path) -> str:
    imports = []
    instances = []
    for module, instance in hooks.items():
        class_name = instance.split("(", 1)[0]
        imports.append(f"from {package}.{module} import {class_name}")
        instances.append("    " + instance.format(record=repr(str(record))) + ",")
    return SETTINGS.format(imports="\n".join(imports), instances="\n".join(instances))


def _other_plugins() -> tuple[str, ...]:
    """The distributions of every installed hookline plugin: the scenario runs without them."""
    return tuple(
        sorted(
            {
                entry_point.dist.name
                for entry_point in metadata.entry_points(group=HOOKS_ENTRY_POINT_GROUP)
                if entry_point.dist is not None
            }
        )
    )


@dataclass(frozen=True)
class Scenario:
    """A written project and the file its hooks record into."""

    project: Path
    record: Path

    @property
    def package(self) -> str:
        """The project's package name."""
        return self.project.name

    def records(self, hook: str) -> list[dict[str, Any]]:
        """What was recorded under ``hook`` (such as ``"status.started"``), in order."""
        return [entry for entry in read_records(self.record) if entry["hook"] == hook]

    def record_of(self, hook: str) -> dict[str, Any]:
        """The one record under ``hook``."""
        found = self.records(hook)
        assert len(found) == 1, f"expected one {hook!r} record, found {found}"
        return found[0]

    def output(self, relative: str) -> Any:
        """The JSON file at ``relative`` under the project's data folder."""
        return json.loads((self.project / "data" / relative).read_text(encoding="utf-8"))


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every line of a record file, parsed."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _copy_recorder(package_dir: Path) -> None:
    """The module every hook records through, which imports nothing of either framework."""
    recorder = (HOOKS_DIR / "recorder.py").read_text(encoding="utf-8")
    (package_dir / "recorder.py").write_text(recorder, encoding="utf-8")


def _write_data(project: Path, companies_csv: str) -> None:
    raw = project / "data" / "01_raw"
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "companies.csv").write_text(companies_csv, encoding="utf-8")


def write_hookline_scenario(
    parent: Path,
    hooks: dict[str, str] | None = None,
    companies_csv: str = COMPANIES_CSV,
) -> Scenario:
    """The scenario as a hookline project under ``parent`` with ``hooks`` (default: all)."""
    hooks = ALL_HOOKS if hooks is None else hooks
    record = parent / "hookline-records.jsonl"
    project = write_project(parent, NODES, REGISTRY, conf=CONF)
    package_dir = project / "src" / project.name
    _copy_recorder(package_dir)
    for module in hooks:
        (package_dir / f"{module}.py").write_text(hookline_source(module), encoding="utf-8")
    settings = _settings(project.name, hooks, record)
    settings += f"DISABLE_HOOKS_FOR_PLUGINS = {_other_plugins()!r}\n"
    (package_dir / "settings.py").write_text(settings, encoding="utf-8")
    _write_data(project, companies_csv)
    return Scenario(project, record)


KEDRO_PYPROJECT = """[tool.kedro]
package_name = "{package}"
project_name = "{package}"
kedro_init_version = "1.7.0"
"""


def write_kedro_scenario(parent: Path, package: str, hooks: dict[str, str]) -> Scenario:
    """The scenario as a Kedro project in ``parent/<package>`` with ``hooks``, written by hand
    as ``kedro new --tools=none --example=n`` lays one out."""
    record = parent / "kedro-records.jsonl"
    project = parent / package
    package_dir = project / "src" / package
    package_dir.mkdir(parents=True)
    (project / "pyproject.toml").write_text(KEDRO_PYPROJECT.format(package=package))
    (package_dir / "__init__.py").write_text("")
    (package_dir / "nodes.py").write_text(textwrap.dedent(NODES))
    (package_dir / "pipeline_registry.py").write_text(
        "from kedro.pipeline import Pipeline, node, pipeline\n"
        f"from {package}.nodes import *  # noqa: F403\n\n"
        "def register_pipelines():\n" + textwrap.indent(REGISTRY, "    ")
    )
    _copy_recorder(package_dir)
    for module in hooks:
        (package_dir / f"{module}.py").write_text(kedro_source(module), encoding="utf-8")
    (package_dir / "settings.py").write_text(_settings(package, hooks, record))
    for folder in ("base", "local"):
        (project / "conf" / folder).mkdir(parents=True)
    for relative, text in CONF.items():
        (project / "conf" / relative).write_text(textwrap.dedent(text), encoding="utf-8")
    _write_data(project, COMPANIES_CSV)
    return Scenario(project, record)
