"""A third-party plugin whose hook fails, at every hook point: it raises (the run fails with a
message naming the hook, the class and the distribution, and the other plugins' error hooks
still run) or it hangs (Ctrl-C still ends the process).

The faulty plugin is the installed fixture distribution hookline-brokenplugin, told which hook
to break through the environment; MLflow (a real SQLite store) is the other plugin whose run
must not be left open.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hookline.hooks.manager import spec_names
from tests.support import ProjectFactory, signal_when

from .conftest import (
    RECORDING_SETTINGS,
    PluginSwitch,
    invoke_hookline,
    mlflow_runs,
    read_hook_log,
    run_hookline,
)

pytestmark = pytest.mark.integration

#: How hookline names the faulty implementation.
CULPRIT = "FaultyHooks (from hookline-brokenplugin==0.1.0)"

#: Hooks that fire only when something already failed (a node, here).
ERROR_HOOKS = {"on_node_error", "on_pipeline_error"}
#: Hooks that fire before the pipeline run starts: no MLflow run exists yet.
STARTUP_HOOKS = {"after_context_created", "after_catalog_created"}
#: Hooks that fire only with worker processes.
WORKER_HOOKS = {"export_worker_state", "restore_worker_state"}

NODES = """
from hookline import Measurement, publish_measurement


def double(x):
    publish_measurement(Measurement("rows", 1.0, "count", node="double"))
    return x * 2


def fail(y):
    raise ValueError("node broke")
"""

REGISTRY = """return {
    "__default__": pipeline([
        node(double, "params:x", "y", name="double"),
        node(double, "y", "z", name="double_again"),
    ]),
    "failing": pipeline([
        node(double, "params:x", "y", name="double"),
        node(fail, "y", "z", name="fail"),
    ]),
}"""


@pytest.fixture
def project(
    make_project: ProjectFactory,
    enable_plugins: PluginSwitch,
    mlflow_experiment: str,
    hook_log: Path,
) -> Path:
    """A project with a recording hook of its own, MLflow on and hookline-brokenplugin on."""
    enable_plugins("hookline-mlflow", "hookline-brokenplugin")
    return make_project(
        NODES,
        REGISTRY,
        settings=RECORDING_SETTINGS,
        conf={
            "base/parameters.yml": "x: 1\n",
            "base/catalog.yml": "y: {type: json.JSONDataset, filepath: data/y.json}\n",
        },
    )


def run_args(hook: str) -> list[str]:
    """The ``hookline run`` arguments under which ``hook`` fires."""
    args = ["run"]
    if hook in ERROR_HOOKS:
        args += ["--pipeline", "failing"]
    if hook in WORKER_HOOKS:
        args += ["--runner", "ParallelRunner", "--max-workers", "2"]
    return args


def error_line(stderr: str) -> str:
    """The last ``Error:`` line hookline printed."""
    lines = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    assert lines, stderr
    return lines[-1]


#: The package of the plugin's entry point; its ``hooks`` module reads
#: ``HOOKLINE_BROKENPLUGIN_FAULT`` when it is imported, so it must be imported afresh for each
#: fault.
FAULTY_PACKAGE = "hookline_brokenplugin"


@pytest.fixture
def fresh_faulty_plugin() -> Iterator[None]:
    """Import hookline-brokenplugin afresh in this test, and forget it afterwards: a faulty
    module left in ``sys.modules`` would break every later test of this process that loads
    entry-point plugins (there the plugin must fail to import, as it does when its variable
    is unset). Every module of the package goes: a submodule left behind would hold on to the
    fault it was imported with."""
    forget_faulty_plugin()
    yield
    forget_faulty_plugin()


def forget_faulty_plugin() -> None:
    """Drop the plugin's package and every module under it from ``sys.modules``."""
    for name in [n for n in sys.modules if n.split(".")[0] == FAULTY_PACKAGE]:
        del sys.modules[name]


def mlflow_fires_first(hook: str, hooks_listing: str) -> bool:
    """Whether, in ``hookline hooks``'s listing, hookline-mlflow's implementation of ``hook``
    fires before the faulty one (entry-point plugins come in the order the Python process
    finds the distributions, so the listing comes from the same kind of process as the run)."""
    rows = [line.split() for line in hooks_listing.splitlines()]
    classes = [row[2] for row in rows if len(row) >= 3 and row[0] == hook]
    return classes.index("MlflowHooks") < classes.index("FaultyHooks")


@pytest.mark.usefixtures("fresh_faulty_plugin")
@pytest.mark.parametrize("hook", spec_names())
def test_a_hook_that_raises_is_named_and_every_error_hook_still_runs(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    shared_store_uri: str,
    mlflow_experiment: str,
    hook_log: Path,
    hook: str,
) -> None:
    monkeypatch.setenv("HOOKLINE_BROKENPLUGIN_FAULT", f"raise:{hook}")

    done = invoke_hookline(project, *run_args(hook))

    assert done.exception is None, done.stderr
    assert done.exit_code == 1, done.stderr
    if hook in ERROR_HOOKS:
        # The node's error is the run's; the broken error hook is reported beside it.
        assert error_line(done.stderr) == "Error: Pipeline run failed: ValueError: node broke"
        assert (
            f"The {hook} hook of {CULPRIT} failed, and the other {hook} hooks still ran: "
            "InjectedFault: injected fault"
        ) in done.stderr
    else:
        assert f"hook {hook} of {CULPRIT}" in error_line(done.stderr)
        assert error_line(done.stderr).endswith("InjectedFault: injected fault")
    # The plugin's own frame is shown: that is where its author must look.
    assert "hookline_brokenplugin/hooks.py" in done.stderr

    errors_seen = [e["error"] for e in read_hook_log(hook_log) if e["hook"] == "on_pipeline_error"]
    statuses = [run.info.status for run in mlflow_runs(shared_store_uri, mlflow_experiment)]
    if hook in STARTUP_HOOKS:
        # Nothing started: no error hook to call, no MLflow run to end.
        assert errors_seen == []
        assert statuses == []
        return
    expected_error = "ValueError" if hook in ERROR_HOOKS else "InjectedFault"
    assert errors_seen == [expected_error]
    listing = invoke_hookline(project, "hooks").stdout
    if hook == "before_pipeline_run" and not mlflow_fires_first(hook, listing):
        assert statuses == []  # the faulty hook stopped the run before MLflow started one
    elif hook == "after_pipeline_run" and mlflow_fires_first(hook, listing):
        assert statuses == ["FINISHED"]  # MLflow had recorded the whole run and ended it
    else:
        assert statuses == ["FAILED"]


@pytest.mark.parametrize(
    "hook",
    [
        "after_context_created",
        "before_node_run",
        "after_pipeline_run",
        "on_pipeline_error",
    ],
)
def test_a_hook_that_hangs_does_not_outlive_ctrl_c(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    shared_store_uri: str,
    mlflow_experiment: str,
    tmp_path: Path,
    hook: str,
) -> None:
    marker = tmp_path / "hanging"
    monkeypatch.setenv("HOOKLINE_BROKENPLUGIN_FAULT", f"hang:{hook}")
    monkeypatch.setenv("HOOKLINE_BROKENPLUGIN_HANG_MARKER", str(marker))

    # A process still alive 30 s after Ctrl-C fails the test (signal_when's timeout).
    done = signal_when(project, marker.exists, signal.SIGINT, *run_args(hook)[1:], exit_timeout=30)

    assert done.returncode == 130, done.output
    assert "Interrupted: the run was stopped with Ctrl-C." in done.output
    statuses = [run.info.status for run in mlflow_runs(shared_store_uri, mlflow_experiment)]
    if hook in STARTUP_HOOKS:
        assert statuses == []
    elif hook == "after_pipeline_run" and mlflow_fires_first(
        hook, run_hookline(project, "hooks").stdout
    ):
        assert statuses == ["FINISHED"]  # MLflow had ended the whole run before the hang
    elif hook == "on_pipeline_error":
        # Ctrl-C came while the error hooks handled the node's failure: it stops the hung
        # one, and MLflow's still ends the run as the failure it was.
        assert statuses == ["FAILED"]
    else:
        assert statuses == ["KILLED"]
