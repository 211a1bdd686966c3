"""Turning a runner name from the command line into a runner."""

from __future__ import annotations

import importlib
from typing import Any

from hookline.errors import ConfigError, did_you_mean
from hookline.runner.base import AbstractRunner

#: Runner names accepted by ``--runner``, mapped to where the class lives. Imported only when
#: chosen, so an unused runner's dependencies (dask) are never imported.
RUNNERS = {
    "SequentialRunner": "hookline.runner.sequential:SequentialRunner",
    "ThreadRunner": "hookline.runner.thread:ThreadRunner",
    "ParallelRunner": "hookline.runner.parallel:ParallelRunner",
    "DaskRunner": "hookline.runner.dask:DaskRunner",
}

#: Runners that take ``max_workers``.
POOL_RUNNERS = {"ThreadRunner", "ParallelRunner", "DaskRunner"}


def create_runner(name: str, *, max_workers: int | None = None, **params: Any) -> AbstractRunner:
    """Create the runner called ``name`` (a name from :data:`RUNNERS` or ``module:Class``).

    Args:
        name: The runner's name, or ``module:Class`` for a runner of your own.
        max_workers: ``--max-workers``, for the runners in :data:`POOL_RUNNERS`.
        params: Keyword arguments of the runner's class (``--runner-param key=value``), e.g.
            ``address`` for ``DaskRunner``.

    Raises:
        ConfigError: If the name is unknown or the runner rejects its parameters.
    """
    target = RUNNERS.get(name, name)
    if ":" not in target:
        raise ConfigError(
            f"Unknown runner '{name}'.{did_you_mean(name, RUNNERS)} "
            f"Known runners: {', '.join(RUNNERS)}, or a custom one as module:Class."
        )
    module_name, _, class_name = target.partition(":")
    try:
        runner_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as error:
        raise ConfigError(f"Runner '{name}' could not be imported: {error}") from error
    if max_workers is not None:
        if name not in POOL_RUNNERS:
            raise ConfigError(f"--max-workers applies to {', '.join(sorted(POOL_RUNNERS))} only.")
        params["max_workers"] = max_workers
    try:
        runner = runner_class(**params)
    except TypeError as error:
        raise ConfigError(f"Runner '{name}' does not accept {sorted(params)}: {error}") from error
    if not isinstance(runner, AbstractRunner):
        raise ConfigError(f"'{name}' is not a hookline runner (an AbstractRunner subclass).")
    return runner
