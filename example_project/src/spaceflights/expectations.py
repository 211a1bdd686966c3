"""Writes the example's Great Expectations context, ``gx/``, from the expectations below.

``python -m spaceflights.expectations`` (needs ``great_expectations`` 1.x) replaces ``gx/``
with a fresh file context. The result is committed, so a run never has to create anything in
it: ``conf/base/great_expectations.yml`` says which dataset is checked against which suite
(the suite style) or checkpoint (the checkpoint style), and when.

The expectations describe clean data; the generator's deliberately wrong rows (a company rated
150%, shuttles with no passenger seats) break two of them, which the ``warn`` policy of
``conf/base`` reports and the ``fail`` policy of ``conf/strict`` turns into a failed run.
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hookline.errors import ProjectError
from hookline.project import read_metadata

#: The pandas data source hookline-great-expectations keeps for suite-style datasets (the
#: plugin's ``data_source`` setting), and the batch definition name it gives each asset.
PLUGIN_DATA_SOURCE = "hookline"
PLUGIN_BATCH_DEFINITION = "hookline"
#: The data source holding the dataframe assets the checkpoints validate.
CHECKPOINT_DATA_SOURCE = "checkpoint_frames"

#: Suite-style datasets: dataset -> the suite it is validated against.
SUITE_DATASETS = {
    "companies": "raw_companies",
    "preprocessed_companies": "preprocessed_companies",
}
#: Checkpoint-style datasets: dataset -> (checkpoint, the suite of its validation definition).
CHECKPOINT_DATASETS = {
    "preprocessed_shuttles": ("preprocessed_shuttles", "preprocessed_shuttles"),
    "model_input_table": ("model_input_table", "model_input_table"),
}


def _suites() -> dict[str, Callable[[], list[Any]]]:
    """Suite name -> a function making its expectations (GX is imported only when called)."""
    from great_expectations import expectations as gxe

    return {
        # The raw export: text as exported, checked for its shape only.
        "raw_companies": lambda: [
            gxe.ExpectColumnValuesToNotBeNull(column="id"),
            gxe.ExpectColumnValuesToBeUnique(column="id"),
            gxe.ExpectColumnValuesToMatchRegex(column="company_rating", regex=r"^\d{1,3}%$"),
            gxe.ExpectColumnValuesToBeInSet(column="iata_approved", value_set=["t", "f"]),
        ],
        # Ratings are fractions now: 150% becomes 1.5, which no rating can be.
        "preprocessed_companies": lambda: [
            gxe.ExpectColumnValuesToBeBetween(
                column="company_rating", min_value=0.0, max_value=1.0
            ),
            gxe.ExpectColumnValuesToBeBetween(column="total_fleet_count", min_value=1),
        ],
        # A passenger shuttle has at least one seat; prices are positive numbers.
        "preprocessed_shuttles": lambda: [
            gxe.ExpectColumnValuesToBeBetween(
                column="passenger_capacity", min_value=1, max_value=100
            ),
            gxe.ExpectColumnValuesToBeBetween(column="price", min_value=0.0, strict_min=True),
            gxe.ExpectColumnValuesToNotBeNull(column="price"),
        ],
        # What the model is trained on: complete rows, enough of them.
        "model_input_table": lambda: [
            gxe.ExpectTableRowCountToBeBetween(min_value=100),
            gxe.ExpectColumnValuesToNotBeNull(column="price"),
            gxe.ExpectColumnValuesToNotBeNull(column="review_scores_rating"),
        ],
    }


class NotTheExampleProject(Exception):
    """The folder given is not the example project's, so its ``gx/`` is not replaced."""


def check_example_project(folder: Path) -> None:
    """Refuse any folder but the example project's: :func:`build` deletes ``<folder>/gx``.

    Raises:
        NotTheExampleProject: Naming the folder and what it lacks.
    """
    try:
        package = read_metadata(folder / "pyproject.toml").package_name
    except ProjectError as error:
        raise NotTheExampleProject(f"{folder} is not the example project: {error}") from None
    if package != "spaceflights" or not (folder / "conf").is_dir():
        raise NotTheExampleProject(
            f"{folder} is not the example project (a conf/ folder and package_name "
            f"'spaceflights' in pyproject.toml's [tool.hookline]): its gx/ is left alone."
        )


def build(project: Path) -> Path:
    """Replace ``<project>/gx`` with the example's context; return its folder.

    Raises:
        NotTheExampleProject: ``project`` is not the example project (nothing is deleted
            then).
    """
    check_example_project(project)
    import great_expectations as gx

    root = project / "gx"
    shutil.rmtree(root, ignore_errors=True)
    context = gx.get_context(mode="file", project_root_dir=str(project))
    suites = {}
    for name, expectations in _suites().items():
        suite = context.suites.add(gx.ExpectationSuite(name=name))
        for expectation in expectations():
            suite.add_expectation(expectation)
        suites[name] = suite

    # What the plugin would otherwise create at the first run (and write into gx/): one
    # dataframe asset per suite-style dataset and a validation definition binding it to its
    # suite, named as the plugin names them.
    plugin_source = context.data_sources.add_pandas(name=PLUGIN_DATA_SOURCE)
    for dataset, suite_name in SUITE_DATASETS.items():
        asset = plugin_source.add_dataframe_asset(name=dataset)
        batch = asset.add_batch_definition_whole_dataframe(PLUGIN_BATCH_DEFINITION)
        context.validation_definitions.add(
            gx.ValidationDefinition(
                name=f"hookline.{dataset}.{suite_name}", data=batch, suite=suites[suite_name]
            )
        )

    # Checkpoints with no actions: the plugin builds the Data Docs once, at the end of the run.
    checkpoint_source = context.data_sources.add_pandas(name=CHECKPOINT_DATA_SOURCE)
    for dataset, (checkpoint, suite_name) in CHECKPOINT_DATASETS.items():
        asset = checkpoint_source.add_dataframe_asset(name=dataset)
        batch = asset.add_batch_definition_whole_dataframe("whole")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=checkpoint, data=batch, suite=suites[suite_name])
        )
        context.checkpoints.add(gx.Checkpoint(name=checkpoint, validation_definitions=[definition]))
    return Path(context.root_directory)


def main() -> None:
    """Command line: rebuild ``gx/`` in the example project's folder (the current one unless
    ``--project`` names it); any other folder is refused, as ``gx/`` is deleted first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project", type=Path, default=Path("."), help="the example project's folder"
    )
    arguments = parser.parse_args()
    try:
        root = build(arguments.project.resolve())
    except NotTheExampleProject as error:
        parser.exit(2, f"Error: {error}\n")
    print(f"Wrote the Great Expectations context {root}")


if __name__ == "__main__":
    main()
