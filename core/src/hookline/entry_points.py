"""The names of hookline's entry-point groups, and the one lookup of their members.

Kept apart from :mod:`hookline.hooks.markers` (which imports pluggy) so that a core command
such as ``hookline runs`` starts without pluggy or importlib.metadata: together they were
about a third of its start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.metadata import EntryPoints

#: Entry-point group whose objects are hook instances, registered for every run.
HOOKS_ENTRY_POINT_GROUP = "hookline.hooks"

#: Entry-point group whose objects are click commands, added as ``hookline <name>``.
COMMANDS_ENTRY_POINT_GROUP = "hookline.commands"


def entry_points(group: str, name: str | None = None) -> EntryPoints:
    """The installed entry points of ``group`` (only those called ``name`` if given);
    importlib.metadata is imported only when this is called."""
    from importlib import metadata

    if name is None:
        return metadata.entry_points(group=group)
    return metadata.entry_points(group=group, name=name)
