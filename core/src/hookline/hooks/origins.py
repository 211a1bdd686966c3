"""Where a registered plugin came from, so that a worker process can load it again.

The hook manager records one origin per plugin; a worker's
:class:`~hookline.hooks.worker_recipe.HookRecipe` calls each origin's ``load()`` to get its
own copy of the plugin.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib import metadata

from hookline.entry_points import HOOKS_ENTRY_POINT_GROUP
from hookline.errors import HookError


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


#: Any of the ways a plugin can be loaded again.
Origin = EntryPointOrigin | SettingsOrigin | ObjectOrigin
