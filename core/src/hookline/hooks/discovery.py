"""Finding the installed plugins: the ``hookline.hooks`` entry points of every distribution
that is not switched off.

Distributions can be switched off with ``DISABLE_HOOKS_FOR_PLUGINS`` in settings or the
environment variable ``HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS`` (comma-separated distribution
names).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata

from hookline.entry_points import HOOKS_ENTRY_POINT_GROUP
from hookline.hooks.origins import EntryPointOrigin

logger = logging.getLogger(__name__)

#: Environment variable holding distribution names whose hooks are not registered.
DISABLE_ENV_VAR = "HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS"


def normalize_distribution_name(name: str) -> str:
    """Return ``name`` normalised as PEP 503 does: ``Hookline_MLflow`` -> ``hookline-mlflow``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def disabled_distributions(configured: Iterable[str] = ()) -> set[str]:
    """The normalised names of the distributions whose hooks are skipped: ``configured``
    (``DISABLE_HOOKS_FOR_PLUGINS`` of the settings) and those of the environment variable."""
    names = [*configured, *os.environ.get(DISABLE_ENV_VAR, "").split(",")]
    return {normalize_distribution_name(n) for n in names if n.strip()}


@dataclass(frozen=True)
class InstalledPlugin:
    """The hook object of one ``hookline.hooks`` entry point, loaded.

    Attributes:
        name: The normalised name of its distribution, the plugin's registration name.
        source: ``<distribution>==<version>``, as listings show it.
        hooks: The object the entry point names.
        origin: How a worker process loads it again.
    """

    name: str
    source: str
    hooks: object
    origin: EntryPointOrigin


def installed_plugins(disabled: set[str]) -> Iterator[InstalledPlugin]:
    """Load every ``hookline.hooks`` entry point whose distribution is not in ``disabled``.

    A plugin that fails to import is reported with one warning naming its distribution and
    the error, and left out: the run goes on without it.
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
        origin = EntryPointOrigin(entry_point.name, entry_point.value, entry_point.group)
        yield InstalledPlugin(normalize_distribution_name(dist_name), source, hooks, origin)
