"""The hook manager: which hook implementations a run uses, where each came from, and in
which order they fire.

Implementations come from two places: the ``HOOKS`` tuple of a project's ``settings.py`` and
the ``hookline.hooks`` entry-point group of installed distributions. Distributions can be
switched off with ``DISABLE_HOOKS_FOR_PLUGINS`` in settings or the environment variable
``HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS`` (comma-separated distribution names).

A manager remembers how each plugin was registered, so that a worker process can build the
same hooks in the same order: :meth:`HookManager.recipe` returns a picklable
:class:`HookRecipe` whose :meth:`HookRecipe.build` does that in the worker.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import metadata
from types import TracebackType
from typing import Any

import pluggy

from hookline.errors import HookError, HookFailed, HooklineError, RemoteTraceback, did_you_mean
from hookline.hooks import specs
from hookline.hooks.markers import HOOK_NAMESPACE, HOOKS_ENTRY_POINT_GROUP

logger = logging.getLogger(__name__)

#: Environment variable holding distribution names whose hooks are not registered.
DISABLE_ENV_VAR = "HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS"

SETTINGS_SOURCE = "settings"


def normalize_distribution_name(name: str) -> str:
    """Return ``name`` normalised as PEP 503 does: ``Hookline_MLflow`` -> ``hookline-mlflow``."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class HookImplementationInfo:
    """One registered implementation, as ``hookline hooks`` lists it.

    Attributes:
        hook: The hook's name, e.g. ``before_node_run``.
        order: 1 for the implementation that fires first for this hook, then 2, ...
        class_name: The implementing object's class (or module) name.
        source: ``settings`` or ``<distribution>==<version>``.
        plugin_name: The name the implementation is registered under.
    """

    hook: str
    order: int
    class_name: str
    source: str
    plugin_name: str


@dataclass(frozen=True)
class EntryPointOrigin:
    """A plugin loaded from an entry point: a worker loads the same entry point again.

    Attributes:
        name: The entry point's name, e.g. ``mlflow``.
        value: What it points at, e.g. ``hookline_mlflow:hooks``.
        group: The entry-point group, ``hookline.hooks``.
    """

    name: str
    value: str
    group: str = HOOKS_ENTRY_POINT_GROUP

    def load(self) -> object:
        """Import and return the object the entry point names."""
        return metadata.EntryPoint(self.name, self.value, self.group).load()


@dataclass(frozen=True)
class SettingsOrigin:
    """A plugin from the ``HOOKS`` of a project's settings module: a worker imports that module.

    Attributes:
        module: The settings module, e.g. ``spaceflights.settings``.
        index: The position of the plugin in ``HOOKS``.
    """

    module: str
    index: int

    def load(self) -> object:
        """Import the settings module and return its ``HOOKS[index]``."""
        hooks = tuple(getattr(importlib.import_module(self.module), "HOOKS", ()))
        if self.index >= len(hooks):
            raise HookError(
                f"{self.module}.HOOKS has {len(hooks)} item(s) in this process, but item "
                f"{self.index + 1} was registered in the main process: HOOKS must not depend "
                "on the process that imports the settings."
            )
        return hooks[self.index]


@dataclass(frozen=True)
class ObjectOrigin:
    """A plugin registered directly (tests, notebooks): the object itself is pickled.

    Attributes:
        plugin: The hook object.
    """

    plugin: object

    def load(self) -> object:
        """Return the (unpickled) object."""
        return self.plugin


Origin = EntryPointOrigin | SettingsOrigin | ObjectOrigin


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
                    f"'{entry.plugin_name}' ({_class_name(plugin)}, from {entry.source}): "
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


class HookManager(pluggy.PluginManager):
    """A pluggy plugin manager that knows every hookline spec and where each plugin came from.

    Create one with :func:`create_hook_manager`.
    """

    def __init__(self) -> None:
        super().__init__(HOOK_NAMESPACE)
        self.add_hookspecs(specs)
        self._sources: dict[str, str] = {}
        # code object of each implementation -> (hook, plugin name): lets an exception's
        # traceback name the hook and class that raised, at no cost on the hot path.
        self._impl_codes: dict[Any, tuple[str, str]] = {}
        # plugin name -> how to rebuild it in a worker process (see recipe()).
        self._origins: dict[str, Origin] = {}
        # Plugins of this process only (the session's run summary): never sent to workers.
        self._process_local: set[str] = set()
        self._sys_path: tuple[str, ...] = ()

    def register_hooks(
        self,
        plugin: object,
        *,
        source: str,
        name: str | None = None,
        origin: Origin | None = None,
    ) -> str:
        """Validate and register ``plugin`` (an instance or a module with ``@hook_impl``
        functions), remembering ``source`` for listings and error messages.

        Args:
            plugin: The hook implementation object.
            source: ``settings`` or ``<distribution>==<version>``.
            name: The registration name; by default derived from the source and class.
            origin: How a worker process rebuilds the plugin; by default the object itself is
                pickled (see :meth:`recipe`).

        Returns:
            The name the plugin was registered under.

        Raises:
            HookError: If ``plugin`` is a class, or names a hook or argument that does not exist.
        """
        if inspect.isclass(plugin):
            raise HookError(
                f"{plugin.__name__} (from {source}) is a class; register an instance: "
                f"HOOKS = ({plugin.__name__}(),)"
            )
        self._validate(plugin, source)
        plugin_name = name or self._unique_name(f"{source}:{_class_name(plugin)}")
        self.register(plugin, name=plugin_name)
        self._sources[plugin_name] = source
        self._origins[plugin_name] = origin or ObjectOrigin(plugin)
        for caller in self.get_hookcallers(plugin) or []:
            for hook_impl in caller.get_hookimpls():
                code = getattr(hook_impl.function, "__code__", None)
                if hook_impl.plugin is plugin and code is not None:
                    self._impl_codes[code] = (caller.name, plugin_name)
        return plugin_name

    def register_process_local(self, plugin: object, name: str) -> None:
        """Register ``plugin`` in this process only: :meth:`recipe` leaves it out, so worker
        processes never get a copy (the session's run-summary collector is one)."""
        self.register(plugin, name=name)
        self._process_local.add(name)

    def unregister(self, plugin: Any = None, name: str | None = None) -> Any:
        """Unregister a plugin (as pluggy does) and forget how it was registered."""
        removed = super().unregister(plugin, name)
        for gone in [n for n in self._origins if not self.has_plugin(n)]:
            del self._origins[gone]
        self._process_local = {n for n in self._process_local if self.has_plugin(n)}
        return removed

    def add_sys_path(self, *folders: str) -> None:
        """Record folders that worker processes must put on ``sys.path`` before rebuilding the
        plugins (the project's source folder, where its settings module lives)."""
        self._sys_path = (*self._sys_path, *(f for f in folders if f not in self._sys_path))

    def recipe(self) -> HookRecipe:
        """Describe every plugin (but the process-local ones) so a worker process can register
        the same hooks, in the same order, under the same names.

        Entry-point plugins are recorded by entry point and settings ``HOOKS`` by settings
        module (both are imported again in the worker, giving fresh instances); anything else,
        including a plugin registered with plain ``register()``, is recorded as the object
        itself and pickled.
        """
        entries = []
        for name, plugin in self.list_name_plugin():
            if name in self._process_local or plugin is None:
                continue
            origin = self._origins.get(name) or ObjectOrigin(plugin)
            entries.append(HookRecipeEntry(name, self.source_of(name), origin))
        return HookRecipe(tuple(entries), self._sys_path)

    def source_of(self, plugin_name: str) -> str:
        """Return where the plugin registered as ``plugin_name`` came from."""
        return self._sources.get(plugin_name, "unknown")

    def implementations(self) -> list[HookImplementationInfo]:
        """Return every registered implementation, grouped by hook in spec order, each hook's
        implementations in the order they fire."""
        infos: list[HookImplementationInfo] = []
        for hook_name in spec_names():
            caller = getattr(self.hook, hook_name)
            # pluggy calls the list back to front: the last entry fires first.
            firing_order = list(reversed(caller.get_hookimpls()))
            for order, impl in enumerate(firing_order, start=1):
                infos.append(
                    HookImplementationInfo(
                        hook=hook_name,
                        order=order,
                        class_name=_class_name(impl.plugin),
                        source=self.source_of(impl.plugin_name),
                        plugin_name=impl.plugin_name,
                    )
                )
        return infos

    def describe_failure(self, error: BaseException) -> str | None:
        """Name the hook implementation an exception was raised in, if it was raised in one.

        Returns:
            For example ``"hook after_node_run of MyHooks (from settings)"``, or ``None``.
        """
        tb: TracebackType | None = error.__traceback__
        found: tuple[str, str] | None = None
        while tb is not None:
            # Keep the innermost hook frame: a hook may call another hook.
            found = self._impl_codes.get(tb.tb_frame.f_code, found)
            tb = tb.tb_next
        if found is None:
            # Raised in a worker process: the worker named the hook when it sent the error.
            cause = error.__cause__
            return cause.failed_in if isinstance(cause, RemoteTraceback) else None
        hook_name, plugin_name = found
        plugin = self.get_plugin(plugin_name)
        return f"hook {hook_name} of {_class_name(plugin)} (from {self.source_of(plugin_name)})"

    def call_before_run(self, hook_name: str, **kwargs: Any) -> None:
        """Call the hook ``hook_name`` that fires before the pipeline starts.

        Raises:
            HookFailed: If an implementation raised anything but a :class:`HooklineError`
                (whose message is already meant for the user); it names the implementation.
        """
        try:
            getattr(self.hook, hook_name)(**kwargs)
        except HooklineError:
            raise
        except Exception as error:
            where = self.describe_failure(error) or f"hook {hook_name}"
            raise HookFailed(f"{where} failed: {type(error).__name__}: {error}") from error

    def call_every(self, hook_name: str, **kwargs: Any) -> None:
        """Call every implementation of the error hook ``hook_name``, in firing order, each on
        its own: one that raises is logged (naming its hook, class and source) and the others
        still run, so that a broken plugin cannot keep another from ending its work (an MLflow
        run left open). Ctrl-C stops the implementation it interrupts (a hung one); the others
        still run, then the ``KeyboardInterrupt`` is raised; a second Ctrl-C stops them all.

        With a hook wrapper among them, pluggy runs them all in one call: a failure is logged
        all the same (never raised in place of the error being handled), but it stops the
        implementations after it."""
        caller = getattr(self.hook, hook_name)
        if any(impl.hookwrapper or impl.wrapper for impl in caller.get_hookimpls()):
            # Only pluggy can run wrappers around the others (so one failure stops the rest);
            # still, a failing error hook must not replace the error being reported.
            try:
                caller(**kwargs)
            except Exception as error:
                logger.error(
                    "%s failed while a hook wrapper ran the %s hooks together, so the ones after "
                    "it may not have run: %s: %s",
                    self.describe_failure(error) or f"A {hook_name} hook",
                    hook_name,
                    type(error).__name__,
                    error,
                    exc_info=error,
                )
            return
        interrupted: KeyboardInterrupt | None = None
        for impl in _plain_impls(self, hook_name):
            try:
                _call(impl, kwargs)
            except KeyboardInterrupt as interrupt:
                if interrupted is not None:
                    raise
                interrupted = interrupt
            except Exception as error:
                logger.error(
                    "The %s hook of %s (from %s) failed, and the other %s hooks still ran: %s: %s",
                    hook_name,
                    _class_name(impl.plugin),
                    self.source_of(impl.plugin_name),
                    hook_name,
                    type(error).__name__,
                    error,
                    exc_info=error,
                )
        if interrupted is not None:
            raise interrupted

    def _unique_name(self, base: str) -> str:
        name, counter = base, 1
        while self.has_plugin(name):
            counter += 1
            name = f"{base}#{counter}"
        return name

    def _validate(self, plugin: object, source: str) -> None:
        """Check hook and argument names before pluggy sees them, to say what is valid."""
        known = spec_arguments()
        for attr in dir(plugin):
            if self.parse_hookimpl_opts(plugin, attr) is None:
                continue
            where = f"{_class_name(plugin)}.{attr} (from {source})"
            if attr not in known:
                raise HookError(
                    f"{where} is marked @hook_impl but there is no hook named '{attr}'."
                    f"{did_you_mean(attr, known)} Valid hooks: {', '.join(known)}."
                )
            function = getattr(plugin, attr)
            unknown = [a for a in pluggy_argnames(function) if a not in known[attr]]
            if unknown:
                raise HookError(
                    f"{where} takes argument(s) {', '.join(map(repr, unknown))} that hook "
                    f"'{attr}' does not pass.{did_you_mean(unknown[0], known[attr])} "
                    f"Valid arguments: {', '.join(known[attr])}."
                )


def pluggy_argnames(function: Any) -> tuple[str, ...]:
    """Return the argument names pluggy will pass to ``function`` (without ``self``)."""
    return pluggy._hooks.varnames(function)[0]


def spec_names() -> list[str]:
    """Return every hook name, in the order the hooks fire during a run."""
    return list(spec_arguments())


def spec_arguments() -> dict[str, tuple[str, ...]]:
    """Return every hook name mapped to the names of the arguments it passes."""
    marker = f"{HOOK_NAMESPACE}_spec"
    return {
        name: pluggy_argnames(function)
        for name, function in vars(specs).items()
        if callable(function) and hasattr(function, marker)
    }


def _class_name(plugin: object) -> str:
    if inspect.ismodule(plugin):
        return plugin.__name__
    return type(plugin).__name__


def create_hook_manager(
    settings_hooks: Iterable[object] = (),
    *,
    disabled_plugins: Iterable[str] = (),
    load_entry_points: bool = True,
    settings_module: str | None = None,
    sys_path: Iterable[str] = (),
) -> HookManager:
    """Create a hook manager with the project's hooks and the installed plugins.

    Settings hooks are registered first and entry-point plugins after, so (pluggy calls the
    most recently registered implementation first) plugins fire before project hooks unless
    an implementation asks for ``tryfirst``/``trylast``. ``hookline hooks`` shows the order.

    Args:
        settings_hooks: Hook instances from the project's ``HOOKS``.
        disabled_plugins: Distribution names whose entry-point hooks are skipped; the
            environment variable ``HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS`` adds to them.
        load_entry_points: Whether to load the ``hookline.hooks`` entry points at all.
        settings_module: The module ``settings_hooks`` is the ``HOOKS`` of; worker processes
            import it to get their own instances. Without it, worker processes get pickled
            copies of ``settings_hooks``.
        sys_path: Folders worker processes put on ``sys.path`` first (the project's source
            folder), so that the settings module and the node functions import there.

    Raises:
        HookError: If a hook object is invalid (see :meth:`HookManager.register_hooks`).
    """
    manager = HookManager()
    manager.add_sys_path(*sys_path)
    for index, hooks in enumerate(settings_hooks):
        origin = None if settings_module is None else SettingsOrigin(settings_module, index)
        manager.register_hooks(hooks, source=SETTINGS_SOURCE, origin=origin)
    if load_entry_points:
        disabled = {normalize_distribution_name(n) for n in disabled_plugins}
        disabled |= {
            normalize_distribution_name(n)
            for n in os.environ.get(DISABLE_ENV_VAR, "").split(",")
            if n.strip()
        }
        register_entry_point_hooks(manager, disabled)
    return manager


def register_entry_point_hooks(manager: HookManager, disabled: set[str]) -> None:
    """Register every ``hookline.hooks`` entry point whose distribution is not disabled.

    A plugin that fails to import is reported with one warning naming its distribution and
    the error, and the run goes on without it.
    """
    for entry_point in metadata.entry_points(group=HOOKS_ENTRY_POINT_GROUP):
        dist = entry_point.dist
        dist_name = dist.metadata["Name"] if dist else entry_point.module
        if normalize_distribution_name(dist_name) in disabled:
            logger.debug("Hooks of %s are disabled", dist_name)
            continue
        source = f"{dist_name}=={dist.version}" if dist else dist_name
        try:
            hooks = entry_point.load()
        except Exception as exc:
            logger.warning(
                "Plugin %s was not loaded and the run goes on without it: "
                "entry point '%s = %s' raised %s: %s",
                source,
                entry_point.name,
                entry_point.value,
                type(exc).__name__,
                exc,
            )
            continue
        name = manager._unique_name(normalize_distribution_name(dist_name))
        origin = EntryPointOrigin(entry_point.name, entry_point.value, entry_point.group)
        manager.register_hooks(hooks, source=source, name=name, origin=origin)


def export_worker_states(manager: HookManager, run_params: Mapping[str, Any]) -> dict[str, Any]:
    """Call every ``export_worker_state`` implementation, one by one, in firing order.

    Returns:
        Plugin name -> the state it returned (``None`` results are left out).
    """
    states: dict[str, Any] = {}
    for impl in _plain_impls(manager, "export_worker_state"):
        state = _call(impl, {"run_params": run_params})
        if state is not None:
            states[impl.plugin_name] = state
    return states


def restore_worker_states(manager: HookManager, states: Mapping[str, Any]) -> None:
    """Call every ``restore_worker_state`` implementation, one by one, in firing order, each
    with the state its own plugin exported (``None`` when it exported none)."""
    for impl in _plain_impls(manager, "restore_worker_state"):
        _call(impl, {"state": states.get(impl.plugin_name)})


def _plain_impls(manager: HookManager, hook_name: str) -> list[Any]:
    """The implementations of ``hook_name`` but wrappers, in firing order (pluggy calls its
    list back to front), for the hooks hookline calls one implementation at a time."""
    impls = getattr(manager.hook, hook_name).get_hookimpls()
    return [impl for impl in reversed(impls) if not (impl.hookwrapper or impl.wrapper)]


def _call(impl: Any, kwargs: Mapping[str, Any]) -> Any:
    """Call one implementation with the arguments it asks for, as pluggy would."""
    return impl.function(*(kwargs[arg] for arg in impl.argnames))
