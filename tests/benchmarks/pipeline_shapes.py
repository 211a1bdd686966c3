"""The pipelines the benchmarks run, built with either tool's pipeline API.

Both tools build the same shapes from the same code; only the ``node``, ``pipeline`` and
``Pipeline`` they pass in differ (what each shape's run returns is in checks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from checks import NAMESPACE_BLOCK


def identity(x: Any) -> Any:
    """The node function: what goes in comes out."""
    return x


def build_pipeline(
    shape: str,
    size: int,
    *,
    node: Callable[..., Any],
    pipeline: Callable[..., Any],
    pipeline_class: Callable[..., Any],
) -> Any:
    """A ``linear`` chain, a ``wide`` fan-out or a chain of ``namespaced`` modular pipelines of
    ``size`` identity nodes, made with the tool's ``node``, ``pipeline`` and ``Pipeline`` (as
    ``pipeline_class``)."""
    if shape == "namespaced":
        block = pipeline_class(
            [node(identity, f"d{i}", f"d{i + 1}", name=f"n{i}") for i in range(NAMESPACE_BLOCK)]
        )
        return pipeline_class(
            [
                pipeline(
                    block,
                    namespace=f"m{k}",
                    inputs={"d0": f"c{k}"},
                    outputs={f"d{NAMESPACE_BLOCK}": f"c{k + 1}"},
                )
                for k in range(size // NAMESPACE_BLOCK)
            ]
        )
    if shape == "linear":
        nodes = [node(identity, f"d{i}", f"d{i + 1}", name=f"n{i}") for i in range(size)]
    else:
        nodes = [node(identity, "d0", f"w{i}", name=f"n{i}") for i in range(size)]
    return pipeline_class(nodes)
