"""The pipelines ``hookline run --pipeline NAME`` can run."""

from __future__ import annotations

from hookline import Pipeline
from spaceflights.pipelines.data_processing import pipeline as data_processing
from spaceflights.pipelines.data_science import pipeline as data_science
from spaceflights.pipelines.reporting import pipeline as reporting


def register_pipelines() -> dict[str, Pipeline]:
    """data_processing, data_science, reporting, and all three as __default__."""
    pipelines = {
        "data_processing": data_processing.create_pipeline(),
        "data_science": data_science.create_pipeline(),
        "reporting": reporting.create_pipeline(),
    }
    pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    return pipelines
