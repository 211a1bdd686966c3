"""One no-op hook class implementing every node and dataset hook, for either tool.

The class body is the same for both tools, only the ``hook_impl`` marker differs: that is the
promise of hookline's hooks (a Kedro hook class works after changing its import line), and it
keeps the comparison fair, since both tools call exactly the same functions with the same
argument names (Kedro's; hookline passes ``session_id`` too, but pluggy hands an
implementation only the arguments it names).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

HookMarker = Callable[[Callable[..., None]], Callable[..., None]]

#: The hooks the runner calls per node or per dataset: the ones the class implements.
NODE_AND_DATASET_HOOKS = (
    "before_dataset_loaded",
    "after_dataset_loaded",
    "before_node_run",
    "after_node_run",
    "on_node_error",
    "before_dataset_saved",
    "after_dataset_saved",
)


def make_noop_hooks(hook_impl: HookMarker) -> object:
    """Return an instance of a class whose every node and dataset hook does nothing.

    Args:
        hook_impl: The tool's marker: ``hookline.hook_impl`` or
            ``kedro.framework.hooks.hook_impl``.
    """

    class NoopHooks:
        """Every node and dataset hook, each taking all of Kedro's arguments, doing nothing."""

        @hook_impl
        def before_dataset_loaded(self, dataset_name: str, node: Any) -> None:
            """Do nothing."""

        @hook_impl
        def after_dataset_loaded(self, dataset_name: str, data: Any, node: Any) -> None:
            """Do nothing."""

        @hook_impl
        def before_node_run(
            self, node: Any, catalog: Any, inputs: dict[str, Any], is_async: bool, run_id: str
        ) -> None:
            """Do nothing (and so replace no input)."""

        @hook_impl
        def after_node_run(
            self,
            node: Any,
            catalog: Any,
            inputs: dict[str, Any],
            outputs: dict[str, Any],
            is_async: bool,
            run_id: str,
        ) -> None:
            """Do nothing."""

        @hook_impl
        def on_node_error(
            self,
            error: Exception,
            node: Any,
            catalog: Any,
            inputs: dict[str, Any],
            is_async: bool,
            run_id: str,
        ) -> None:
            """Do nothing."""

        @hook_impl
        def before_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
            """Do nothing."""

        @hook_impl
        def after_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
            """Do nothing."""

    return NoopHooks()
