"""Project settings: the project's own hooks. Installed plugins need no line here."""

from spaceflights.hooks import ReadOnlyParametersHooks

HOOKS = (ReadOnlyParametersHooks(),)
