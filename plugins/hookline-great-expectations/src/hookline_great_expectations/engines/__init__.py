"""The engines: one interface over GX Core 1.x and over great_expectations 0.15.x.

The installed Great Expectations decides which one runs. In the main process,
:func:`prepare_engine` opens the context once, checks every configured suite and checkpoint,
and creates what validations need (data sources, assets, batch and validation definitions on
1.x; the V2 datasource and validation operator on 0.15.x). Its :meth:`Engine.plan` is what the
worker processes receive, and :func:`open_engine` there opens the same context and only looks
things up: nothing is written to the context's configuration outside the main process.

Importing this package imports no Great Expectations; each engine module does.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from hookline.plugin import ConfigError, did_you_mean
from hookline_great_expectations.config import DatasetRule, GreatExpectationsConfig
from hookline_great_expectations.results import Findings

__all__ = ["Engine", "open_engine", "prepare_engine"]

#: The file every Great Expectations file context has at its root.
CONTEXT_FILE = "great_expectations.yml"


class Engine(Protocol):
    """What the hooks need from a Great Expectations release."""

    #: The installed great_expectations version.
    version: str

    def validate(self, rule: DatasetRule, data: Any, run_name: str) -> Findings:
        """Validate ``data`` (a pandas DataFrame) as ``rule`` says, storing the results in the
        context under the run name ``run_name``."""

    def build_data_docs(self) -> list[str]:
        """Build the context's Data Docs; return the URL of each site's index page."""

    def plan(self) -> dict[str, Any]:
        """What a worker process needs to open this engine again (picklable)."""


def installed_version() -> str:
    """The version of the installed great_expectations (imports it: seconds)."""
    quiet_great_expectations()
    return str(importlib.import_module("great_expectations").__version__)


def quiet_great_expectations() -> None:
    """Keep Great Expectations' INFO lines out of a run's log.

    It logs hundreds of them when imported and when a context opens (which functions its docs
    skip, every data source it loads); its warnings still show. A project that sets the
    ``great_expectations`` logger's level itself keeps that level.
    """
    gx_logger = logging.getLogger("great_expectations")
    if gx_logger.level == logging.NOTSET:
        gx_logger.setLevel(logging.WARNING)


def _engine_module(version: str) -> Any:
    major = int(version.split(".", 1)[0])
    name = "gx1" if major >= 1 else "legacy"
    return importlib.import_module(f"hookline_great_expectations.engines.{name}")


def prepare_engine(config: GreatExpectationsConfig, root: Path) -> Engine:
    """Open the context at ``root`` once, check and prepare everything ``config`` needs.

    Raises:
        ConfigError: No context at ``root``, or suites or checkpoints that do not exist
            (naming what is missing and what exists), or a context whose objects cannot be
            used for in-memory data, or one Great Expectations cannot open or read (naming
            its damaged files).
    """
    check_root(config, root)
    module = _engine_module(installed_version())
    try:
        engine: Engine = module.prepare(config, root)
    except ConfigError:
        raise
    except Exception as error:
        # A damaged file of the context: Great Expectations' parser message often does not
        # say which file, and the run must stop here, before the first node, naming it.
        from hookline_great_expectations.engines.context_files import unreadable_context_error

        raise unreadable_context_error(config, root, error) from error
    return engine


def open_engine(config: GreatExpectationsConfig, root: Path, plan: Mapping[str, Any]) -> Engine:
    """Open, in a worker process, the engine :func:`prepare_engine` prepared in the main one."""
    module = _engine_module(installed_version())
    engine: Engine = module.open_prepared(config, root, plan)
    return engine


def check_root(config: GreatExpectationsConfig, root: Path) -> None:
    """Fail unless ``root`` holds a Great Expectations file context."""
    if (root / CONTEXT_FILE).is_file():
        return
    raise ConfigError(
        f"{config.source}: no Great Expectations context at {root} (no {CONTEXT_FILE} there), "
        f"but datasets are configured for validation. Create the context there (GX 1.x: "
        f'great_expectations.get_context(mode="file", project_root_dir=...)) or set '
        f"context_root_dir (or HOOKLINE_GX_CONTEXT_ROOT_DIR) to the folder that holds it."
    )


def missing_error(
    config: GreatExpectationsConfig,
    what: str,
    missing: Mapping[str, Iterable[str]],
    existing: Iterable[str],
    root: Path,
) -> ConfigError:
    """The start-up error for suites or checkpoints the context does not have.

    Args:
        config: The settings (for the file name).
        what: ``expectation suite`` or ``checkpoint``.
        missing: Each missing name -> the datasets configured with it.
        existing: The names the context has.
        root: The context's folder.
    """
    known = sorted(existing)
    parts = []
    for name, datasets in sorted(missing.items()):
        hint = did_you_mean(name, known)
        parts.append(f"'{name}' (for dataset {', '.join(sorted(datasets))}){hint}")
    return ConfigError(
        f"{config.source}: {what}(s) not found in the Great Expectations context at {root}: "
        f"{'; '.join(parts)}. {what.capitalize()}s in that context: "
        f"{', '.join(known) or 'none'}."
    )


def wanted(config: GreatExpectationsConfig, kind: str) -> dict[str, list[str]]:
    """Suite or checkpoint names (``kind``) the configuration uses -> their datasets."""
    names: dict[str, list[str]] = {}
    for rule in config.datasets:
        if rule.kind == kind:
            names.setdefault(rule.target, []).append(rule.dataset)
    return names
