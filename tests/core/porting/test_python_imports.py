"""Kedro import lines become hookline's; layout, comments and the rest of the file stay."""

from __future__ import annotations

from hookline.porting.python_imports import rewrite_imports


def test_an_import_moving_whole_keeps_its_parentheses_aliases_and_comments() -> None:
    source = '''\
"""Nodes."""
# The pipeline API.
from kedro.pipeline import (  # what Kedro's tutorial imports
    Pipeline,
    node as make_node,  # renamed on purpose
    pipeline,
)
from kedro.framework.hooks import hook_impl


def f():
    from kedro.runner import SequentialRunner  # imported late

    return SequentialRunner
'''
    result = rewrite_imports(source, "nodes.py")
    assert result.source == source.replace("from kedro.pipeline", "from hookline").replace(
        "from kedro.framework.hooks", "from hookline"
    ).replace("from kedro.runner", "from hookline")
    assert [(c.line, c.description) for c in result.changes] == [
        (3, "from kedro.pipeline -> from hookline"),
        (8, "from kedro.framework.hooks -> from hookline"),
        (12, "from kedro.runner -> from hookline"),
    ]
    assert result.not_ported == []


def test_a_mixed_import_is_split_and_the_names_without_counterpart_are_reported() -> None:
    source = """\
import os
# Data.
from kedro.io import DataCatalog, LambdaDataset, MemoryDataset  # keep this
x = 1
"""
    result = rewrite_imports(source, "src/p/data.py")
    assert (
        result.source
        == """\
import os
# Data.
from hookline import DataCatalog
from hookline.datasets import MemoryDataset
from kedro.io import LambdaDataset  # keep this
x = 1
"""
    )
    [finding] = result.not_ported
    assert (finding.file, finding.line, finding.api) == (
        "src/p/data.py",
        3,
        "kedro.io.LambdaDataset",
    )
    assert "keep kedro installed" in finding.action


def test_a_name_hookline_spells_differently_stays_bound_to_the_kedro_name() -> None:
    source = "from kedro.framework.context import KedroContext\n"
    result = rewrite_imports(source, "hooks.py")
    assert result.source == "from hookline.context import HooklineContext as KedroContext\n"


def test_find_pipelines_and_every_runner_have_counterparts() -> None:
    source = (
        "from kedro.framework.project import find_pipelines\n"
        "from kedro.runner import ParallelRunner, ThreadRunner\n"
        "from kedro.pipeline.modular_pipeline import pipeline\n"
    )
    result = rewrite_imports(source, "registry.py")
    assert result.source == (
        "from hookline import find_pipelines\n"
        "from hookline import ParallelRunner, ThreadRunner\n"
        "from hookline import pipeline\n"
    )


def test_what_has_no_counterpart_is_left_as_written_and_reported_with_what_to_do() -> None:
    source = """\
import kedro.runner
from kedro.io import *
from kedro.io import AbstractDataset
from kedro.framework.session import KedroSession
from kedro_datasets.pandas import CSVDataset
from .kedro import helper
"""
    result = rewrite_imports(source, "a.py")
    assert result.source == source
    assert result.changes == []
    found = {(f.line, f.api): f.action for f in result.not_ported}
    assert set(found) == {
        (1, "kedro.runner"),
        (2, "kedro.io.*"),
        (3, "kedro.io.AbstractDataset"),
        (4, "kedro.framework.session.KedroSession"),
    }
    assert "load/save/describe" in found[(3, "kedro.io.AbstractDataset")]
    assert "hookline run" in found[(4, "kedro.framework.session.KedroSession")]


def test_a_file_without_kedro_is_returned_untouched() -> None:
    source = "import kedro_datasets\nprint('kedro')\n"
    assert rewrite_imports(source, "b.py").source == source
