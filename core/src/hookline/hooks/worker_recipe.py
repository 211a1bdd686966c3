"""Rebuilding the main process's hooks in a worker process, and handing each plugin its state.

:meth:`HookRecipe.of` describes a manager's plugins in a picklable form; in the worker,
:meth:`HookRecipe.build` registers the same plugins, under the same names, in the same order.
:func:`export_worker_states` and :func:`restore_worker_states` carry each plugin's own state
(``export_worker_state`` / ``restore_worker_state``) across.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hookline.errors import HookError
from hookline.hooks.manager import HookManager, call_implementation, class_name
from hookline.hooks.origins import ObjectOrigin, Origin


@dataclass(frozen=True)
class HookRecipeEntry:
    """How to rebuild one registered plugin.

    Attributes:
        plugin_name: The name it is registered under (the key of its worker state).
        source: ``settings`` or ``<distribution>==<version>``, as listings show it.
        origin: Where the object comes from.
    """

    plugin_name: str
    source: str
    origin: Origin


@dataclass(frozen=True)
class HookRecipe:
    """A picklable description of a manager's plugins, in registration order, from which
    :meth:`build` makes an equivalent manager in another process.

    Attributes:
        entries: One entry per plugin, in the order they were registered (which decides the
            order in which they fire).
        sys_path: Folders the plugins' modules are imported from (the project's source
            folder), put on ``sys.path`` before anything is imported.
    """

    entries: tuple[HookRecipeEntry, ...]
    sys_path: tuple[str, ...] = ()

    @classmethod
    def of(cls, manager: HookManager) -> HookRecipe:
        """Describe every plugin of ``manager`` but the process-local ones, so that a worker
        process can register the same hooks, in the same order, under the same names.

        Entry-point plugins are recorded by entry point and settings ``HOOKS`` by settings
        module (both are imported again in the worker, giving fresh instances); anything
        else, including a plugin registered with plain ``register()``, is recorded as the
        object itself and pickled.
        """
        entries = tuple(
            HookRecipeEntry(name, manager.source_of(name), origin)
            for name, origin in manager.worker_origins().items()
        )
        return cls(entries, manager.sys_path)

    def build(self) -> HookManager:
        """Register every plugin of the recipe on a new manager, with the same names, sources
        and order as in the manager the recipe came from.

        Raises:
            HookError: If a plugin cannot be loaded here; the message names the plugin.
        """
        add_to_sys_path(self.sys_path)
        manager = HookManager()
        manager.add_sys_path(*self.sys_path)
        for entry in self.entries:
            try:
                plugin = entry.origin.load()
            except HookError:
                raise
            except Exception as error:
                raise HookError(
                    f"Plugin '{entry.plugin_name}' (from {entry.source}) could not be loaded in "
                    f"a worker process: {type(error).__name__}: {error}"
                ) from error
            manager.register_hooks(
                plugin, source=entry.source, name=entry.plugin_name, origin=entry.origin
            )
        return manager

    def check_picklable(self, dumps: Callable[[Any], bytes]) -> None:
        """Fail if a directly registered hook object cannot be sent to worker processes.

        Args:
            dumps: The serializer the runner uses (``pickle.dumps``, ``cloudpickle.dumps``).

        Raises:
            HookError: Naming each plugin that cannot be pickled, and why.
        """
        problems = []
        for entry in self.entries:
            try:
                dumps(entry.origin)
            except Exception as error:
                plugin = entry.origin.load() if isinstance(entry.origin, ObjectOrigin) else None
                problems.append(
                    f"'{entry.plugin_name}' ({class_name(plugin)}, from {entry.source}): "
                    f"{type(error).__name__}: {error}"
                )
        if problems:
            raise HookError(
                "Hook objects must be copied to the worker processes, but these cannot be "
                f"pickled: {'; '.join(problems)}. Define their classes at module level and "
                "keep unpicklable members (locks, connections, open files) out of their state "
                "(or rebuild them in restore_worker_state)."
            )


def add_to_sys_path(folders: Iterable[str]) -> None:
    """Put each folder at the front of ``sys.path`` unless it is already there."""
    for folder in reversed(tuple(folders)):
        if folder not in sys.path:
            sys.path.insert(0, folder)


def export_worker_states(manager: HookManager, run_params: Mapping[str, Any]) -> dict[str, Any]:
    """Call every ``export_worker_state`` implementation, one by one, in firing order.

    Returns:
        Plugin name -> the state it returned (``None`` results are left out).
    """
    states: dict[str, Any] = {}
    for impl in manager.implementations_one_by_one("export_worker_state"):
        state = call_implementation(impl, {"run_params": run_params})
        if state is not None:
            states[impl.plugin_name] = state
    return states


def restore_worker_states(manager: HookManager, states: Mapping[str, Any]) -> None:
    """Call every ``restore_worker_state`` implementation, one by one, in firing order, each
    with the state its own plugin exported (``None`` when it exported none)."""
    for impl in manager.implementations_one_by_one("restore_worker_state"):
        call_implementation(impl, {"state": states.get(impl.plugin_name)})
