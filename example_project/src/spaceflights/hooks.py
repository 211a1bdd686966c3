"""The project's own hook, registered in settings.py next to the plugins found on their own."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from hookline import Node, hook_impl


class ReadOnlyParametersHooks:
    """Hands nodes their ``params:`` inputs as read-only mappings.

    Parameters are shared by every node of a run; a node that changed one in place would change
    it for the nodes after it. Replacing the input (as the seed's ``before_node_run`` example
    does) protects the run without touching the catalog or any node.
    """

    @hook_impl
    def before_node_run(self, node: Node, inputs: dict[str, Any]) -> dict[str, Any] | None:
        """Return read-only views of the node's mapping parameters, or None if it has none."""
        frozen = {
            name: MappingProxyType(dict(value))
            for name, value in inputs.items()
            if name.startswith("params:") and isinstance(value, Mapping)
        }
        return frozen or None
