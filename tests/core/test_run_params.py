"""The ``run_params`` the pipeline hooks receive: Kedro 1.7's keys and forms (checked against
``KedroSession.run`` and ``kedro run`` of Kedro 1.7.0), the older keys, and the names plugins
show from them."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from hookline import __version__, hook_impl
from hookline.plugin import runner_name, shown_pipeline_name
from hookline.run_params import make_run_params
from hookline.runner import (
    AbstractRunner,
    DaskRunner,
    ParallelRunner,
    SequentialRunner,
    ThreadRunner,
)
from hookline.session import HooklineSession
from tests.support import ProjectFactory

from .conftest import hookline

NODES = """
def double(x):
    return x * 2

def add_one(y):
    return y + 1
"""

REGISTRY = """
return {
    "__default__": pipeline([
        node(double, "params:x", "y", name="double", tags=["first"]),
        node(add_one, "y", "z", name="add_one"),
    ]),
    "science": pipeline([node(double, "params:x", "y", name="double", tags=["first"])]),
}
"""

#: A versioned entry the pipelines do not use, whose version a run can pin.
PINNABLE_CATALOG = """
model:
  type: pickle.PickleDataset
  filepath: data/model.pkl
  versioned: true
"""

#: Every key Kedro 1.7's session passes (kedro/framework/session/session.py).
KEDRO_1_7_KEYS = {
    "run_id",
    "project_path",
    "env",
    "kedro_version",
    "tags",
    "from_nodes",
    "to_nodes",
    "node_names",
    "from_inputs",
    "to_outputs",
    "load_versions",
    "runtime_params",
    "pipeline_names",
    "namespaces",
    "runner",
    "only_missing_outputs",
}

#: The keys Kedro 0.18/0.19 passed that hooks of those releases still read.
OLDER_KEYS = {"session_id", "pipeline_name", "extra_params", "namespace"}


class RunParamsWitness:
    """Keeps the ``run_params`` each pipeline hook received (they fire in the main process)."""

    def __init__(self) -> None:
        self.seen: dict[str, dict[str, Any]] = {}

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        self.seen["before_pipeline_run"] = run_params

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any]) -> None:
        self.seen["after_pipeline_run"] = run_params


def run_with_witness(session: HooklineSession, **run_args: Any) -> dict[str, Any]:
    witness = RunParamsWitness()
    session.load_context().hook_manager.register_hooks(witness, source="test")
    session.run(**run_args)
    assert witness.seen["after_pipeline_run"] is witness.seen["before_pipeline_run"]
    return witness.seen["before_pipeline_run"]


def test_a_plain_run_passes_what_kedro_passes(
    runner: AbstractRunner, make_project: ProjectFactory
) -> None:
    project = make_project(NODES, REGISTRY, conf={"base/parameters.yml": "x: 2\n"})
    session = HooklineSession.create(project)

    run_params = run_with_witness(session, runner=runner)

    assert run_params == {
        "run_id": session.session_id,
        "project_path": project.resolve().as_posix(),
        "env": None,
        "kedro_version": "1.7.0",
        "tags": (),
        "from_nodes": [],
        "to_nodes": [],
        "node_names": (),
        "from_inputs": [],
        "to_outputs": [],
        "load_versions": {},
        "runtime_params": {},
        # No pipeline named: None, not "__default__" (kedro-viz takes a name for a filter).
        "pipeline_names": None,
        "namespaces": [],
        "runner": str(runner),
        "only_missing_outputs": False,
        "session_id": session.session_id,
        "pipeline_name": None,
        "extra_params": {},
        "namespace": None,
        "hookline_version": __version__,
    }
    assert set(run_params) == KEDRO_1_7_KEYS | OLDER_KEYS | {"hookline_version"}
    # As Kedro gives an instance: getattr(runner, "__name__", str(runner)).
    assert run_params["runner"].startswith(f"<{type(runner).__module__}.{type(runner).__name__}")


def test_a_named_filtered_run_passes_what_it_was_asked(make_project: ProjectFactory) -> None:
    project = make_project(
        NODES,
        REGISTRY,
        conf={
            "base/parameters.yml": "x: 2\n",
            "test/parameters.yml": "x: 5\n",
            "base/catalog.yml": PINNABLE_CATALOG,
        },
    )
    session = HooklineSession.create(project, env="test", extra_params={"x": 3})

    run_params = run_with_witness(
        session,
        pipeline_name="science",
        tags=iter(["first"]),  # any iterable, read once
        node_names=["double"],
        from_nodes=["double"],
        to_nodes=["double"],
        from_inputs=["params:x"],
        to_outputs=["y"],
        load_versions={"model": "2026-11-22T10.20.30.123Z"},
    )

    assert run_params["pipeline_names"] == ["science"]
    assert run_params["pipeline_name"] == "science"
    assert run_params["env"] == "test"
    assert run_params["tags"] == ("first",)
    assert run_params["node_names"] == ("double",)
    assert run_params["from_nodes"] == ["double"]
    assert run_params["to_nodes"] == ["double"]
    assert run_params["from_inputs"] == ["params:x"]
    assert run_params["to_outputs"] == ["y"]
    assert run_params["load_versions"] == {"model": "2026-11-22T10.20.30.123Z"}
    assert run_params["runtime_params"] == run_params["extra_params"] == {"x": 3}
    assert runner_name(run_params) == "SequentialRunner"


SETTINGS_DUMPING_RUN_PARAMS = """
import pickle
from hookline import hook_impl

class DumpRunParams:
    @hook_impl
    def before_pipeline_run(self, run_params):
        with open({path!r}, "wb") as file:
            pickle.dump(run_params, file)

HOOKS = (DumpRunParams(),)
"""


def test_hookline_run_passes_no_pipeline_name_and_the_runner_as_str(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    dump = tmp_path / "run_params.pickle"
    project = make_project(
        NODES,
        REGISTRY,
        SETTINGS_DUMPING_RUN_PARAMS.format(path=str(dump)),
        conf={"base/parameters.yml": "x: 2\n"},
    )
    done = hookline(project, "run")
    assert done.returncode == 0, done.stderr
    run_params = pickle.loads(dump.read_bytes())

    assert run_params["pipeline_name"] is None
    assert run_params["pipeline_names"] is None
    assert run_params["runner"].startswith("<hookline.runner.sequential.SequentialRunner object")
    assert shown_pipeline_name(run_params) == "__default__"
    assert runner_name(run_params) == "SequentialRunner"


def test_shown_pipeline_name_says_default_for_a_run_of_no_named_pipeline() -> None:
    assert shown_pipeline_name({"pipeline_name": None, "pipeline_names": None}) == "__default__"
    assert shown_pipeline_name({}) == "__default__"
    assert shown_pipeline_name({"pipeline_name": "science"}) == "science"


class NamedRunner(SequentialRunner):
    def __str__(self) -> str:
        return "the named runner"


def test_runner_name_is_the_class_name_of_each_runner_as_kedro_passes_it() -> None:
    runners = [SequentialRunner(), ThreadRunner(), ParallelRunner(), DaskRunner()]
    for runner in runners:
        as_kedro_passes = getattr(runner, "__name__", str(runner))
        assert runner_name({"runner": as_kedro_passes}) == type(runner).__name__
    # A runner class (Kedro passes its __name__), a runner with a str() of its own, none.
    assert runner_name({"runner": ThreadRunner.__name__}) == "ThreadRunner"
    assert runner_name({"runner": str(NamedRunner())}) == "the named runner"
    assert runner_name({}) == ""


def test_namespaces_give_kedro_0_19s_single_namespace_only_when_there_is_one() -> None:
    def run_params(namespaces: list[str]) -> dict[str, Any]:
        return make_run_params(
            session_id="s",
            project_path=Path("/p"),
            env=None,
            runtime_params={},
            pipeline_name=None,
            runner=SequentialRunner,
            namespaces=namespaces,
        )

    assert run_params([])["namespace"] is None
    assert run_params(["data_processing"])["namespaces"] == ["data_processing"]
    assert run_params(["data_processing"])["namespace"] == "data_processing"
    assert run_params(["a", "b"])["namespace"] is None
    # A runner class is passed by its name, as Kedro does.
    assert run_params([])["runner"] == "SequentialRunner"
