"""How runs are matched: a hash of the pipeline's structure (the guard compares runs of one
structure only) and one of the parameters."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from hookline.pipeline import Pipeline


def structure_hash(pipeline: Pipeline) -> str:
    """A short hash of ``pipeline``'s graph: node names with their inputs and outputs, in the
    pipeline's (deterministic) run order."""
    text = "\n".join(
        f"{node.name}|{','.join(node.inputs)}|{','.join(node.outputs)}" for node in pipeline.nodes
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def params_hash(params: dict[str, Any]) -> str:
    """A short hash of the run's parameters, stable across key order."""
    text = json.dumps(params, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
