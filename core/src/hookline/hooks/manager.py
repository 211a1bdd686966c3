"""The hook manager: which hook implementations a run uses, where each came from, and in
which order they fire.

Implementations come from two places: the ``HOOKS`` tuple of a project's ``settings.py`` and
the ``hookline.hooks`` entry-point group of installed distributions. Distributions can be
switched off with ``DISABLE_HOOKS_FOR_PLUGINS`` in settings or the environment variable
``HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS`` (comma-separated distribution names).
"""

from __future__ import annotations

import inspect
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from types import TracebackType
from typing import Any

import pluggy

from hookline.errors import HookError, did_you_mean
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

    def register_hooks(self, plugin: object, *, source: str, name: str | None = None) -> str:
        """Validate and register ``plugin`` (an instance or a module with ``@hook_impl``
        functions), remembering ``source`` for listings and error messages.

        Args:
            plugin: The hook implementation object.
            source: ``settings`` or ``<distribution>==<version>``.
            name: The registration name; by default derived from the source and class.

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
        for caller in self.get_hookcallers(plugin) or []:
            for hook_impl in caller.get_hookimpls():
                code = getattr(hook_impl.function, "__code__", None)
                if hook_impl.plugin is plugin and code is not None:
                    self._impl_codes[code] = (caller.name, plugin_name)
        return plugin_name

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
            return None
        hook_name, plugin_name = found
        plugin = self.get_plugin(plugin_name)
        return f"hook {hook_name} of {_class_name(plugin)} (from {self.source_of(plugin_name)})"

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

    Raises:
        HookError: If a hook object is invalid (see :meth:`HookManager.register_hooks`).
    """
    manager = HookManager()
    for hooks in settings_hooks:
        manager.register_hooks(hooks, source=SETTINGS_SOURCE)
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
        manager.register_hooks(hooks, source=source, name=name)
