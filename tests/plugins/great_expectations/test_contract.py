"""hookline-great-expectations keeps the contract of every plugin
(hookline.testing.PluginContract), on a real GX Core 1.x file context.

Its backend is the project's Great Expectations context. A context that cannot be read is a
configuration error before the first node, on purpose (tests/faults/test_gx_context.py); what
may go away during a run is the Data Docs site, which the plugin builds at the end of the run:
here its folder is a file, so that building it fails.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hookline.catalog import DataCatalog
from hookline.datasets import MemoryDataset
from hookline.pipeline import Pipeline
from hookline.testing import PluginContract
from hookline_great_expectations import GreatExpectationsHooks
from hookline_great_expectations.config import parse_config

from .conftest import ROWS
from .gx1_context import build_gx1_context


def rating_count(companies: Any) -> int:
    return len(companies)


class TestGreatExpectationsContract(PluginContract):
    entry_point = "great_expectations"
    distribution = "hookline-great-expectations"
    config_file = "great_expectations.yml"
    broken_config = "datasets:\n  companies:\n    suite: companies\n    policy: never\n"
    broken_key = "datasets.companies.policy"

    def configured_hooks(self, tmp_path: Path) -> GreatExpectationsHooks:
        build_gx1_context(tmp_path)
        raw = {"datasets": {"companies": {"suite": "companies", "policy": "warn"}}}
        config = parse_config(raw, "great_expectations.yml", environ={})
        return GreatExpectationsHooks(config, tmp_path)

    def dead_backend_hooks(self, tmp_path: Path) -> GreatExpectationsHooks:
        hooks = self.configured_hooks(tmp_path)
        site = tmp_path / "gx" / "uncommitted" / "data_docs"
        site.mkdir(parents=True, exist_ok=True)
        site.rmdir()
        site.write_text("not a folder")
        return hooks

    def pipeline_and_catalog(self, tmp_path: Path) -> tuple[Pipeline, DataCatalog]:
        import pandas as pd

        from hookline import node, pipeline

        companies = pd.DataFrame(ROWS, columns=["id", "rating"])
        return pipeline([node(rating_count, "companies", "rows", name="count")]), DataCatalog(
            {"companies": MemoryDataset(companies)}
        )
