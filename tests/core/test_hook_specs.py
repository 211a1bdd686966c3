"""Every hook spec is documented: when it fires and every argument it passes."""

from __future__ import annotations

import inspect
import re

import pytest

from hookline.hooks import specs
from hookline.hooks.manager import spec_arguments, spec_names

KEDRO_SPECS = {
    "after_context_created": {"context"},
    "after_catalog_created": {
        "catalog", "conf_catalog", "conf_creds", "feed_dict", "save_version", "load_versions",
    },
    "before_pipeline_run": {"run_params", "pipeline", "catalog"},
    "before_node_run": {"node", "catalog", "inputs", "is_async", "session_id"},
    "after_node_run": {"node", "catalog", "inputs", "outputs", "is_async", "session_id"},
    "on_node_error": {"error", "node", "catalog", "inputs", "is_async", "session_id"},
    "after_pipeline_run": {"run_params", "run_result", "pipeline", "catalog"},
    "on_pipeline_error": {"error", "run_params", "pipeline", "catalog"},
    "before_dataset_loaded": {"dataset_name", "node"},
    "after_dataset_loaded": {"dataset_name", "data", "node"},
    "before_dataset_saved": {"dataset_name", "data", "node"},
    "after_dataset_saved": {"dataset_name", "data", "node"},
}  # fmt: skip


@pytest.mark.parametrize("hook", spec_names())
def test_every_argument_is_documented(hook: str) -> None:
    doc = inspect.getdoc(getattr(specs, hook)) or ""
    documented = set(re.findall(r"^    (\w+): \S", doc, flags=re.MULTILINE))
    assert documented == set(spec_arguments()[hook]), f"{hook}: Args section out of date"


@pytest.mark.parametrize("hook", spec_names())
def test_every_spec_says_when_it_fires(hook: str) -> None:
    summary = (inspect.getdoc(getattr(specs, hook)) or "").split("\n\n")[0]
    assert "Fires" in summary, f"{hook}: the first paragraph must say when it fires"


@pytest.mark.parametrize(("hook", "kedro_arguments"), sorted(KEDRO_SPECS.items()))
def test_kedro_hook_names_and_arguments_are_kept(hook: str, kedro_arguments: set[str]) -> None:
    assert kedro_arguments <= set(spec_arguments()[hook])


def test_node_hooks_pass_both_session_id_and_run_id() -> None:
    for hook in ("before_node_run", "after_node_run", "on_node_error"):
        assert {"session_id", "run_id"} <= set(spec_arguments()[hook])
