"""The hook implementations of hookline-great-expectations.

A run goes like this:

1. ``after_context_created``: read ``conf/<env>/great_expectations.yml`` (no file: nothing to
   validate, and Great Expectations is never imported).
2. ``before_pipeline_run`` (main process, before the first node): check that every configured
   dataset exists, open the context once, check every suite and checkpoint, and prepare what
   validations need (see :mod:`hookline_great_expectations.engines`). Any problem is a
   :class:`~hookline.plugin.ConfigError` naming what is missing and what exists.
3. ``before_node_run`` / ``after_node_run``: validate the configured inputs and outputs of the
   node, in the process and thread that runs it, and publish ``validation.expectations``,
   ``validation.failed`` (counts of expectations) and ``validation.seconds`` for each. A
   failure with policy ``fail`` raises
   :class:`~hookline_great_expectations.results.ValidationFailed` there: the node does not
   run, or its outputs are not saved. ``warn`` and ``fail_at_end`` log it and go on.
4. ``after_pipeline_run`` / ``on_pipeline_error`` (main process): log a summary, build Data Docs
   once and log their path, and (after a successful pipeline) raise ``ValidationFailed``
   listing every ``fail_at_end`` failure.

Worker processes (ParallelRunner, DaskRunner) get the settings, the context's folder and the
names prepared in the main process through ``export_worker_state``; each opens the context
once, at its first validation, and writes its outcomes as JSON lines under
``<context>/uncommitted/hookline/<run>/``, which the main process reads back at the end and
removes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hookline.plugin import (
    ConfigError,
    HooklineError,
    Measurement,
    did_you_mean,
    hook_impl,
    publish_measurement,
)
from hookline_great_expectations.config import DEFAULT, DatasetRule, GreatExpectationsConfig
from hookline_great_expectations.config import load_config as _load_config
from hookline_great_expectations.results import (
    NotADataFrameError,
    ValidationFailed,
    ValidationOutcome,
)

if TYPE_CHECKING:
    from hookline.plugin import DataCatalog, HooklineContext, Node, Pipeline
    from hookline_great_expectations.engines import Engine

__all__ = ["SOURCE", "GreatExpectationsHooks"]

logger = logging.getLogger("hookline_great_expectations")

#: The ``source`` of every measurement this plugin publishes.
SOURCE = "hookline-great-expectations"

#: Where worker processes write their outcomes, under the context's folder.
JOURNAL_DIR = ("uncommitted", "hookline")


class _Run:
    """The state of one run in one process: the engine, and what was validated.

    Args:
        run_name: The session id: the run name of every stored validation result.
        root: The context's folder.
        engine: The engine, in the main process (prepared before the first node).
        opener: Opens the engine, in a worker process (at its first validation).
        journal: The folder worker processes write their outcomes to, once there is one.
        writes_journal: Whether this process writes its outcomes there (workers do).
    """

    def __init__(
        self,
        run_name: str,
        root: Path,
        engine: Engine | None = None,
        opener: Callable[[], Engine] | None = None,
        journal: Path | None = None,
        writes_journal: bool = False,
    ) -> None:
        self.run_name = run_name
        self.root = root
        self._engine = engine
        self._opener = opener
        self.journal = journal
        self._journal_file = (
            journal / f"{os.getpid()}-{uuid.uuid4().hex}.jsonl"
            if journal is not None and writes_journal
            else None
        )
        self.outcomes: list[ValidationOutcome] = []
        self.skipped: set[str] = set()
        # Great Expectations' contexts and execution engines are not thread-safe: one
        # validation at a time per process (ThreadRunner, Dask's worker threads).
        self.lock = threading.Lock()

    @property
    def engine_if_open(self) -> Engine | None:
        """The engine, if this process has opened one."""
        return self._engine

    def engine(self) -> Engine:
        """The engine, opened now in a worker's first validation. Call with :attr:`lock` held."""
        if self._engine is None:
            assert self._opener is not None
            self._engine = self._opener()
        return self._engine

    def record(self, outcome: ValidationOutcome) -> None:
        """Keep ``outcome``; in a worker, also write it for the main process."""
        with self.lock:
            self.outcomes.append(outcome)
            if self._journal_file is not None:
                with self._journal_file.open("a", encoding="utf-8") as journal:
                    journal.write(json.dumps(outcome.to_dict()) + "\n")

    def collect(self) -> list[ValidationOutcome]:
        """Every outcome of the run: this process's and the workers', whose files are removed."""
        outcomes = list(self.outcomes)
        if self.journal is not None and self.journal.is_dir():
            for path in sorted(self.journal.glob("*.jsonl")):
                for line in path.read_text(encoding="utf-8").splitlines():
                    if line.strip():
                        outcomes.append(ValidationOutcome.from_dict(json.loads(line)))
            shutil.rmtree(self.journal, ignore_errors=True)
            with contextlib.suppress(OSError):  # only when no other run is using it
                self.journal.parent.rmdir()
        return outcomes


class GreatExpectationsHooks:
    """Validates node inputs and outputs with Great Expectations suites or checkpoints.

    Registered by the ``great_expectations`` entry point of the ``hookline.hooks`` group, so
    installing the distribution is enough. It reads ``conf/<env>/great_expectations.yml`` in
    ``after_context_created``; without one it validates nothing.

    Args:
        config: Settings to start with (tests, notebooks); a session's configuration file
            replaces them.
        project_path: The folder ``context_root_dir`` is relative to, until a session sets it.
    """

    def __init__(
        self, config: GreatExpectationsConfig | None = None, project_path: Path | None = None
    ) -> None:
        self._setup(config if config is not None else DEFAULT, project_path)

    def _setup(self, config: GreatExpectationsConfig, project_path: Path | None) -> None:
        self._config = config
        self._project_path = project_path
        self._run: _Run | None = None
        self._lock = threading.Lock()
        #: The outcomes of the last finished run in this process (all processes' outcomes,
        #: in the main process).
        self.last_outcomes: list[ValidationOutcome] = []
        #: The Data Docs index pages built at the end of the last run.
        self.last_data_docs: list[str] = []

    # -- configuration -----------------------------------------------------------------------

    @property
    def config(self) -> GreatExpectationsConfig:
        """The settings in use."""
        return self._config

    def configure(self, config: GreatExpectationsConfig, project_path: Path | None = None) -> None:
        """Use ``config`` from the next run on (``project_path``: where relative paths start)."""
        self._config = config
        if project_path is not None:
            self._project_path = project_path

    def __getstate__(self) -> dict[str, Any]:
        # The context, locks and the run stay in their process; the settings travel.
        path = str(self._project_path) if self._project_path is not None else None
        return {"config": self._config.to_dict(), "project_path": path}

    def __setstate__(self, state: dict[str, Any]) -> None:
        path = state.get("project_path")
        self._setup(
            GreatExpectationsConfig.from_dict(state["config"]),
            Path(path) if path is not None else None,
        )

    # -- hooks: main process -----------------------------------------------------------------

    @hook_impl
    def after_context_created(self, context: HooklineContext) -> None:
        """Read and validate ``great_expectations.yml``.

        Raises:
            ConfigError: Naming the file, for an unknown key (with the allowed keys) or a
                bad value.
        """
        self.configure(_load_config(context.config_loader), context.project_path)

    @hook_impl(tryfirst=True)
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        """Check the configured datasets, open the context once and prepare it, before any
        other plugin starts its run.

        Raises:
            ConfigError: A configured dataset the project does not have, a missing context,
                suite or checkpoint (each naming what is missing and what exists).
        """
        with self._lock:
            self._run = None
            if not self._config.datasets:
                return
            _check_datasets(self._config, pipeline, catalog, run_params)
            self._start(run_params)

    @hook_impl
    def export_worker_state(self, run_params: dict[str, Any]) -> dict[str, Any] | None:
        """Hand worker processes the settings, the context's folder, the names prepared in
        this process and the folder they write their outcomes to."""
        if not self._config.datasets:
            return None
        with self._lock:
            run = self._run or self._start(run_params)
            engine = run.engine_if_open
            assert engine is not None
            if run.journal is None:
                run.journal = run.root.joinpath(*JOURNAL_DIR, uuid.uuid4().hex)
                run.journal.mkdir(parents=True)
            return {
                "config": self._config.to_dict(),
                "root": str(run.root),
                "run_name": run.run_name,
                "plan": engine.plan(),
                "journal": str(run.journal),
            }

    @hook_impl
    def restore_worker_state(self, state: dict[str, Any] | None) -> None:
        """In a worker process: take the main process's settings and prepared names; the
        context is opened at this worker's first validation."""
        with self._lock:
            self._run = None
            if state is None:
                # The main process validates nothing in this run; a Dask worker's copy may
                # still hold the settings of an earlier run.
                self._config = DEFAULT
                return
            from hookline_great_expectations.engines import open_engine

            config = GreatExpectationsConfig.from_dict(state["config"])
            self._config = config
            root, plan = Path(state["root"]), state["plan"]
            self._run = _Run(
                state["run_name"],
                root,
                opener=lambda: open_engine(config, root, plan),
                journal=Path(state["journal"]),
                writes_journal=True,
            )

    @hook_impl(trylast=True)
    def after_pipeline_run(self) -> None:
        """Summarize, build Data Docs once, and fail the run if a ``fail_at_end`` dataset
        failed (after every other plugin's ``after_pipeline_run``).

        Raises:
            ValidationFailed: Listing every ``fail_at_end`` failure of the run.
        """
        self._finish(raise_failures=True)

    @hook_impl
    def on_pipeline_error(self) -> None:
        """Summarize and build Data Docs once, so the failed run's results can be read."""
        self._finish(raise_failures=False)

    # -- hooks: wherever the node runs -------------------------------------------------------

    @hook_impl
    def before_node_run(self, node: Node, inputs: dict[str, Any]) -> None:
        """Validate the node's configured inputs.

        Raises:
            ValidationFailed: An input with policy ``fail`` did not validate: the node does
                not run.
            NotADataFrameError: A configured input is not a DataFrame (``non_dataframe: error``).
        """
        rules = self._config.inputs
        if rules:
            for name, data in inputs.items():
                rule = rules.get(name)
                if rule is not None:
                    self._validate(rule, data, node.name, "input")

    @hook_impl
    def after_node_run(self, node: Node, outputs: dict[str, Any]) -> None:
        """Validate the node's configured outputs, before they are saved.

        Raises:
            ValidationFailed: An output with policy ``fail`` did not validate: the outputs are
                not saved.
            NotADataFrameError: A configured output is not a DataFrame
                (``non_dataframe: error``).
        """
        rules = self._config.outputs
        if rules:
            for name, data in outputs.items():
                rule = rules.get(name)
                if rule is not None:
                    self._validate(rule, data, node.name, "output")

    # -- internals ---------------------------------------------------------------------------

    def _start(self, run_params: dict[str, Any]) -> _Run:
        """Prepare the engine in this (the main) process. Call with ``_lock`` held."""
        from hookline_great_expectations.engines import prepare_engine

        project = run_params.get("project_path")
        root = self._config.resolve_root(Path(project) if project else self._project_path)
        engine = prepare_engine(self._config, root)
        run_name = str(run_params.get("session_id") or _new_run_name())
        self._run = _Run(run_name, root, engine=engine)
        logger.info(
            "Great Expectations %s: validating %d dataset(s) with the context at %s",
            engine.version,
            len(self._config.datasets),
            root,
        )
        return self._run

    def _current_run(self) -> _Run:
        run = self._run
        if run is not None:
            return run
        with self._lock:
            # Without a session (a runner called directly) nothing fired before_pipeline_run:
            # prepare now, once, in this process.
            return self._run or self._start({})

    def _validate(self, rule: DatasetRule, data: Any, node: str, role: str) -> None:
        run = self._current_run()
        if not _is_dataframe(data):
            self._not_a_dataframe(run, rule, data, node, role)
            return
        with run.lock:
            engine = run.engine()
            started = time.perf_counter()
            findings = engine.validate(rule, data, run.run_name)
            seconds = time.perf_counter() - started
        outcome = ValidationOutcome(
            dataset=rule.dataset,
            node=node,
            role=role,
            kind=rule.kind,
            target=rule.target,
            policy=rule.policy,
            evaluated=findings.evaluated,
            failures=findings.failures,
            success=findings.success,
            seconds=seconds,
        )
        run.record(outcome)
        _publish(outcome)
        if outcome.success:
            return
        if rule.policy == "fail":
            raise ValidationFailed([outcome])
        then = "the run goes on" if rule.policy == "warn" else "the run will fail at the end"
        logger.warning(
            "Great Expectations: %s\n(policy %s: %s)", outcome.describe(), rule.policy, then
        )

    def _not_a_dataframe(
        self, run: _Run, rule: DatasetRule, data: Any, node: str, role: str
    ) -> None:
        kind = f"{type(data).__module__}.{type(data).__qualname__}".removeprefix("builtins.")
        if self._config.non_dataframe == "skip":
            if rule.dataset not in run.skipped:
                run.skipped.add(rule.dataset)
                logger.warning(
                    "Great Expectations: dataset '%s' (%s of node '%s') is a %s, not a pandas "
                    "DataFrame: not validated (non_dataframe: skip)",
                    rule.dataset,
                    role,
                    node,
                    kind,
                )
            return
        raise NotADataFrameError(
            f"Dataset '{rule.dataset}' ({role} of node '{node}') is a {kind}, not a pandas "
            f"DataFrame, so Great Expectations cannot validate it against {rule.kind} "
            f"'{rule.target}'. Set 'non_dataframe: skip' in {self._config.source} to skip such "
            f"datasets, or remove datasets.{rule.dataset} from it."
        )

    def _finish(self, raise_failures: bool) -> None:
        with self._lock:
            run, self._run = self._run, None
        if run is None:
            return
        outcomes = run.collect()
        self.last_outcomes = outcomes
        self.last_data_docs = []
        if not outcomes:
            return
        failed = [outcome for outcome in outcomes if not outcome.success]
        logger.info(
            "Great Expectations: %d validation(s), %d failed%s",
            len(outcomes),
            len(failed),
            _by_policy(failed),
        )
        engine = run.engine_if_open
        if self._config.data_docs and engine is not None:
            self.last_data_docs = _build_data_docs(engine)
        at_end = [outcome for outcome in failed if outcome.policy == "fail_at_end"]
        if raise_failures and at_end:
            raise ValidationFailed(at_end, at_end=True)


def _build_data_docs(engine: Engine) -> list[str]:
    """Build Data Docs and log where they are; a failure to build them only warns."""
    try:
        urls = engine.build_data_docs()
    except Exception as error:
        logger.warning(
            "Great Expectations: building Data Docs failed: %s: %s", type(error).__name__, error
        )
        return []
    for url in urls:
        logger.info("Great Expectations Data Docs: %s", url)
    return urls


def _publish(outcome: ValidationOutcome) -> None:
    tags = {
        outcome.kind: outcome.target,
        "role": outcome.role,
        "status": "passed" if outcome.success else "failed",
    }
    for name, value, unit in (
        ("validation.expectations", float(outcome.evaluated), "count"),
        ("validation.failed", float(outcome.failed), "count"),
        ("validation.seconds", outcome.seconds, "s"),
    ):
        publish_measurement(
            Measurement(
                name,
                value,
                unit,
                node=outcome.node,
                dataset=outcome.dataset,
                source=SOURCE,
                tags=tags,
            )
        )


def _by_policy(failed: list[ValidationOutcome]) -> str:
    if not failed:
        return ""
    counts: dict[str, int] = {}
    for outcome in failed:
        counts[outcome.policy] = counts.get(outcome.policy, 0) + 1
    return " (" + ", ".join(f"{policy}: {count}" for policy, count in sorted(counts.items())) + ")"


def _is_dataframe(data: Any) -> bool:
    # A module check first: pandas is imported only for data that may be a DataFrame.
    if not type(data).__module__.startswith("pandas"):
        return False
    import pandas as pd

    return isinstance(data, pd.DataFrame)


def _new_run_name() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H.%M.%S.") + f"{now.microsecond // 1000:03d}Z"


def _check_datasets(
    config: GreatExpectationsConfig,
    pipeline: Pipeline,
    catalog: DataCatalog,
    run_params: dict[str, Any],
) -> None:
    """Fail unless every configured dataset is in the catalog or made by a node."""
    known = set(catalog.list()) | pipeline.datasets()
    missing = [rule.dataset for rule in config.datasets if rule.dataset not in known]
    if missing:
        # The run may be filtered (--nodes): a memory dataset of another node still exists.
        known |= _registered_datasets(run_params)
        missing = [name for name in missing if name not in known]
    if not missing:
        return
    listed = sorted(
        name for name in known if not name.startswith("params:") and name != "parameters"
    )
    hints = "".join(did_you_mean(name, listed) for name in missing)
    raise ConfigError(
        f"{config.source}: dataset(s) configured for validation are not in the catalog and no "
        f"node makes them: {', '.join(repr(name) for name in missing)}.{hints} Datasets of "
        f"this project: {', '.join(listed) or 'none'}."
    )


def _registered_datasets(run_params: dict[str, Any]) -> set[str]:
    """Every dataset of every registered pipeline of the project, when it can be loaded."""
    project = run_params.get("project_path")
    if not project:
        return set()
    from hookline.plugin import find_project, load_pipelines

    try:
        pipelines = load_pipelines(find_project(project))
    except HooklineError:
        return set()
    return set().union(*(pipeline.datasets() for pipeline in pipelines.values()))
