"""A Kedro project made the way a user makes one: ``kedro new`` with no starter (offline), then
the example's spaceflights nodes, catalog, parameters, plugin configuration and GX context.

The nodes are the example's own functions (imported from the installed ``spaceflights``
package), wired with Kedro's ``node`` and ``pipeline`` exactly as the example wires them with
hookline's. The catalog is the example's, but for its own figure dataset (a subclass of
hookline's file dataset): the Kedro project gets a Kedro dataset of the same behaviour. The
project's settings are those ``kedro new`` wrote: nothing in them names hookline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "example_project"

#: The Kedro project's package.
PACKAGE = "kedro_spaceflights"

#: The example's plugin configuration files, copied as they are.
PLUGIN_CONFIG = ("mlflow.yml", "memory.yml", "statsd.yml", "great_expectations.yml")

FIGURE_DATASET = '''\
"""A matplotlib figure saved as PNG, loaded as bytes."""

from pathlib import Path

from kedro.io import AbstractDataset


class FigureDataset(AbstractDataset):
    def __init__(self, filepath, save_args=None, metadata=None):
        self._filepath = Path(filepath)
        self._save_args = dict(save_args or {})
        self.metadata = metadata

    @property
    def filepath(self):
        return self._filepath

    def load(self):
        return self._filepath.read_bytes()

    def save(self, data):
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        data.savefig(self._filepath, format="png", **self._save_args)

    def _describe(self):
        return {"filepath": str(self._filepath), "save_args": self._save_args}
'''

PIPELINE_REGISTRY = '''\
"""The example's pipelines, with Kedro's node and pipeline."""

from kedro.pipeline import Pipeline, node, pipeline

from spaceflights.pipelines.data_processing.nodes import (
    create_model_input_table,
    preprocess_companies,
    preprocess_shuttles,
)
from spaceflights.pipelines.data_science.nodes import evaluate_model, split_data, train_model
from spaceflights.pipelines.reporting.nodes import plot_predictions
from kedro_spaceflights.failing import fail_on_purpose


def register_pipelines():
    data_processing = pipeline(
        [
            node(preprocess_companies, "companies", "preprocessed_companies",
                 name="preprocess_companies"),
            node(preprocess_shuttles, "shuttles", "preprocessed_shuttles",
                 name="preprocess_shuttles"),
            node(create_model_input_table,
                 ["preprocessed_shuttles", "preprocessed_companies", "reviews"],
                 "model_input_table", name="create_model_input_table"),
        ],
        tags="data_processing",
    )
    data_science = pipeline(
        [
            node(split_data, ["model_input_table", "params:model_options"],
                 ["X_train", "X_test", "y_train", "y_test"], name="split_data"),
            node(train_model, ["X_train", "y_train", "params:model_options"], "regressor",
                 name="train_model"),
            node(evaluate_model, ["regressor", "X_test", "y_test"], "metrics",
                 name="evaluate_model"),
        ],
        tags="data_science",
    )
    reporting = pipeline(
        [node(plot_predictions, ["regressor", "X_test", "y_test"], "price_chart",
              name="plot_predictions")],
        tags="reporting",
    )
    default = data_processing + data_science + reporting
    return {
        "__default__": default,
        "data_processing": data_processing,
        "data_science": data_science,
        "reporting": reporting,
        # A short pipeline whose second node raises.
        "failing": data_processing.only_nodes("preprocess_companies") + pipeline(
            [node(fail_on_purpose, "preprocessed_companies", "nothing", name="fail_on_purpose")]
        ),
        # A short pipeline whose second node waits until the test has interrupted the run.
        "waiting": data_processing.only_nodes("preprocess_companies") + pipeline(
            [node(wait_for_stop, "preprocessed_companies", "never", name="wait_for_stop")]
        ),
    }


def wait_for_stop(table):
    """Say it started, then wait until the test releases it (a thread Ctrl-C cannot stop)."""
    import time
    from pathlib import Path

    Path("data/waiting").write_text("started")
    deadline = time.monotonic() + 300
    while not Path("data/release").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
'''

FAILING = '''\
"""A node that fails, for the tests of a failed run."""


def fail_on_purpose(table):
    raise ValueError("fail_on_purpose: this node always fails")
'''


def kedro_environ(**extra: str) -> dict[str, str]:
    """The environment of a ``kedro`` command: offline, no telemetry prompt, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "STATSD_"))}
    env.pop("HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS", None)
    env.update(KEDRO_DISABLE_TELEMETRY="true", DO_NOT_TRACK="1", **extra)
    return env


def create_project(kedro: Path, parent: Path) -> Path:
    """Run ``kedro new`` in ``parent`` and add the spaceflights pipeline to the project made.

    Args:
        kedro: The ``kedro`` command of the environment under test.
        parent: The folder the project is created in.

    Returns:
        The project's folder.
    """
    subprocess.run(
        [str(kedro), "new", "--name=kedro_spaceflights", "--tools=none", "--example=n"],
        cwd=parent, env=kedro_environ(), check=True, capture_output=True, text=True,
    )  # fmt: skip
    project = parent / "kedro-spaceflights"
    package = project / "src" / PACKAGE
    (package / "pipeline_registry.py").write_text(PIPELINE_REGISTRY)
    (package / "figure_dataset.py").write_text(FIGURE_DATASET)
    (package / "failing.py").write_text(FAILING)
    conf = project / "conf" / "base"
    catalog = (EXAMPLE / "conf" / "base" / "catalog.yml").read_text()
    (conf / "catalog.yml").write_text(
        catalog.replace(
            "spaceflights.datasets.FigureDataset", f"{PACKAGE}.figure_dataset.FigureDataset"
        )
    )
    shutil.copy(EXAMPLE / "conf" / "base" / "parameters.yml", conf / "parameters.yml")
    for name in PLUGIN_CONFIG:
        shutil.copy(EXAMPLE / "conf" / "base" / name, conf / name)
    shutil.copytree(EXAMPLE / "gx", project / "gx", ignore=shutil.ignore_patterns("uncommitted"))
    return project
