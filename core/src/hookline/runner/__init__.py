"""Runners: where and in which order nodes run. Every runner fires the same hooks."""

from __future__ import annotations

from hookline.runner.base import AbstractRunner
from hookline.runner.dask import DaskRunner
from hookline.runner.parallel import ParallelRunner
from hookline.runner.progress import NodeRecord, ProgressReporter
from hookline.runner.sequential import SequentialRunner
from hookline.runner.thread import ThreadRunner

__all__ = [
    "AbstractRunner",
    "DaskRunner",
    "NodeRecord",
    "ParallelRunner",
    "ProgressReporter",
    "SequentialRunner",
    "ThreadRunner",
]
