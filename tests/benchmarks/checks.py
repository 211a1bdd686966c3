"""What counts as "the same result": a digest of a run's outputs that both tools must match.

A fast wrong answer must never count, so every measurement carries the digest of what the run
produced, and the harness compares it with the digest of what the run should have produced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

#: The value fed into every pipeline. An int: Kedro's MemoryDataset deep-copies plain objects
#: on every load and save, and an int's deep copy is free, so copying never dominates.
SEED = 20_261_122

#: Nodes in each modular pipeline of the ``namespaced`` shape.
NAMESPACE_BLOCK = 10


def first_input(shape: str) -> str:
    """The dataset holding :data:`SEED` that the ``shape`` pipeline reads first."""
    return "c0" if shape == "namespaced" else "d0"


def digest(outputs: Mapping[str, object]) -> str:
    """Return ``"<count> outputs <hash>"`` for ``outputs`` (dataset name -> value).

    Values are compared through their ``repr``, so two tools agree when they produce the same
    names holding equal plain values.
    """
    canonical = json.dumps(sorted((name, repr(value)) for name, value in outputs.items()))
    return f"{len(outputs)} outputs {hashlib.sha256(canonical.encode()).hexdigest()[:12]}"


def expected_outputs(shape: str, size: int) -> dict[str, object]:
    """The outputs a correct run of the ``shape`` pipeline of ``size`` identity nodes returns.

    Linear: one chain ``d0 -> d1 -> ... -> d<size>``, whose only free output is the last one.
    Wide: ``size`` nodes each reading ``d0`` and writing ``w<i>``, all free outputs.
    Namespaced: a linear chain of :data:`NAMESPACE_BLOCK` nodes reused as ``size /
    NAMESPACE_BLOCK`` modular pipelines ``m<k>``, the k-th reading ``c<k>`` and writing
    ``c<k+1>``; the only free output is the last one.
    """
    if shape == "linear":
        return {f"d{size}": SEED}
    if shape == "namespaced":
        return {f"c{size // NAMESPACE_BLOCK}": SEED}
    if shape == "wide":
        return {f"w{i}": SEED for i in range(size)}
    raise ValueError(f"unknown pipeline shape {shape!r}")
