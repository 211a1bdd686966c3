"""Measurements: how one plugin's figures reach every other plugin and the run summary.

A plugin calls :func:`publish_measurement`; hookline fires the ``on_measurement`` hook of every
registered implementation (StatsD sends a gauge, MLflow logs a metric, the run summary
collects it). Plugins therefore never import each other::

    from hookline import Measurement, publish_measurement

    publish_measurement(
        Measurement("memory.peak", 12.5, "MiB", dataset="companies", source="hookline-memory")
    )

Outside a run, publishing does nothing. A run in progress is the one the current process (or,
in a worker, the node being run) belongs to; hookline runs one pipeline per process at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: The :attr:`Measurement.source` of the figures the core takes itself (saved datasets' sizes,
#: regressions), so that a sink that takes the same figure its own way can skip the core's.
CORE_SOURCE = "hookline"


@dataclass(frozen=True)
class Measurement:
    """One figure taken during a run.

    Attributes:
        name: Dotted name of what was measured, e.g. ``"memory.peak"`` or ``"validation.failed"``.
        value: The figure.
        unit: Its unit, e.g. ``"MiB"``, ``"s"``, ``"count"``.
        node: Name of the node it belongs to, if any.
        dataset: Name of the dataset it belongs to, if any.
        source: Who measured it, usually the plugin's distribution name.
        tags: Extra labels a sink may attach (keep them free of secrets).
    """

    name: str
    value: float
    unit: str = ""
    node: str | None = None
    dataset: str | None = None
    source: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    def subject(self) -> str:
        """Return what the figure is about: the dataset, else the node, else ``"run"``."""
        return self.dataset or self.node or "run"


Sink = Callable[..., Any]

# The ``on_measurement`` hook caller of the run in progress. One run per process at a time is
# hookline's model; a stack (not a single slot) keeps nested use, such as a runner used inside
# a session, correct.
_sinks: list[Sink] = []
_sinks_lock = threading.Lock()


@contextmanager
def publishing_to(sink: Sink) -> Iterator[None]:
    """Route :func:`publish_measurement` calls to ``sink`` for the duration of the block.

    Args:
        sink: A callable taking ``measurement=...``, normally ``hook_manager.hook.on_measurement``.
    """
    with _sinks_lock:
        _sinks.append(sink)
    try:
        yield
    finally:
        with _sinks_lock:
            _sinks.remove(sink)


def publish_measurement(measurement: Measurement) -> None:
    """Send ``measurement`` to every ``on_measurement`` implementation of the run in progress.

    Args:
        measurement: The figure to publish. Does nothing when no run is in progress.
    """
    if _sinks:
        _sinks[-1](measurement=measurement)
