"""The example's spaceflights pipeline as a hookline project and a Kedro project, and their
outputs as one comparable digest.

Both projects run the example's own node functions (imported from the installed
``spaceflights`` package) wired as the example wires them, on the same generated raw data,
with the example's catalog and parameters. The modular variant wires the same functions in the
shape of Kedro's spaceflights tutorial: data_processing, data_science reusing one modelling
pipeline under two namespaces (``active_modelling_pipeline`` and
``candidate_modelling_pipeline``, each with its own parameters, model and metrics), and
reporting on the active model; its registry is the same text for both tools but for the module
``pipeline`` and ``node`` come from. The only catalog difference is the example's own
dataset type (a matplotlib figure saved as PNG): the Kedro project gets its own class of the
same behaviour, written here, since the example's subclasses hookline's file dataset.

Neither project registers a hook: the example's ``ReadOnlyParametersHooks`` is a project hook
of hookline's example, and the main row compares the tools, not that hook.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import yaml
from generated_projects import PIPELINE_MODULES, NodeSpec, ProjectPlan, specs_of, write_project

#: The installed example project's source folder (conf/ is read from the repository).
EXAMPLE = Path(__file__).resolve().parents[2] / "example_project"

#: The example's own dataset type, and the name the Kedro project's equivalent has.
EXAMPLE_FIGURE_TYPE = "spaceflights.datasets.FigureDataset"
KEDRO_FIGURE_MODULE = "figure_dataset"

#: Shuttles generated (the example's default size: a run takes seconds).
SHUTTLES = 2_000
DATA_SEED = 42

KEDRO_FIGURE_DATASET = '''\
"""A matplotlib figure saved as PNG, loaded as bytes: the example's FigureDataset for Kedro."""

from pathlib import Path

from kedro.io import AbstractDataset


class FigureDataset(AbstractDataset):
    def __init__(self, filepath, save_args=None, metadata=None):
        self._path = Path(filepath)
        self._save_args = dict(save_args or {})
        self.metadata = metadata

    def load(self):
        return self._path.read_bytes()

    def save(self, data):
        self._path.parent.mkdir(parents=True, exist_ok=True)
        data.savefig(self._path, format="png", **self._save_args)

    def _describe(self):
        return {"filepath": str(self._path), "save_args": self._save_args}
'''


#: The namespaces of the modular variant's two modelling pipelines, the active one first.
NAMESPACES = ("active_modelling_pipeline", "candidate_modelling_pipeline")

MODULAR_REGISTRY = '''\
"""Spaceflights in the tutorial's shape, written by the benchmark harness."""

from {module} import node, pipeline
from spaceflights.pipelines.data_processing.nodes import (
    create_model_input_table,
    preprocess_companies,
    preprocess_shuttles,
)
from spaceflights.pipelines.data_science.nodes import evaluate_model, split_data, train_model
from spaceflights.pipelines.reporting.nodes import plot_predictions

NAMESPACES = {namespaces!r}


def modelling():
    return pipeline(
        [
            node(
                split_data,
                ["model_input_table", "params:model_options"],
                ["X_train", "X_test", "y_train", "y_test"],
                name="split_data",
            ),
            node(
                train_model,
                ["X_train", "y_train", "params:model_options"],
                "regressor",
                name="train_model",
            ),
            node(
                evaluate_model, ["regressor", "X_test", "y_test"], "metrics", name="evaluate_model"
            ),
        ]
    )


def register_pipelines():
    data_processing = pipeline(
        [
            node(
                preprocess_companies,
                "companies",
                "preprocessed_companies",
                name="preprocess_companies",
            ),
            node(
                preprocess_shuttles, "shuttles", "preprocessed_shuttles", name="preprocess_shuttles"
            ),
            node(
                create_model_input_table,
                ["preprocessed_shuttles", "preprocessed_companies", "reviews"],
                "model_input_table",
                name="create_model_input_table",
            ),
        ],
        tags="data_processing",
    )
    data_science = pipeline(
        [pipeline(modelling(), inputs="model_input_table", namespace=ns) for ns in NAMESPACES],
        tags="data_science",
    )
    active = NAMESPACES[0]
    reporting = pipeline(
        [
            node(
                plot_predictions,
                [f"{{active}}.regressor", f"{{active}}.X_test", f"{{active}}.y_test"],
                "price_chart",
                name="plot_predictions",
            )
        ],
        tags="reporting",
    )
    return {{
        "data_processing": data_processing,
        "data_science": data_science,
        "reporting": reporting,
        "__default__": data_processing + data_science + reporting,
    }}
'''


def pipeline_specs() -> list[NodeSpec]:
    """The example's ``__default__`` pipeline, node by node."""
    from spaceflights.pipeline_registry import register_pipelines

    return specs_of(register_pipelines()["__default__"])


def catalog_text(tool: str, package: str) -> str:
    """The example's catalog.yml; for Kedro, the figure dataset is the Kedro project's own."""
    text = (EXAMPLE / "conf" / "base" / "catalog.yml").read_text()
    if tool == "kedro":
        text = text.replace(EXAMPLE_FIGURE_TYPE, f"{package}.{KEDRO_FIGURE_MODULE}.FigureDataset")
    return text


def modular_catalog_text(tool: str, package: str) -> str:
    """The example's catalog with a model and metrics of each namespace instead of its own."""
    catalog = yaml.safe_load(catalog_text(tool, package))
    model, metrics = catalog.pop("regressor"), catalog.pop("metrics")
    for namespace in NAMESPACES:
        for name, entry in (("regressor", model), ("metrics", metrics)):
            folder, file = str(entry["filepath"]).rsplit("/", 1)
            catalog[f"{namespace}.{name}"] = {**entry, "filepath": f"{folder}/{namespace}/{file}"}
    return str(yaml.safe_dump(catalog, sort_keys=False))


def modular_parameters() -> str:
    """The example's model options for the active model; fewer trees and features for the
    candidate, so that the two namespaces compute different models."""
    options = yaml.safe_load((EXAMPLE / "conf" / "base" / "parameters.yml").read_text())
    active = options["model_options"]
    candidate = {
        **active,
        "n_estimators": active["n_estimators"] // 2,
        "max_depth": active["max_depth"] // 2,
        "features": active["features"][:-2],
    }
    by_namespace = dict(zip(NAMESPACES, (active, candidate), strict=True))
    return str(yaml.safe_dump({ns: {"model_options": o} for ns, o in by_namespace.items()}))


def write_projects(root: Path, kedro_version: str | None, modular: bool = False) -> dict[str, Path]:
    """Generate the raw data once and write each tool's project under ``root``: the example's
    flat pipeline, or with ``modular`` the tutorial's shape."""
    from spaceflights.data_generator import generate

    raw = root / "raw"
    generate(raw, SHUTTLES, DATA_SEED)
    specs = pipeline_specs()
    parameters = (EXAMPLE / "conf" / "base" / "parameters.yml").read_text()
    projects = {}
    for tool in ("hookline", "kedro") if kedro_version else ("hookline",):
        package = f"bench_spaceflights_{'modular_' if modular else ''}{tool}"
        modules = {f"{KEDRO_FIGURE_MODULE}.py": KEDRO_FIGURE_DATASET} if tool == "kedro" else {}
        if modular:
            registry = MODULAR_REGISTRY.format(module=PIPELINE_MODULES[tool], namespaces=NAMESPACES)
            plan = ProjectPlan(
                package,
                modular_catalog_text(tool, package),
                modular_parameters(),
                modules=modules,
                registry=registry,
            )
        else:
            plan = ProjectPlan(package, catalog_text(tool, package), parameters, modules=modules)
        project = write_project(root / tool, tool, plan, specs, kedro_version)
        shutil.copytree(raw, project / "data" / "01_raw")
        projects[tool] = project
    return projects


def clear_outputs(project: Path) -> None:
    """Remove every file a run writes, so that each run does the same work from raw data."""
    for folder in (project / "data").iterdir():
        if folder.name != "01_raw":
            shutil.rmtree(folder)


def _file_outputs(project: Path) -> dict[str, dict[str, Any]]:
    """Catalog entries that some node writes (every one but the raw data): name -> entry."""
    catalog = yaml.safe_load((project / "conf" / "base" / "catalog.yml").read_text())
    return {
        name: entry
        for name, entry in catalog.items()
        if not str(entry["filepath"]).startswith("data/01_raw/")
    }


def _stored_file(project: Path, entry: dict[str, Any]) -> Path:
    """The file an entry was saved to; a versioned entry must hold exactly one version."""
    path = project / str(entry["filepath"])
    if not entry.get("versioned"):
        return path
    versions = sorted(path.glob(f"*/{path.name}"))
    if len(versions) != 1:
        raise ValueError(f"{entry['filepath']}: {len(versions)} versions saved, expected 1")
    return versions[0]


def _content_digest(path: Path) -> str:
    """A digest of a file's content that both tools' writers must agree on.

    Tables are compared as data (columns, dtypes, values and index), not as bytes, since two
    Parquet writers may order metadata differently; JSON as parsed values. A pickled model's
    bytes depend on the pickler, so its evidence is the metrics computed from it.
    """
    if path.suffix == ".parquet":
        import pandas as pd

        frame = pd.read_parquet(path)
        values = pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()
        described = repr((list(frame.columns), [str(t) for t in frame.dtypes], len(frame)))
        return hashlib.sha256(described.encode() + values).hexdigest()[:12]
    if path.suffix == ".json":
        return json.dumps(json.loads(path.read_text()), sort_keys=True)
    if path.suffix in (".pickle", ".pkl"):
        return "present" if path.stat().st_size > 0 else "empty"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def output_digest(project: Path) -> str:
    """Every output file's content digest, as one string; raises if an output is missing."""
    parts = {}
    for name, entry in sorted(_file_outputs(project).items()):
        stored = _stored_file(project, entry)
        if not stored.is_file():
            raise ValueError(f"{name}: {entry['filepath']} was not written")
        parts[name] = _content_digest(stored)
    canonical = json.dumps(parts, sort_keys=True)
    return f"{len(parts)} files {hashlib.sha256(canonical.encode()).hexdigest()[:12]}"


def output_summary(project: Path) -> str:
    """The run's metrics, to show in the report what both tools computed; those of a
    namespace's model are named after it."""
    reporting = project / "data" / "08_reporting"
    parts = []
    for metrics in sorted(reporting.rglob("metrics.json")):
        values = json.loads(metrics.read_text())
        shown = ", ".join(f"{key} {value:.4g}" for key, value in sorted(values.items()))
        where = metrics.parent.relative_to(reporting).as_posix()
        parts.append(shown if where == "." else f"{where}: {shown}")
    return "; ".join(parts)
