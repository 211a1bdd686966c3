"""Runners: where and in which order nodes run. Every runner fires the same hooks."""

from __future__ import annotations

from hookline.runner.base import AbstractRunner
from hookline.runner.progress import NodeRecord, ProgressReporter
from hookline.runner.sequential import SequentialRunner
from hookline.runner.thread import ThreadRunner

__all__ = [
    "AbstractRunner",
    "NodeRecord",
    "ProgressReporter",
    "SequentialRunner",
    "ThreadRunner",
]
