"""The warning for a hook object that implements no hook: registered, it would do nothing in a
run, silently.

It usually means its methods are marked with a ``hook_impl`` that is not hookline's: Kedro's
(``from kedro.framework.hooks import hook_impl`` left in place), or a fallback for when an
import fails that returns the function unmarked.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from hookline.hooks.markers import HOOK_NAMESPACE

logger = logging.getLogger(__name__)

#: The attribute pluggy sets on a function its ``HookimplMarker("<project>")`` marks.
_MARK_SUFFIX = "_impl"


def warn_if_hookless(plugin: object, where: str, hook_names: Iterable[str]) -> None:
    """Warn, naming ``where`` the hook object came from, when ``plugin`` has no method marked
    with hookline's ``hook_impl``; say why that usually happens and what to change.

    Args:
        plugin: The hook object, just registered.
        where: Its class and origin, e.g. ``MyHooks (settings HOOKS item 1)``.
        hook_names: Every hook hookline has.
    """
    named = [name for name in hook_names if callable(getattr(plugin, name, None))]
    if any(_marks(getattr(plugin, name)).get(HOOK_NAMESPACE) for name in named):
        return
    logger.warning(
        "%s implements no hook, so it does nothing in a run: %s",
        where,
        _why(plugin, named),
    )


def _why(plugin: object, named: list[str]) -> str:
    """Why none of the methods ``named`` after hooks is hookline's hook, and the fix."""
    fix = "mark them with hookline's: from hookline import hook_impl."
    if not named:
        return (
            "none of its methods is named after a hook. A method is a hook when it has the "
            "name of one (after_context_created, before_node_run, after_pipeline_run, ...) and "
            "hookline's hook_impl marks it: from hookline import hook_impl."
        )
    others = sorted({p for name in named for p in _marks(getattr(plugin, name))})
    methods = ", ".join(named)
    if others:
        markers = ", ".join(f"'{project}'" for project in others)
        return (
            f"its methods {methods} are marked with the hook_impl of {markers} (e.g. "
            f"`from kedro.framework.hooks import hook_impl`), not hookline's; {fix}"
        )
    return (
        f"its methods {methods} are named after hooks but not marked as hooks. This usually "
        "happens when their hook_impl is not hookline's, e.g. a fallback used when an import "
        f"fails that returns the function unmarked; {fix}"
    )


def _marks(method: object) -> dict[str, object]:
    """The pluggy projects whose ``hook_impl`` marked ``method``, with their options."""
    function = getattr(method, "__func__", method)
    attributes = getattr(function, "__dict__", {})
    return {
        name[: -len(_MARK_SUFFIX)]: value
        for name, value in attributes.items()
        if name.endswith(_MARK_SUFFIX) and isinstance(value, dict)
    }
