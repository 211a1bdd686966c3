"""The hook manager: which hook implementations a run uses, where each came from, in which
order they fire, and how a failing implementation is reported.

Implementations come from two places: the ``HOOKS`` tuple of a project's ``settings.py`` and
the installed plugins (``hookline.hooks`` entry points, see :mod:`hookline.hooks.discovery`).
The manager remembers the origin of each, so that a worker process can build the same hooks
in the same order (see :mod:`hookline.hooks.worker_recipe`).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import pluggy

from hookline.errors import HookError, HookFailed, HooklineError, RemoteTraceback, did_you_mean
from hookline.hooks import specs
from hookline.hooks.discovery import disabled_distributions, installed_plugins
from hookline.hooks.hookless import warn_if_hookless
from hookline.hooks.markers import HOOK_NAMESPACE
from hookline.hooks.origins import ObjectOrigin, Origin, SettingsOrigin

logger = logging.getLogger(__name__)

SETTINGS_SOURCE = "settings"


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
        # plugin name -> how to rebuild it in a worker process (see worker_origins()).
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
                pickled (see :meth:`worker_origins`).

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
        plugin_name = name or self.unused_name(f"{source}:{class_name(plugin)}")
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
        """Register ``plugin`` in this process only: :meth:`worker_origins` leaves it out, so worker
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

    @property
    def sys_path(self) -> tuple[str, ...]:
        """The folders given to :meth:`add_sys_path`, in order."""
        return self._sys_path

    def worker_origins(self) -> dict[str, Origin]:
        """Every plugin that worker processes register too (all but the process-local ones),
        in registration order, mapped to how a worker loads it again: its recorded origin, or
        the object itself (to be pickled) when it was registered with plain ``register()``."""
        origins: dict[str, Origin] = {}
        for name, plugin in self.list_name_plugin():
            if name in self._process_local or plugin is None:
                continue
            origins[name] = self._origins.get(name) or ObjectOrigin(plugin)
        return origins

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
                        class_name=class_name(impl.plugin),
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
        return f"hook {hook_name} of {class_name(plugin)} (from {self.source_of(plugin_name)})"

    def call_naming_failure(self, hook_name: str, **kwargs: Any) -> None:
        """Call the hook ``hook_name`` as pluggy does (the first failure stops the others),
        turning a failure into an error that names the implementation that raised: for the
        hooks that fire before the pipeline starts, whose failure stops the run.

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

    def call_each_logging_failures(self, hook_name: str, **kwargs: Any) -> None:
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
        for impl in self.implementations_one_by_one(hook_name):
            try:
                call_implementation(impl, kwargs)
            except KeyboardInterrupt as interrupt:
                if interrupted is not None:
                    raise
                interrupted = interrupt
            except Exception as error:
                logger.error(
                    "The %s hook of %s (from %s) failed, and the other %s hooks still ran: %s: %s",
                    hook_name,
                    class_name(impl.plugin),
                    self.source_of(impl.plugin_name),
                    hook_name,
                    type(error).__name__,
                    error,
                    exc_info=error,
                )
        if interrupted is not None:
            raise interrupted

    def implementations_one_by_one(self, hook_name: str) -> list[pluggy.HookImpl]:
        """The implementations of ``hook_name`` but wrappers, in firing order (pluggy calls its
        list back to front), for the hooks hookline calls one implementation at a time (with
        :func:`call_implementation`)."""
        impls = getattr(self.hook, hook_name).get_hookimpls()
        return [impl for impl in reversed(impls) if not (impl.hookwrapper or impl.wrapper)]

    def unused_name(self, base: str) -> str:
        """Return ``base``, or ``base#2``, ``base#3``... : the first no plugin is registered
        under."""
        name, counter = base, 1
        while self.has_plugin(name):
            counter += 1
            name = f"{base}#{counter}"
        return name

    def _validate(self, plugin: object, source: str) -> None:
        """Check hook and argument names before pluggy sees them, to say what is valid."""
        known = _spec_arguments()
        for attr in dir(plugin):
            opts = self.parse_hookimpl_opts(plugin, attr)
            if opts is None:
                continue
            where = f"{class_name(plugin)}.{attr} (from {source})"
            if attr not in known:
                raise HookError(
                    f"{where} is marked @hook_impl but there is no hook named '{attr}'."
                    f"{did_you_mean(attr, known)} Valid hooks: {', '.join(known)}."
                )
            # The arguments pluggy will pass, as it reads them off the function.
            argnames = pluggy.HookImpl(plugin, "", getattr(plugin, attr), opts).argnames
            unknown = [a for a in argnames if a not in known[attr]]
            if unknown:
                raise HookError(
                    f"{where} takes argument(s) {', '.join(map(repr, unknown))} that hook "
                    f"'{attr}' does not pass.{did_you_mean(unknown[0], known[attr])} "
                    f"Valid arguments: {', '.join(known[attr])}."
                )


def spec_names() -> list[str]:
    """Return every hook name, in the order the hooks fire during a run."""
    return list(spec_arguments())


def spec_arguments() -> dict[str, tuple[str, ...]]:
    """Return every hook name, in the order the hooks fire, mapped to the names of the
    arguments it passes."""
    return dict(_spec_arguments())


@functools.cache
def _spec_arguments() -> dict[str, tuple[str, ...]]:
    specs_only = pluggy.PluginManager(HOOK_NAMESPACE)
    specs_only.add_hookspecs(specs)
    arguments: dict[str, tuple[str, ...]] = {}
    # The specs module's own order (pluggy's relay sorts them by name).
    for name in vars(specs):
        spec = getattr(specs_only.hook, name, None)
        if isinstance(spec, pluggy.HookCaller) and spec.spec is not None:
            arguments[name] = tuple(spec.spec.argnames)
    return arguments


def call_implementation(impl: pluggy.HookImpl, kwargs: Mapping[str, Any]) -> Any:
    """Call one implementation with the arguments it asks for, as pluggy would."""
    return impl.function(*(kwargs[arg] for arg in impl.argnames))


def class_name(plugin: object) -> str:
    """The class name of a hook object, or the module name of a module of hooks."""
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

    A hook object that implements no hook is registered with a warning naming it (see
    :mod:`hookline.hooks.hookless`).

    Raises:
        HookError: If a hook object is invalid (see :meth:`HookManager.register_hooks`).
    """
    manager = HookManager()
    manager.add_sys_path(*sys_path)
    hook_names = spec_names()
    for index, hooks in enumerate(settings_hooks):
        origin = None if settings_module is None else SettingsOrigin(settings_module, index)
        manager.register_hooks(hooks, source=SETTINGS_SOURCE, origin=origin)
        where = f"{class_name(hooks)} (item {index + 1} of HOOKS in settings.py)"
        warn_if_hookless(hooks, where, hook_names)
    if load_entry_points:
        for plugin in installed_plugins(disabled_distributions(disabled_plugins)):
            manager.register_hooks(
                plugin.hooks,
                source=plugin.source,
                name=manager.unused_name(plugin.name),
                origin=plugin.origin,
            )
            entry_point = f"{plugin.origin.name} = {plugin.origin.value}"
            where = f"{class_name(plugin.hooks)} (entry point '{entry_point}' of {plugin.source})"
            warn_if_hookless(plugin.hooks, where, hook_names)
    return manager
