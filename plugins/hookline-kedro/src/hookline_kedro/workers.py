"""hookline's worker state, carried to the worker processes of Kedro's ParallelRunner.

Kedro builds its hooks afresh in every worker process and runs no pipeline hook there, so the
bridge's copy in a worker knows nothing of the run. In ``before_pipeline_run`` the main process
puts everything a worker needs into an environment variable (:func:`publish`): how to
register the same hookline plugins (:class:`hookline.hooks.worker_recipe.HookRecipe`) and each
plugin's ``export_worker_state``. The variable exists before Kedro creates its process pool,
so every worker inherits it, whether it is forked or spawned. A worker's first node hook
calls :func:`join_run`, which registers fresh copies of the plugins and hands each its state.

Figures a worker publishes go to that worker's plugins (``on_measurement``) and to a file of
the run's journal folder, which the main process reads at the end for the measurements of
``after_pipeline_run`` and ``on_pipeline_error`` (as hookline's own runners return them).
"""

from __future__ import annotations

import base64
import os
import pickle
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hookline.hooks.manager import HookManager
from hookline.hooks.worker_recipe import HookRecipe, restore_worker_states
from hookline.measurements import Measurement

#: The environment variable holding the run's worker state (base64 of a pickle).
STATE_ENV_VAR = "HOOKLINE_KEDRO_WORKER_STATE"


@dataclass(frozen=True)
class WorkerState:
    """What a worker process needs to take part in the main process's run.

    Attributes:
        main_pid: The main process's id (a worker is any other process).
        recipe: How to register the main process's hookline plugins.
        states: Plugin name -> what its ``export_worker_state`` returned.
        journal: The folder workers write the measurements they publish to.
        secrets: The credentials' strings, hidden in the errors the worker's hooks receive.
    """

    main_pid: int
    recipe: HookRecipe
    states: dict[str, Any]
    journal: str
    secrets: tuple[str, ...] = ()


def publish(state: WorkerState) -> None:
    """Put ``state`` into the environment, for the worker processes created after this call.

    Raises:
        HookError: Naming the plugins whose state cannot be pickled.
    """
    state.recipe.check_picklable(pickle.dumps)
    os.environ[STATE_ENV_VAR] = base64.b64encode(pickle.dumps(state)).decode("ascii")


def withdraw() -> None:
    """Remove the run's state from the environment, once the run ended."""
    os.environ.pop(STATE_ENV_VAR, None)


def published() -> WorkerState | None:
    """The state of the run this process is a worker of, or ``None`` outside a run."""
    text = os.environ.get(STATE_ENV_VAR)
    if not text:
        return None
    state: WorkerState = pickle.loads(base64.b64decode(text))
    return state


def join_run(state: WorkerState) -> HookManager:
    """In a worker process: register the main process's plugins afresh and restore their state.

    A forked worker inherits the main process's plugin objects, with the main process's run in
    them (an MLflow run it would end, a socket it would share): each plugin is registered as a
    copy made through pickle, which keeps only its settings, as hookline's own worker processes
    receive them. A plugin that cannot be pickled is registered as loaded.
    """
    built = state.recipe.build()
    manager = HookManager()
    manager.add_sys_path(*built.sys_path)
    for name, plugin in built.list_name_plugin():
        origin = built.worker_origins()[name]
        manager.register_hooks(
            _fresh_copy(plugin), source=built.source_of(name), name=name, origin=origin
        )
    restore_worker_states(manager, state.states)
    return manager


def _fresh_copy(plugin: object) -> object:
    try:
        return pickle.loads(pickle.dumps(plugin))
    except Exception:
        return plugin


class MeasurementJournal:
    """The measurements worker processes published, one file per worker, in a run's folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def write(self, measurement: Measurement) -> None:
        """Append ``measurement`` to this process's file."""
        with (self.folder / f"{os.getpid()}.pickle").open("ab") as file:
            pickle.dump(measurement, file)

    def read(self) -> Iterator[Measurement]:
        """Every measurement written so far, file by file."""
        for path in sorted(self.folder.glob("*.pickle")):
            with path.open("rb") as file:
                while True:
                    try:
                        yield pickle.load(file)
                    except EOFError:
                        break
