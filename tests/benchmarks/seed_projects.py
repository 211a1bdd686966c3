"""The projects of the seed-hooks case: the pipeline the seed's hooks were written for, in both
tools, with one hook class (or none) registered in settings.py.

The seed's ModelTrackingHooks names datasets of Kedro's example pipeline
(``params:example_test_data_ratio``, ``parameters``, ``example_model``) and the node
functions ``split_data`` and ``train_model``, so the pipeline here has exactly those; the
other seed hooks work on any pipeline. The hooks' sources are the ported copies under
tests/plugins (the seed verbatim but for its import lines); the Kedro projects get them with
those import lines changed back to Kedro's.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

from generated_projects import NodeSpec, ProjectPlan, write_project

REPOSITORY = Path(__file__).resolve().parents[2]

#: hookline's import lines in the ported seeds -> the seed's own Kedro lines.
KEDRO_IMPORTS = {
    "from hookline import DataCatalog, hook_impl": (
        "from kedro.framework.hooks import hook_impl\nfrom kedro.io import DataCatalog"
    ),
    "from hookline import hook_impl": "from kedro.framework.hooks import hook_impl",
    "from hookline.node import Node": "from kedro.pipeline.node import Node",
}

ROWS = 2_000
FEATURES = ("engines", "capacity", "crew", "rating")

NODES = '''\
"""The pipeline of the seed's MLflow example: split, train, evaluate."""

from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, r2_score


def split_data(data, example_test_data_ratio):
    cut = int(len(data) * (1 - example_test_data_ratio))
    features, target = data.drop(columns="price"), data["price"]
    return features.iloc[:cut], features.iloc[cut:], target.iloc[:cut], target.iloc[cut:]


def train_model(X_train, y_train, parameters):
    return LinearRegression(**parameters["model_options"]).fit(X_train, y_train)


def evaluate_model(example_model, X_test, y_test):
    predicted = example_model.predict(X_test)
    return {"r2": float(r2_score(y_test, predicted)), "mae": float(mean_absolute_error(y_test, predicted))}
'''

CATALOG = """\
example_data:
  type: pandas.CSVDataset
  filepath: data/example_data.csv
example_model:
  type: pickle.PickleDataset
  filepath: data/example_model.pickle
  metadata: {mlflow: {log_as: model}}
scores:
  type: json.JSONDataset
  filepath: data/scores.json
  metadata: {mlflow: {log_as: metric}}
"""

PARAMETERS = "example_test_data_ratio: 0.2\nmodel_options:\n  fit_intercept: true\n"


@dataclass(frozen=True)
class SeedHook:
    """One of the seed's hook classes.

    Attributes:
        label: What the report calls it.
        source: Its ported copy, relative to the repository.
        class_name: The class settings.py registers.
        plugin: The hookline plugin doing the same job (a distribution name).
    """

    label: str
    source: str
    class_name: str
    plugin: str


SEED_HOOKS = {
    "memory": SeedHook(
        "memory (MemoryProfilingHooks)",
        "tests/plugins/memory/seed_hooks.py",
        "MemoryProfilingHooks",
        "hookline-memory",
    ),
    "statsd": SeedHook(
        "StatsD (PipelineMonitoringHooks)",
        "tests/plugins/statsd/seed_hooks.py",
        "PipelineMonitoringHooks",
        "hookline-statsd",
    ),
    "mlflow": SeedHook(
        "MLflow (ModelTrackingHooks)",
        "tests/plugins/mlflow/seed_hooks.py",
        "ModelTrackingHooks",
        "hookline-mlflow",
    ),
}


#: What Kedro 1.x calls the ``run_params`` key the seed reads as ``session_id`` (Kedro 0.18's
#: name); hookline passes both, so the seed runs on hookline as written.
KEDRO_RUN_ID_KEY = 'run_params["run_id"]'
SEED_SESSION_ID_KEY = 'run_params["session_id"]'


def seed_source(hook: SeedHook, tool: str) -> str:
    """The hook's module for ``tool``: the port as it is, or for Kedro with Kedro's import
    lines back and ``run_params["session_id"]`` read as Kedro 1.x names it (as written, the
    seed's MLflow hook fails on Kedro 1.7 with ``KeyError: 'session_id'``)."""
    text = (REPOSITORY / hook.source).read_text()
    if tool == "hookline":
        return text
    for ours, theirs in KEDRO_IMPORTS.items():
        text = re.sub(rf"^{re.escape(ours)}$", theirs, text, flags=re.MULTILINE)
    text = text.replace(SEED_SESSION_ID_KEY, KEDRO_RUN_ID_KEY)
    leftover = re.findall(r"^(?:from|import) hookline\b.*$", text, flags=re.MULTILINE)
    if leftover:
        raise ValueError(f"{hook.source}: an import line with no Kedro counterpart: {leftover}")
    return text


def specs(package: str) -> list[NodeSpec]:
    """split_data -> train_model -> evaluate_model, with the names the seed looks for."""
    module = f"{package}.nodes"
    return [
        NodeSpec(
            module,
            "split_data",
            ("example_data", "params:example_test_data_ratio"),
            ("X_train", "X_test", "y_train", "y_test"),
            "split",
        ),
        NodeSpec(
            module, "train_model", ("X_train", "y_train", "parameters"), ("example_model",), "train"
        ),
        NodeSpec(
            module, "evaluate_model", ("example_model", "X_test", "y_test"), ("scores",), "evaluate"
        ),
    ]


def write_data(path: Path) -> None:
    """A seeded table of shuttles: four features and a price that depends on them."""
    rng = random.Random(5)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow([*FEATURES, "price"])
        for _ in range(ROWS):
            row = [rng.randint(1, 4), rng.randint(1, 12), rng.randint(1, 8), rng.random()]
            price = 300 * row[0] + 40 * row[1] + 25 * row[2] + 500 * row[3] + rng.gauss(0, 30)
            writer.writerow([*row, round(price, 2)])


def write_projects(root: Path, tool: str, kedro_version: str | None) -> dict[str, Path]:
    """One project of ``tool`` per configuration: ``none`` and each seed hook's key."""
    projects = {}
    for key in ("none", *SEED_HOOKS):
        package = f"bench_seed_{tool}_{key}"
        modules = {"nodes.py": NODES}
        settings = ""
        if key in SEED_HOOKS:
            hook = SEED_HOOKS[key]
            modules["seed_hooks.py"] = seed_source(hook, tool)
            settings = (
                f"from {package}.seed_hooks import {hook.class_name}\n\n"
                f"HOOKS = ({hook.class_name}(),)\n"
            )
        plan = ProjectPlan(package, CATALOG, PARAMETERS, settings, modules)
        project = write_project(root / f"{tool}-{key}", tool, plan, specs(package), kedro_version)
        write_data(project / "data" / "example_data.csv")
        projects[key] = project
    return projects


def clear_outputs(project: Path) -> None:
    """Remove what a run writes, so that each run does the same work."""
    for name in ("example_model.pickle", "scores.json"):
        (project / "data" / name).unlink(missing_ok=True)


def output_digest(project: Path) -> str:
    """The run's scores (the model's evidence), as both tools must compute them."""
    scores = json.loads((project / "data" / "scores.json").read_text())
    canonical = json.dumps(scores, sort_keys=True)
    return f"scores {hashlib.sha256(canonical.encode()).hexdigest()[:12]}"
