"""Appends what a hook saw to a JSON-lines file: one line per observation, from any thread or
process (one short write to a file opened for appending does not interleave)."""

import json
from pathlib import Path
from typing import Any


def append_record(path: str, hook: str, **observed: Any) -> None:
    """Append ``observed`` under the name ``hook`` to the file at ``path``."""
    line = json.dumps({"hook": hook, **observed}, sort_keys=True, default=str)
    with Path(path).open("a", encoding="utf-8") as log:
        log.write(line + "\n")
