"""A real great_expectations 0.15.x file context for the legacy tests, made through its API.

The same suites as the GX 1.x context (``companies``, ``preprocessed_companies``), plus the
names the seed's DataValidationHooks classes use verbatim (``raw_companies_dataset_expectation``,
``preprocessed_companies_dataset_expectation``, ``raw_companies_dataset_checkpoint``).
Checkpoints are the seed's ``SimpleCheckpoint`` over a ``RuntimeDataConnector`` named
``default_runtime_data_connector_name`` with the batch identifier
``runtime_batch_identifier_name``. With ``seed_v2=True`` the context also has what the seed's
V2 class needs and the plugin otherwise creates: a ``PandasDatasource`` named
``files_datasource`` and an ``action_list_operator``.
"""

from __future__ import annotations

from pathlib import Path

import great_expectations as ge
from great_expectations.core.expectation_configuration import ExpectationConfiguration

_COMPANIES = [
    ("expect_column_values_to_not_be_null", {"column": "id"}),
    ("expect_column_values_to_be_between", {"column": "rating", "min_value": 0, "max_value": 5}),
]
_PREPROCESSED = [
    ("expect_column_values_to_be_between", {"column": "rating", "min_value": 0, "max_value": 5}),
    ("expect_table_row_count_to_be_between", {"min_value": 1, "max_value": 1000}),
]

#: Suite name -> (expectation type, kwargs) of its expectations.
SUITES = {
    "companies": _COMPANIES,
    "preprocessed_companies": _PREPROCESSED,
    "raw_companies_dataset_expectation": _COMPANIES,
    "preprocessed_companies_dataset_expectation": _PREPROCESSED,
}

#: Checkpoint name -> the suite it validates.
CHECKPOINTS = {
    "companies_checkpoint": "companies",
    "preprocessed_companies_checkpoint": "preprocessed_companies",
    "raw_companies_dataset_checkpoint": "raw_companies_dataset_expectation",
}

RUNTIME_DATASOURCE = "runtime_datasource"


def build_legacy_context(project: Path, seed_v2: bool = False) -> Path:
    """Create ``<project>/great_expectations`` as described above; return its folder."""
    context = ge.data_context.FileDataContext.create(str(project), usage_statistics_enabled=False)
    for name, expectations in SUITES.items():
        suite = context.add_or_update_expectation_suite(expectation_suite_name=name)
        for expectation_type, kwargs in expectations:
            suite.add_expectation(ExpectationConfiguration(expectation_type, dict(kwargs)))
        context.add_or_update_expectation_suite(expectation_suite=suite)
    context.add_datasource(
        RUNTIME_DATASOURCE,
        class_name="Datasource",
        module_name="great_expectations.datasource",
        execution_engine={"class_name": "PandasExecutionEngine"},
        data_connectors={
            "default_runtime_data_connector_name": {
                "class_name": "RuntimeDataConnector",
                "batch_identifiers": ["runtime_batch_identifier_name"],
            }
        },
    )
    for name, suite_name in CHECKPOINTS.items():
        # The seed's checkpoint, with data_connector_query removed as its instructions say.
        context.add_checkpoint(
            name=name,
            config_version=1.0,
            class_name="SimpleCheckpoint",
            run_name_template="%Y%m%d-%H%M%S-my-run-name-template",
            validations=[
                {
                    "batch_request": {
                        "datasource_name": RUNTIME_DATASOURCE,
                        "data_connector_name": "default_runtime_data_connector_name",
                        "data_asset_name": "my_runtime_asset_name",
                    },
                    "expectation_suite_name": suite_name,
                }
            ],
        )
    if seed_v2:
        context.add_datasource(
            "files_datasource",
            class_name="PandasDatasource",
            module_name="great_expectations.datasource",
        )
        context.config.validation_operators = {}
        context.add_validation_operator(
            "action_list_operator",
            {
                "class_name": "ActionListValidationOperator",
                "action_list": [
                    {
                        "name": "store_validation_result",
                        "action": {"class_name": "StoreValidationResultAction"},
                    }
                ],
            },
        )
        context._save_project_config()
    return Path(context.root_directory)
