"""The fault suite's own helpers leave the test process as they found it: a leak from one test
(a project's module, a faulty plugin's module, logging that captures warnings) changes what
every later test of the process runs."""

from __future__ import annotations

import importlib
import logging
import sys
import warnings

import pytest

from tests.support import ProjectFactory

from .conftest import invoke_hookline
from .test_failing_hooks import FAULTY_PACKAGE, forget_faulty_plugin

NODES = """
import warnings


def double(x):
    # The command routes warnings to logging while it runs.
    warnings.warn("a warning from a node", UserWarning)
    return x * 2
"""

REGISTRY = 'return {"__default__": pipeline([node(double, "params:x", "y", name="double")])}'


def captures_warnings() -> bool:
    """Whether logging captures warnings now (logging keeps the original showwarning then)."""
    return getattr(logging, "_warnings_showwarning", None) is not None


@pytest.mark.parametrize("capturing", [False, True])
def test_an_in_process_run_puts_the_process_back_as_it_was(
    make_project: ProjectFactory, capturing: bool
) -> None:
    project = make_project(NODES, REGISTRY, conf={"base/parameters.yml": "x: 21\n"})
    path, modules = sys.path[:], set(sys.modules)
    logging.captureWarnings(capturing)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            done = invoke_hookline(project, "run")
        assert done.exit_code == 0, done.stderr
        assert captures_warnings() is capturing
    finally:
        logging.captureWarnings(False)

    assert sys.path == path
    left = sorted(name for name in set(sys.modules) - modules if name.startswith(project.name))
    assert left == []
    assert str(project / "src") not in sys.path


def test_forgetting_the_faulty_plugin_forgets_every_module_of_its_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOOKLINE_BROKENPLUGIN_FAULT", "raise:before_node_run")
    importlib.import_module(f"{FAULTY_PACKAGE}.hooks")
    assert {FAULTY_PACKAGE, f"{FAULTY_PACKAGE}.hooks"} <= set(sys.modules)

    forget_faulty_plugin()

    assert [n for n in sys.modules if n.split(".")[0] == FAULTY_PACKAGE] == []
