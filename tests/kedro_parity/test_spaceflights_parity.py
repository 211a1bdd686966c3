"""A spaceflights-shaped Kedro 1.7 project (spaceflights/) runs under `kedro run`, is ported
by `hookline port-kedro`, and runs under `hookline run` with every runner: the tables (as
data), the metrics, the models' predictions and coefficients, and the names of the nodes and
datasets must be the same.

The project has what most Kedro projects lean on: modular pipelines found by
find_pipelines(), one modelling pipeline reused under two namespaces, dataset factories for
the intermediate tables and the models (versioned), a transcoded dataset, globals, a runtime
parameter and a kedro-datasets class (pandas.ExcelDataset). The raw data is generated here.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import random
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

PROJECT = Path(__file__).parent / "spaceflights"
RUNNERS = ("SequentialRunner", "ThreadRunner", "ParallelRunner", "DaskRunner")
PARAMS = "test_size=0.25"
NAMESPACES = ("active_modelling_pipeline", "candidate_modelling_pipeline")

#: Every output table, as (folder-relative path, reader).
TABLES = {
    "data/02_intermediate/companies.parquet": pd.read_parquet,
    "data/02_intermediate/shuttles.parquet": pd.read_parquet,
    "data/03_primary/model_input_table.csv": pd.read_csv,
    "data/08_reporting/passenger_capacity.csv": pd.read_csv,
    **{f"data/07_model_output/{ns}_predictions.csv": pd.read_csv for ns in NAMESPACES},
}
JSON_OUTPUTS = (
    "data/08_reporting/model_input_summary.json",
    *(f"data/09_tracking/{ns}_metrics.json" for ns in NAMESPACES),
)

NAMES_SCRIPT = {
    "kedro": (
        "from pathlib import Path\n"
        "from kedro.framework.startup import bootstrap_project\n"
        "bootstrap_project(Path.cwd())\n"
        "from kedro.framework.project import pipelines\n"
        "pipeline = pipelines['__default__']\n"
    ),
    "hookline": (
        "from hookline.project import find_project, load_pipelines\n"
        "pipeline = load_pipelines(find_project('.'))['__default__']\n"
    ),
}
PRINT_NAMES = (
    "import json\n"
    "print(json.dumps({'nodes': sorted(n.name for n in pipeline.nodes),"
    " 'datasets': sorted(pipeline.datasets())}))\n"
)


def _python(project: Path, *arguments: str) -> str:
    command = [sys.executable, *arguments]
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "COLUMNS": "200"}
    done = subprocess.run(
        command, cwd=project, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _write_raw_data(project: Path) -> None:
    """Companies, shuttles (an Excel sheet) and reviews, the same on every run."""
    rng = random.Random(17)
    raw = project / "data" / "01_raw"
    raw.mkdir(parents=True)
    companies = pd.DataFrame(
        {
            "id": range(1, 31),
            "company_rating": [f"{rng.randint(50, 100)}%" for _ in range(30)],
            "company_location": [rng.choice(["Niue", "Anguilla", "Malta"]) for _ in range(30)],
            "total_fleet_count": [float(rng.randint(1, 9)) for _ in range(30)],
            "iata_approved": [rng.choice("tf") for _ in range(30)],
        }
    )
    shuttles = pd.DataFrame(
        {
            "id": range(100, 220),
            "shuttle_location": [rng.choice(["Niue", "Malta"]) for _ in range(120)],
            "shuttle_type": [rng.choice(["Type V5", "Type F5", "Type A1"]) for _ in range(120)],
            "engine_type": [rng.choice(["Quantum", "Plasma"]) for _ in range(120)],
            "engine_vendor": [rng.choice(["ThetaBase", "Banks"]) for _ in range(120)],
            "engines": [float(rng.randint(1, 4)) for _ in range(120)],
            "passenger_capacity": [rng.randint(2, 12) for _ in range(120)],
            "cancellation_policy": [rng.choice(["strict", "flexible"]) for _ in range(120)],
            "crew": [float(rng.randint(1, 6)) for _ in range(120)],
            "d_check_complete": [rng.choice("tf") for _ in range(120)],
            "moon_clearance_complete": [rng.choice("tf") for _ in range(120)],
            "price": [f"${rng.randint(500, 5000):,}.0" for _ in range(120)],
            "company_id": [rng.randint(1, 30) for _ in range(120)],
        }
    )
    reviews = pd.DataFrame(
        {
            "shuttle_id": range(100, 210),
            "review_scores_rating": [float(rng.randint(60, 100)) for _ in range(110)],
            "review_scores_comfort": [float(rng.randint(5, 10)) for _ in range(110)],
            "number_of_reviews": [rng.randint(0, 40) for _ in range(110)],
        }
    )
    companies.to_csv(raw / "companies.csv", index=False)
    reviews.to_csv(raw / "reviews.csv", index=False)
    shuttles.to_excel(raw / "shuttles.xlsx", index=False, engine="openpyxl")


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "data"))
    _write_raw_data(target)
    return target


@pytest.fixture(scope="module")
def kedro_side(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project after `kedro run`."""
    project = _copy(PROJECT, tmp_path_factory.mktemp("kedro") / "spaceflights")
    _python(project, "-m", "kedro", "run", "--params", PARAMS)
    return project


@pytest.fixture(scope="module")
def ported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A fresh copy of the project, ported by `hookline port-kedro`, and the port's report."""
    project = _copy(PROJECT, tmp_path_factory.mktemp("ported") / "spaceflights")
    report = json.loads(_python(project, "-m", "hookline", "port-kedro", "--json"))
    return project, report


def _names(side: str, project: Path) -> dict[str, list[str]]:
    # The last line: Kedro logs to the standard output as it starts.
    output = _python(project, "-c", NAMES_SCRIPT[side] + PRINT_NAMES)
    names: dict[str, list[str]] = json.loads(output.splitlines()[-1])
    return names


def _regressors(project: Path) -> dict[str, Any]:
    """The one saved version of each namespace's model."""
    models = {}
    for namespace in NAMESPACES:
        [path] = (project / "data/06_models" / namespace / "regressor.pickle").glob("*/*")
        models[namespace] = pickle.loads(path.read_bytes())
    return models


def test_the_port_reports_what_it_changed_and_only_the_kedro_entry_point_is_left(
    ported: tuple[Path, dict[str, Any]],
) -> None:
    project, report = ported
    assert report["written"] is True
    changed = {change["file"] for change in report["changes"]}
    assert changed == {
        "pyproject.toml",
        "conf/base/catalog.yml",
        "src/spaceflights/pipeline_registry.py",
        "src/spaceflights/pipelines/data_processing/pipeline.py",
        "src/spaceflights/pipelines/data_science/pipeline.py",
        "src/spaceflights/pipelines/reporting/pipeline.py",
    }
    left = {(item["file"], item["api"]) for item in report["not_ported"]}
    assert left == {
        ("pyproject.toml", "kedro (dependency)"),
        ("src/spaceflights/__main__.py", "kedro.framework.cli.utils.find_run_command"),
        ("src/spaceflights/__main__.py", "kedro.framework.project.configure_project"),
    }
    catalog = (project / "conf/base/catalog.yml").read_text()
    assert "type: kedro_datasets.pandas.ExcelDataset  # kedro-datasets' class" in catalog


def test_nodes_and_datasets_are_named_as_in_kedro(
    kedro_side: Path, ported: tuple[Path, dict[str, Any]]
) -> None:
    kedro_names = _names("kedro", kedro_side)
    assert "active_modelling_pipeline.train_model_node" in kedro_names["nodes"]
    assert _names("hookline", ported[0]) == kedro_names


@pytest.mark.parametrize("runner", RUNNERS)
def test_every_output_is_the_same_as_kedros(
    runner: str,
    kedro_side: Path,
    ported: tuple[Path, dict[str, Any]],
    tmp_path: Path,
) -> None:
    project = _copy(ported[0], tmp_path / "spaceflights")
    _python(project, "-m", "hookline", "run", "--runner", runner, "--params", PARAMS)

    for table, read in TABLES.items():
        pd.testing.assert_frame_equal(read(project / table), read(kedro_side / table))
    for output in JSON_OUTPUTS:
        assert json.loads((project / output).read_text()) == json.loads(
            (kedro_side / output).read_text()
        ), output
    theirs, ours = _regressors(kedro_side), _regressors(project)
    for namespace in NAMESPACES:
        assert ours[namespace].coef_.tolist() == theirs[namespace].coef_.tolist()
        assert ours[namespace].intercept_ == theirs[namespace].intercept_
    # The runtime parameter reached both: a quarter of the rows are test rows.
    rows = json.loads((project / JSON_OUTPUTS[0]).read_text())["rows"]
    predictions = pd.read_csv(project / f"data/07_model_output/{NAMESPACES[0]}_predictions.csv")
    assert len(predictions) == math.ceil(rows * 0.25)  # scikit-learn rounds the test rows up
