"""When a figure counts as a regression: the defaults, and ``conf/<env>/regressions.yml``.

::

    on_regression: warn        # or fail: the run exits with code 3 when one is found
    baseline_runs: 5           # successful runs of the same pipeline structure to compare with
    duration: {factor: 1.5, seconds: 0.5}   # slower by both: more than 1.5x and 0.5 s
    memory: {factor: 1.5, mib: 50}          # a peak higher by both: 1.5x and 50 MiB
    rows: {drop: 0.2}                       # a dataset's rows 20% below
    validation: true                        # a validation failing where its baseline passed
    nodes:                                  # per node: duration, memory
      train_model: {duration: {factor: 3, seconds: 10}}
    datasets:                               # per dataset: rows, memory, validation
      companies: {rows: {drop: 0.5}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from hookline.plugin_config import (
    boolean,
    check_keys,
    choice,
    mapping,
    number,
    read_section,
    whole,
)

#: The configuration's name: ``regressions.yml`` in each configuration layer.
CONFIG_KEY = "regressions"

_TOP_KEYS = ("on_regression", "baseline_runs", "duration", "memory", "rows", "validation")
_SUBJECT_KEYS = ("duration", "memory", "rows", "validation")


@dataclass(frozen=True)
class Limits:
    """The thresholds of one subject (the run's defaults, or one node's or dataset's).

    Attributes:
        duration_factor: A node is slower when more than this times its baseline...
        duration_seconds: ...and more than this many seconds above it.
        memory_factor: A peak is higher when more than this times its baseline...
        memory_mib: ...and more than this many MiB above it.
        rows_drop: A dataset has fewer rows when this fraction or more below its baseline.
        validation: Whether a validation failing where its baseline passed counts.
    """

    duration_factor: float = 1.5
    duration_seconds: float = 0.5
    memory_factor: float = 1.5
    memory_mib: float = 50.0
    rows_drop: float = 0.2
    validation: bool = True


@dataclass(frozen=True)
class Thresholds:
    """Every threshold of a project's runs.

    Attributes:
        fail: Whether a regression fails the run (``on_regression: fail``).
        baseline_runs: How many earlier successful runs make the baseline.
        defaults: The thresholds of every node and dataset not named below.
        nodes: Node name -> its thresholds.
        datasets: Dataset name -> its thresholds.
    """

    fail: bool = False
    baseline_runs: int = 5
    defaults: Limits = Limits()
    nodes: dict[str, Limits] = field(default_factory=dict)
    datasets: dict[str, Limits] = field(default_factory=dict)

    def of(self, node: str | None, dataset: str | None) -> Limits:
        """The thresholds of a dataset (when named), else of a node."""
        if dataset is not None and dataset in self.datasets:
            return self.datasets[dataset]
        if node is not None and node in self.nodes:
            return self.nodes[node]
        return self.defaults


def load_thresholds(config_loader: Any) -> Thresholds:
    """Read ``regressions.yml`` (every layer merged); the defaults when no file has it.

    Raises:
        ConfigError: Naming the file and key of an unknown key or a bad value.
    """
    section = read_section(config_loader, CONFIG_KEY)
    if section is None:
        return Thresholds()
    raw, where = section
    check_keys(raw, (*_TOP_KEYS, "nodes", "datasets"), where, "the regression thresholds")
    defaults = _limits(raw, Limits(), where, "")
    return Thresholds(
        fail=choice(raw, "on_regression", where, ("warn", "fail")) == "fail",
        baseline_runs=whole(raw, "baseline_runs", where, 5, 1, 1000),
        defaults=defaults,
        nodes=_subjects(raw, "nodes", defaults, where),
        datasets=_subjects(raw, "datasets", defaults, where),
    )


def _subjects(raw: Mapping[str, Any], key: str, defaults: Limits, where: str) -> dict[str, Limits]:
    subjects = {}
    for name, value in mapping(raw.get(key), key, where).items():
        path = f"{key}.{name}"
        section = mapping(value, path, where)
        check_keys(section, _SUBJECT_KEYS, where, "the regression thresholds", f"{path}.")
        subjects[str(name)] = _limits(section, defaults, where, f"{path}.")
    return subjects


def _limits(raw: Mapping[str, Any], base: Limits, where: str, path: str) -> Limits:
    duration = _section(raw, "duration", ("factor", "seconds"), where, path)
    memory = _section(raw, "memory", ("factor", "mib"), where, path)
    rows = _section(raw, "rows", ("drop",), where, path)
    return replace(
        base,
        duration_factor=number(duration, "factor", where, base.duration_factor,
                               at_least=1, path=f"{path}duration."),
        duration_seconds=number(duration, "seconds", where, base.duration_seconds,
                                at_least=0, unit="seconds", path=f"{path}duration."),
        memory_factor=number(memory, "factor", where, base.memory_factor,
                             at_least=1, path=f"{path}memory."),
        memory_mib=number(memory, "mib", where, base.memory_mib,
                          at_least=0, unit="MiB", path=f"{path}memory."),
        rows_drop=number(rows, "drop", where, base.rows_drop,
                         above=0, at_most=1, path=f"{path}rows."),
        validation=boolean(raw, "validation", where, base.validation, path=path),
    )  # fmt: skip


def _section(
    raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], where: str, path: str
) -> Mapping[str, Any]:
    section = mapping(raw.get(key), f"{path}{key}", where)
    check_keys(section, allowed, where, "the regression thresholds", f"{path}{key}.")
    return section
