"""Runners with worker processes: ParallelRunner (spawn) and DaskRunner (a real LocalCluster).

Hooks must fire where users expect them: node and dataset hooks in the worker that runs the
node, pipeline hooks once in the main process, the same plugins in every worker (project
HOOKS, installed entry points minus the disabled ones), and each plugin's state handed from the
main process to its own worker copies. What runs in a worker is recorded into files.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hookline import DataCatalog, Measurement, hook_impl, node, pipeline, publish_measurement
from hookline.datasets import MemoryDataset, PickleDataset
from hookline.errors import ConfigError, DatasetError, HookError, RemoteTraceback, WorkerDied
from hookline.hooks.manager import create_hook_manager
from hookline.hooks.origins import EntryPointOrigin, ObjectOrigin, SettingsOrigin
from hookline.hooks.worker_recipe import HookRecipe, HookRecipeEntry
from hookline.runner import AbstractRunner, DaskRunner, ParallelRunner
from hookline.runner.progress import ProgressReporter
from hookline.runner.registry import create_runner
from hookline.session import HooklineSession, RunFailed
from hookline.testing import RecordingHooks
from tests.support import RUNNERS, ProjectFactory, hookline_command

from .conftest import hookline

WORKER_RUNNERS = {name: RUNNERS[name] for name in ("parallel", "dask")}


@pytest.fixture(params=sorted(WORKER_RUNNERS))
def runner(request: pytest.FixtureRequest) -> AbstractRunner:
    """Each runner with worker processes in turn (Dask on the module's LocalCluster)."""
    return WORKER_RUNNERS[request.param](request)


@pytest.fixture(params=["parallel", "dask"])
def own_runner(request: pytest.FixtureRequest) -> AbstractRunner:
    """Each runner with workers of its own, started in this test: for tests that kill a
    worker or that need the workers to see this test's environment variables."""
    if request.param == "parallel":
        return ParallelRunner(max_workers=2, mp_context="spawn")
    return DaskRunner()  # the embedded default: a LocalCluster of 2 workers for the run


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Turn a hung run into a test failure (a dead worker must fail the run, not block it)."""

    def hung(signum: int, frame: Any) -> None:
        raise TimeoutError("the run hung instead of failing")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(120)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# -- node functions and hook classes (module level: they are pickled to the workers) ----------


def double(x: int) -> int:
    return x * 2


def fail(x: int) -> int:
    raise ValueError("bad input row 7")


def measure(x: int) -> int:
    publish_measurement(Measurement("rows.seen", float(x), "count", node="measure"))
    return x


def kill_own_process(x: int) -> int:
    os.kill(os.getpid(), signal.SIGKILL)
    return x


class ExplodingHooks:
    """Fails in after_node_run, in whichever process runs the node."""

    @hook_impl
    def after_node_run(self, node: Any) -> None:
        raise KeyError(f"no column for {node.name}")


class FailingRestore:
    """Cannot restore its state in a worker."""

    @hook_impl
    def export_worker_state(self) -> Any:
        return "token-7"

    @hook_impl
    def restore_worker_state(self, state: Any) -> None:
        raise ValueError(f"cannot restore {state}")


class UnpicklableState:
    """Exports state that cannot be pickled (a lock)."""

    @hook_impl
    def export_worker_state(self) -> Any:
        return {"lock": threading.Lock()}


# -- a project whose settings HOOKS hand state to their worker copies --------------------------

PROJECT_NODES = """
from hookline import Measurement, publish_measurement

def double(x):
    return x * 2

def triple(y):
    publish_measurement(Measurement("rows.seen", float(y), "count", node="triple"))
    return y * 3

def explode(y):
    raise RuntimeError("explode on purpose")
"""

PROJECT_REGISTRY = """
return {
    "__default__": pipeline([
        node(double, "params:x", "y", name="double"),
        node(triple, "y", "z", name="triple"),
        node(double, "params:x", "w", name="double_again"),
    ]),
    "failing": pipeline([
        node(double, "params:x", "y", name="double"),
        node(explode, "y", "z", name="explode"),
    ]),
}
"""

# The settings module is imported again in every worker, giving fresh StateHooks objects whose
# secret is None until restore_worker_state hands them the main process's value.
PROJECT_SETTINGS = """
import json
import os

from hookline import hook_impl

LOG = LOG_PATH


def record(**entry):
    entry["pid"] = os.getpid()
    with open(LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\\n")


class StateHooks:
    def __init__(self, label):
        self.label = label
        self.secret = None

    @hook_impl
    def before_pipeline_run(self, run_params):
        self.secret = f"{self.label}-{run_params['session_id']}"

    @hook_impl
    def export_worker_state(self, run_params):
        return {"secret": self.secret, "session_id": run_params["session_id"]}

    @hook_impl
    def restore_worker_state(self, state):
        self.secret = state["secret"]
        record(hook="restore_worker_state", label=self.label, state=state)

    @hook_impl
    def before_node_run(self, node):
        record(hook="before_node_run", label=self.label, node=node.name, secret=self.secret)


HOOKS = (StateHooks("first"), StateHooks("second"))
"""


@pytest.fixture
def project_log(tmp_path: Path) -> Path:
    return tmp_path / "project-hooks.jsonl"


@pytest.fixture
def project(make_project: ProjectFactory, project_log: Path) -> Path:
    return make_project(
        PROJECT_NODES,
        PROJECT_REGISTRY,
        PROJECT_SETTINGS.replace("LOG_PATH", repr(str(project_log))),
        conf={"base/parameters.yml": "x: 2\n"},
    )


def session_with(project: Path, *hooks: object) -> HooklineSession:
    session = HooklineSession.create(project)
    for hook in hooks:
        session.load_context().hook_manager.register_hooks(hook, source="test")
    return session


# -- where hooks fire ----------------------------------------------------------------------------


def test_node_and_dataset_hooks_fire_in_workers_and_pipeline_hooks_once_in_main(
    runner: AbstractRunner, project: Path, recording_hooks: RecordingHooks
) -> None:
    result = session_with(project, recording_hooks).run(runner=runner)

    assert result.outputs == {"w": 4, "z": 12}
    main = os.getpid()
    calls = recording_hooks.pids
    pipeline_hooks = [(hook, pid) for hook, _, pid in calls if "pipeline" in hook]
    assert pipeline_hooks == [("before_pipeline_run", main), ("after_pipeline_run", main)]
    assert [pid for hook, _, pid in calls if hook == "after_catalog_created"] == [main]
    node_hooks = [(hook, subject, pid) for hook, subject, pid in calls if "pipeline" not in hook]
    node_hooks = [entry for entry in node_hooks if entry[0] != "after_catalog_created"]
    assert {subject for hook, subject, _ in node_hooks if hook == "before_node_run"} == {
        "double",
        "triple",
        "double_again",
    }
    assert {hook for hook, _, _ in node_hooks} == {
        "before_dataset_loaded",
        "after_dataset_loaded",
        "before_node_run",
        "after_node_run",
        "before_dataset_saved",
        "after_dataset_saved",
        "on_measurement",
    }
    # Every node and dataset hook fired in a worker process, none in the main process.
    assert main not in {pid for _, _, pid in node_hooks}


def test_each_plugin_gets_its_own_state_in_every_worker_before_its_first_node(
    runner: AbstractRunner, project: Path, project_log: Path
) -> None:
    session = session_with(project)
    session.run(runner=runner)

    entries = read_jsonl(project_log)
    nodes = [e for e in entries if e["hook"] == "before_node_run"]
    restores = [e for e in entries if e["hook"] == "restore_worker_state"]
    # Both settings plugins saw every node, in worker processes, with the secret their own
    # copy in the main process made: first's state never reaches second.
    for label in ("first", "second"):
        seen = [e for e in nodes if e["label"] == label]
        assert sorted(e["node"] for e in seen) == ["double", "double_again", "triple"]
        assert {e["secret"] for e in seen} == {f"{label}-{session.session_id}"}
    assert os.getpid() not in {e["pid"] for e in nodes + restores}
    # In every worker that ran a node, each plugin was restored once, before the first node.
    for pid in {e["pid"] for e in nodes}:
        in_worker = [e for e in entries if e["pid"] == pid]
        first_node = next(i for i, e in enumerate(in_worker) if e["hook"] == "before_node_run")
        restored = [e["label"] for e in in_worker if e["hook"] == "restore_worker_state"]
        assert sorted(restored) == ["first", "second"]
        assert all(e["hook"] == "restore_worker_state" for e in in_worker[:2])
        assert first_node == 2
    for entry in restores:
        assert entry["state"] == {
            "secret": f"{entry['label']}-{session.session_id}",
            "session_id": session.session_id,
        }


def test_measurements_from_workers_reach_the_run_summary_once(
    runner: AbstractRunner, project: Path, recording_hooks: RecordingHooks
) -> None:
    result = session_with(project, recording_hooks).run(runner=runner)

    # Only this test's figure: installed plugins (hookline-memory) may publish their own.
    seen = [(m.name, m.value, m.node) for m in result.measurements if m.name == "rows.seen"]
    assert seen == [("rows.seen", 4.0, "triple")]
    # The sinks ran in the worker where the figure was published, and only there.
    sinks = [
        (subject, pid)
        for hook, subject, pid in recording_hooks.pids
        if hook == "on_measurement" and subject == "rows.seen"
    ]
    assert len(sinks) == 1
    assert sinks[0][0] == "rows.seen"
    assert sinks[0][1] != os.getpid()


# -- errors --------------------------------------------------------------------------------------


def test_a_failing_nodes_traceback_reaches_the_main_process(
    runner: AbstractRunner, recording_hooks: RecordingHooks
) -> None:
    pipe = pipeline([node(fail, "x", "y", name="fail"), node(double, "y", "z", name="after")])
    with pytest.raises(ValueError, match="bad input row 7") as raised:
        runner.run(
            pipe,
            DataCatalog({"x": MemoryDataset(1)}),
            create_hook_manager([recording_hooks], load_entry_points=False),
        )
    cause = raised.value.__cause__
    assert isinstance(cause, RemoteTraceback)
    assert 'raise ValueError("bad input row 7")' in cause.text
    assert ", in fail" in cause.text
    assert "ValueError: bad input row 7" in cause.text
    assert "hookline/runner" not in cause.text  # hookline's own frames are left out
    errors = [
        (subject, pid) for hook, subject, pid in recording_hooks.pids if hook == "on_node_error"
    ]
    assert len(errors) == 1
    assert errors[0][0] == "fail"
    assert errors[0][1] != os.getpid()
    assert "after" not in recording_hooks.hooks_named("before_node_run")


def test_a_failure_in_a_workers_hook_names_the_hook_then_fires_on_pipeline_error(
    runner: AbstractRunner, project: Path, recording_hooks: RecordingHooks
) -> None:
    session = session_with(project, recording_hooks, ExplodingHooks())
    with pytest.raises(RunFailed) as failure:
        session.run(runner=runner)

    assert isinstance(failure.value.error, KeyError)
    assert failure.value.failed_in == "hook after_node_run of ExplodingHooks (from test)"
    hooks = [(hook, pid) for hook, _, pid in recording_hooks.pids]
    assert hooks[-1] == ("on_pipeline_error", os.getpid())
    assert "after_pipeline_run" not in [hook for hook, _ in hooks]
    assert all(pid != os.getpid() for hook, pid in hooks if hook == "on_node_error")
    assert "on_node_error" in [hook for hook, _ in hooks]


def nap(x: int) -> int:
    time.sleep(0.5)
    return x


def test_after_a_failure_no_new_node_starts(
    runner: AbstractRunner, recording_hooks: RecordingHooks
) -> None:
    pipe = pipeline(
        [node(fail, "x", "failed", name="fail")]
        + [node(nap, "x", f"napped{i}", name=f"nap{i}") for i in range(10)]
    )
    with pytest.raises(ValueError, match="bad input row 7"):
        runner.run(
            pipe,
            DataCatalog({"x": MemoryDataset(1)}),
            create_hook_manager([recording_hooks], load_entry_points=False),
        )
    started = [name for name in recording_hooks.hooks_named("before_node_run") if name != "fail"]
    # The nodes already running when "fail" failed finish; the others never start.
    assert len(started) < 10
    assert sorted(recording_hooks.hooks_named("after_node_run")) == sorted(started)


def nap_briefly(x: int) -> int:
    time.sleep(0.05)
    return x


class SlowReporter(ProgressReporter):
    """Dawdles after the first node, so that the other nodes finish meanwhile and their
    results wait together when the runner looks again."""

    def node_completed(self, node: Any, seconds: float) -> None:
        super().node_completed(node, seconds)
        if len(self.records) == 1:
            time.sleep(1.0)


@pytest.mark.parametrize("last", [nap, fail], ids=["succeeds", "fails"])
def test_results_that_arrive_together_are_all_taken(last: Callable[[int], int]) -> None:
    pipe = pipeline(
        [
            node(nap_briefly, "x", "a", name="first"),
            node(nap, "x", "b", name="second"),
            node(last, "x", "c", name="third"),
        ]
    )
    reporter = SlowReporter()
    runner = ParallelRunner(max_workers=3)
    if last is fail:
        with pytest.raises(ValueError, match="bad input row 7"):
            runner.run(pipe, DataCatalog({"x": MemoryDataset(1)}), reporter=reporter)
    else:
        result = runner.run(pipe, DataCatalog({"x": MemoryDataset(1)}), reporter=reporter)
        assert result == {"a": 1, "b": 1, "c": 1}
    assert len(reporter.records) == 3


def test_a_killed_worker_fails_the_run_naming_the_node(
    own_runner: AbstractRunner, tmp_path: Path, recording_hooks: RecordingHooks, no_hang: None
) -> None:
    kept = tmp_path / "kept.pkl"
    pipe = pipeline(
        [
            node(double, "x", "kept", name="save_first"),
            node(kill_own_process, "kept", "y", name="suicide"),
            node(double, "y", "z", name="after"),
        ]
    )
    catalog = DataCatalog({"x": MemoryDataset(21), "kept": PickleDataset(kept)})

    with pytest.raises(WorkerDied, match="suicide") as raised:
        own_runner.run(
            pipe, catalog, create_hook_manager([recording_hooks], load_entry_points=False)
        )

    if isinstance(own_runner, ParallelRunner):
        assert "killed by signal SIGKILL" in str(raised.value)
    # What finished before the worker died stays saved; nothing after it ran.
    assert pickle.loads(kept.read_bytes()) == 42
    assert "after" not in recording_hooks.hooks_named("before_node_run")


# -- plugins from entry points -------------------------------------------------------------------


def test_installed_plugins_fire_in_workers(
    own_runner: AbstractRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "plugin.jsonl"
    monkeypatch.setenv("HOOKLINE_TESTPLUGIN_LOG", str(log))
    monkeypatch.delenv("HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS", raising=False)
    manager = create_hook_manager()
    assert "hookline-testplugin" in {
        info.source.split("==")[0] for info in manager.implementations()
    }
    pipe = pipeline([node(double, "x", "y", name="one"), node(double, "y", "z", name="two")])

    assert own_runner.run(pipe, DataCatalog({"x": MemoryDataset(1)}), manager) == {"z": 4}

    ran = sorted(e["node"] for e in read_jsonl(log) if e["hook"] == "after_node_run")
    assert ran == ["one", "two"]


def test_disabled_plugins_stay_off_in_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "plugin.jsonl"
    monkeypatch.setenv("HOOKLINE_TESTPLUGIN_LOG", str(log))
    manager = create_hook_manager(disabled_plugins=["hookline-testplugin"])
    pipe = pipeline([node(double, "x", "y", name="one")])
    result = ParallelRunner(max_workers=1).run(pipe, DataCatalog({"x": MemoryDataset(1)}), manager)
    assert result == {"y": 2}
    assert read_jsonl(log) == []


# -- what cannot be sent to a worker fails before the first node ----------------------------------


class Locked(MemoryDataset):
    """A dataset holding a lock, which no pickler can copy."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()


def test_an_unpicklable_dataset_fails_before_the_first_node_naming_it(
    runner: AbstractRunner, recording_hooks: RecordingHooks
) -> None:
    pipe = pipeline([node(double, "x", "locked", name="double")])
    catalog = DataCatalog({"x": MemoryDataset(1), "locked": Locked()})
    with pytest.raises(
        DatasetError, match=r"cannot be pickled: 'locked' \([\w.]*Locked\): TypeError"
    ):
        runner.run(pipe, catalog, create_hook_manager([recording_hooks], load_entry_points=False))
    assert recording_hooks.calls == []


def test_an_unpicklable_hook_object_fails_before_the_first_node_naming_it(
    recording_hooks: RecordingHooks,
) -> None:
    class LocalHooks:  # a local class: pickle cannot find it by name in a worker
        @hook_impl
        def before_node_run(self) -> None:
            pass

    manager = create_hook_manager([recording_hooks, LocalHooks()], load_entry_points=False)
    with pytest.raises(HookError, match=r"cannot be pickled: 'settings:LocalHooks' \(LocalHooks"):
        ParallelRunner(max_workers=1).run(
            pipeline([node(double, "x", "y")]), DataCatalog({"x": MemoryDataset(1)}), manager
        )
    assert recording_hooks.calls == []


def test_unpicklable_worker_state_fails_before_the_first_node_naming_the_plugin(
    runner: AbstractRunner, recording_hooks: RecordingHooks
) -> None:
    manager = create_hook_manager([recording_hooks], load_entry_points=False)
    manager.register_hooks(UnpicklableState(), source="test", name="unpicklable-state")
    with pytest.raises(HookError, match=r"'unpicklable-state' \(from test\)"):
        runner.run(
            pipeline([node(double, "x", "y")]), DataCatalog({"x": MemoryDataset(1)}), manager
        )
    assert recording_hooks.calls == []


def test_a_failing_restore_fails_the_run_before_any_node_runs(
    runner: AbstractRunner, recording_hooks: RecordingHooks
) -> None:
    manager = create_hook_manager([recording_hooks, FailingRestore()], load_entry_points=False)
    with pytest.raises(ValueError, match="cannot restore token-7") as raised:
        runner.run(
            pipeline([node(double, "x", "y")]), DataCatalog({"x": MemoryDataset(1)}), manager
        )
    cause = raised.value.__cause__
    assert isinstance(cause, RemoteTraceback)
    assert "in restore_worker_state" in cause.text
    assert recording_hooks.hooks_named("before_node_run") == []


# -- the hook recipe -------------------------------------------------------------------------------


def test_the_recipe_rebuilds_the_same_plugins_in_the_same_order(
    project: Path, recording_hooks: RecordingHooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS", raising=False)
    manager = session_with(project, recording_hooks).load_context().hook_manager
    manager.register_process_local(object(), name="hookline:run-summary")

    recipe = HookRecipe.of(manager)
    rebuilt = pickle.loads(pickle.dumps(recipe)).build()

    origins = {entry.plugin_name: entry.origin for entry in recipe.entries}
    assert "hookline:run-summary" not in origins
    assert isinstance(origins["settings:StateHooks"], SettingsOrigin)
    assert isinstance(origins["hookline-testplugin"], EntryPointOrigin)
    assert isinstance(origins["test:RecordingHooks"], ObjectOrigin)
    assert str(project / "src") in recipe.sys_path
    listed = [
        (i.hook, i.order, i.class_name, i.source, i.plugin_name) for i in manager.implementations()
    ]
    rebuilt_listed = [
        (i.hook, i.order, i.class_name, i.source, i.plugin_name) for i in rebuilt.implementations()
    ]
    assert rebuilt_listed == listed


def test_a_recipe_entry_that_cannot_load_names_the_plugin() -> None:
    origin = EntryPointOrigin("gone", "no_such_module:hooks")
    recipe = HookRecipe((HookRecipeEntry("gone", "gone==1.0", origin),))
    with pytest.raises(HookError, match=r"Plugin 'gone' \(from gone==1.0\) could not be loaded"):
        recipe.build()


# -- the command line ------------------------------------------------------------------------------


def test_cli_runs_on_parallel_runner_and_prints_the_workers_traceback(project: Path) -> None:
    done = hookline(project, "run", "--runner", "ParallelRunner", "--max-workers", "2")
    assert done.returncode == 0, done.stderr
    assert "Completed node triple" in done.stderr

    failed = hookline(project, "run", "--pipeline", "failing", "--runner", "ParallelRunner")
    assert failed.returncode == 1
    assert "Traceback in the worker process" in failed.stderr
    assert 'raise RuntimeError("explode on purpose")' in failed.stderr
    assert "RuntimeError: explode on purpose" in failed.stderr
    assert "To resume the run:" in failed.stderr


def test_cli_runs_on_an_existing_dask_cluster(project: Path, dask_cluster: str) -> None:
    done = hookline(
        project, "run", "--runner", "DaskRunner", "--runner-param", f"address={dask_cluster}"
    )
    assert done.returncode == 0, done.stderr
    assert "Completed node triple" in done.stderr


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--runner-param", "address"), "--runner-param takes key=value"),
        (("--runner", "ParallelRunner", "--runner-param", "colour=red"), "colour"),
        (("--runner", "ParallelRunner", "--runner-param", "mp_context=teleport"), "teleport"),
    ],
)
def test_cli_runner_param_errors_exit_2(
    project: Path, args: tuple[str, ...], expected: str
) -> None:
    done = hookline(project, "run", *args)
    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr


def test_create_runner_passes_params_and_max_workers() -> None:
    runner = create_runner("DaskRunner", max_workers=3, address="tcp://127.0.0.1:8786")
    assert isinstance(runner, DaskRunner)
    assert (runner.address, runner.max_workers, runner.n_workers) == ("tcp://127.0.0.1:8786", 3, 3)
    parallel = create_runner("ParallelRunner", max_workers=2, mp_context="spawn")
    assert isinstance(parallel, ParallelRunner)
    assert parallel.max_workers == 2
    with pytest.raises(ConfigError, match="does not accept"):
        create_runner("ParallelRunner", colour="red")


def test_importing_the_dask_runner_does_not_import_dask() -> None:
    code = (
        "import sys, hookline, hookline.runner.dask; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


SLOW_NODES = """
import os
import time
from pathlib import Path

def double(x):
    return x * 2

def wait_for_interrupt(y):
    Path(os.environ["MARKER"]).write_text(str(os.getpid()))
    time.sleep(60)
    return y
"""

SLOW_SETTINGS = """
import os
from pathlib import Path
from hookline import hook_impl

class ErrorWitness:
    @hook_impl
    def on_pipeline_error(self, error):
        Path(os.environ["WITNESS"]).write_text(type(error).__name__)

HOOKS = (ErrorWitness(),)
"""


def test_ctrl_c_stops_the_workers_at_once(make_project: ProjectFactory, tmp_path: Path) -> None:
    project = make_project(
        SLOW_NODES,
        'return {"__default__": pipeline([node(double, "params:x", "y", name="double"), '
        'node(wait_for_interrupt, "y", "z", name="wait")])}',
        SLOW_SETTINGS,
        conf={"base/parameters.yml": "x: 2\n"},
    )
    marker, witness = tmp_path / "marker", tmp_path / "witness"
    process = subprocess.Popen(
        hookline_command("run", "--runner", "ParallelRunner"),
        cwd=project,
        env={**os.environ, "MARKER": str(marker), "WITNESS": str(witness)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the slow node never started"
    worker_pid = int(marker.read_text())
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert witness.read_text() == "KeyboardInterrupt"
    # The worker sleeping in its node was stopped with the run, not left behind.
    deadline = time.monotonic() + 10
    while _alive(worker_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker_pid)


def _alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        text = status.read_text()
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in text  # a zombie has exited already
