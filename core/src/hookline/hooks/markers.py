"""The pluggy markers of hookline and the names of its entry-point groups.

A hook class written for Kedro only needs its import line changed:
``from kedro.framework.hooks import hook_impl`` becomes ``from hookline import hook_impl``.
"""

from __future__ import annotations

import pluggy

#: The pluggy project name: every spec and implementation is registered under it.
HOOK_NAMESPACE = "hookline"

#: Marks a function in :mod:`hookline.hooks.specs` as a hook specification.
hook_spec = pluggy.HookspecMarker(HOOK_NAMESPACE)

#: Marks a method of a hook class as the implementation of the spec with the same name.
hook_impl = pluggy.HookimplMarker(HOOK_NAMESPACE)

#: Entry-point group whose objects are hook instances, registered for every run.
HOOKS_ENTRY_POINT_GROUP = "hookline.hooks"

#: Entry-point group whose objects are click commands, added as ``hookline <name>``.
COMMANDS_ENTRY_POINT_GROUP = "hookline.commands"
