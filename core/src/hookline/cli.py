"""The ``hookline`` command: ``run``, ``hooks``, ``info``, ``runs``, ``catalog``, ``port-kedro``
and the commands plugins add.

Exit codes: 0 success; 1 the pipeline failed (after the error hooks ran); 2 a usage or
configuration error; 3 the run completed with regressions under ``--regressions fail`` (or
``on_regression: fail`` in regressions.yml); 130 interrupted with Ctrl-C, 143 stopped by
SIGTERM, 129 by SIGHUP (after ``on_pipeline_error`` ran, or at once on a second signal or at
the end of the grace period: see :mod:`hookline.stop_signals`).
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from hookline import __version__
from hookline.catalog_commands import catalog
from hookline.entry_points import (
    COMMANDS_ENTRY_POINT_GROUP,
    HOOKS_ENTRY_POINT_GROUP,
    entry_points,
)
from hookline.errors import (
    ConfigError,
    HookFailed,
    HooklineError,
    RemoteTraceback,
    Terminated,
)
from hookline.history.commands import runs
from hookline.porting.command import port_kedro

logger = logging.getLogger("hookline")

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_REGRESSED = 3
EXIT_INTERRUPTED = 130


class PluginCommandGroup(click.Group):
    """A click group that adds the commands of the ``hookline.commands`` entry points."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Core commands, then every plugin command name."""
        names = super().list_commands(ctx)
        plugins = [ep.name for ep in entry_points(COMMANDS_ENTRY_POINT_GROUP)]
        return names + sorted(set(plugins) - set(names))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """A core command, or the plugin command registered under ``cmd_name``."""
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            return command
        for entry_point in entry_points(COMMANDS_ENTRY_POINT_GROUP, name=cmd_name):
            try:
                loaded = entry_point.load()
            except Exception as error:
                dist = entry_point.dist.name if entry_point.dist else entry_point.value
                click.echo(
                    f"Warning: the command '{cmd_name}' of {dist} could not be loaded: "
                    f"{type(error).__name__}: {error}",
                    err=True,
                )
                return None
            if isinstance(loaded, click.Command):
                return loaded
        return None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List core commands with their help, and plugin commands by their distribution only:
        loading a plugin's command imports the plugin, and ``hookline --help`` must stay fast."""
        rows = []
        for name in super().list_commands(ctx):
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(formatter.width)))
        core = {name for name, _ in rows}
        for entry_point in entry_points(COMMANDS_ENTRY_POINT_GROUP):
            if entry_point.name not in core:
                dist = entry_point.dist.name if entry_point.dist else entry_point.value
                rows.append((entry_point.name, f"Commands of the plugin {dist}."))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=PluginCommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="hookline")
def cli() -> None:
    """hookline: run pipelines whose every extension point is a hook."""


def _split(values: Sequence[str]) -> list[str]:
    """Accept both repeated options and comma-separated lists."""
    return [item.strip() for value in values for item in value.split(",") if item.strip()]


def _parse_load_versions(values: Sequence[str]) -> dict[str, str]:
    versions = {}
    for item in _split(values):
        name, sep, version = item.partition(":")
        if not sep or not name or not version:
            raise ConfigError(
                f"--load-versions takes dataset:version pairs, got '{item}' "
                "(e.g. --load-versions regressor:2026-11-22T10.20.30.123Z)."
            )
        versions[name] = version
    return versions


@cli.command()
@click.option(
    "--pipeline", "pipeline_name", help="Registered pipeline to run (default: __default__)."
)
@click.option("--tags", "-t", multiple=True, help="Run only nodes with any of these tags.")
@click.option("--nodes", "-n", "node_names", multiple=True, help="Run only these nodes.")
@click.option("--from-nodes", multiple=True, help="Run these nodes and everything downstream.")
@click.option("--to-nodes", multiple=True, help="Run these nodes and everything upstream.")
@click.option("--from-inputs", multiple=True, help="Run what depends on these datasets.")
@click.option("--to-outputs", multiple=True, help="Run what is needed to make these datasets.")
@click.option(
    "--namespaces",
    "-ns",
    multiple=True,
    help="Run only the nodes in these namespaces (nested too).",
)
@click.option("--params", "params_text", default="", help="Override parameters: key=value,a.b=2.")
@click.option("--env", "-e", default=None, help="Configuration environment laid over base/local.")
@click.option("--runner", "-r", "runner_name", default="SequentialRunner", show_default=True)
@click.option(
    "--max-workers",
    type=click.IntRange(min=1),
    default=None,
    help="Threads or processes for ThreadRunner, ParallelRunner and DaskRunner.",
)
@click.option(
    "--runner-param",
    "runner_params",
    multiple=True,
    metavar="KEY=VALUE",
    help="A keyword argument of the runner, e.g. address=tcp://host:8786 (repeatable).",
)
@click.option("--load-versions", multiple=True, help="Pin versions: dataset:version,...")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--log-level", default=lambda: os.environ.get("HOOKLINE_LOG_LEVEL", "INFO"))
@click.option(
    "--regressions",
    type=click.Choice(["warn", "fail"]),
    default=None,
    help=f"Whether a regression against the run history fails the run (exit {EXIT_REGRESSED}); "
    "default: on_regression in regressions.yml, else warn.",
)
def run(
    pipeline_name: str | None,
    tags: tuple[str, ...],
    node_names: tuple[str, ...],
    from_nodes: tuple[str, ...],
    to_nodes: tuple[str, ...],
    from_inputs: tuple[str, ...],
    to_outputs: tuple[str, ...],
    namespaces: tuple[str, ...],
    params_text: str,
    env: str | None,
    runner_name: str,
    max_workers: int | None,
    runner_params: tuple[str, ...],
    load_versions: tuple[str, ...],
    project: Path | None,
    log_level: str,
    regressions: str | None,
) -> None:
    """Run a pipeline of the project in the current folder (or --project)."""
    from hookline.config import parse_runtime_params
    from hookline.console import RichProgressReporter, configure_logging, is_terminal
    from hookline.runner.progress import ProgressReporter
    from hookline.runner.registry import create_runner
    from hookline.session import HooklineSession, RunFailed

    configure_logging(log_level.upper())
    try:
        session = HooklineSession.create(
            project, env=env, extra_params=parse_runtime_params(params_text)
        )
        reporter = RichProgressReporter() if is_terminal(sys.stderr) else ProgressReporter()
        result = session.run(
            pipeline_name,
            tags=_split(tags),
            runner=create_runner(
                runner_name, max_workers=max_workers, **_parse_runner_params(runner_params)
            ),
            node_names=_split(node_names),
            from_nodes=_split(from_nodes),
            to_nodes=_split(to_nodes),
            from_inputs=_split(from_inputs),
            to_outputs=_split(to_outputs),
            namespaces=_split(namespaces),
            load_versions=_parse_load_versions(load_versions),
            reporter=reporter,
        )
    except RunFailed as failure:
        _report_failure(failure, sys.argv[1:])
        sys.exit(EXIT_FAILED)
    except HooklineError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    except HookFailed as failure:
        # A bug in a hook before the first node: where in the plugin, then which plugin.
        if failure.__cause__ is not None:
            click.echo(_traceback_without_hookline(failure.__cause__), err=True, nl=False)
        click.echo(f"Error: {failure}", err=True)
        sys.exit(EXIT_FAILED)
    except Terminated as stop:
        # One line: what stopped the run, and how to finish it.
        resume = (
            f" To resume the run: {_resume_command(sys.argv[1:], stop.resume_from)}"
            if stop.resume_from
            else ""
        )
        click.echo(f"Stopped: the run was stopped by {stop.signal_name}.{resume}", err=True)
        _exit_now(stop.exit_code)
    except KeyboardInterrupt:
        click.echo("Interrupted: the run was stopped with Ctrl-C.", err=True)
        _exit_now(EXIT_INTERRUPTED)
    _print_summary(result.records, result.measurements)
    if result.regressions is not None:
        _report_regressions(result.regressions, regressions)


def _report_regressions(report: Any, option: str | None) -> None:
    from hookline.history.views import render_regressions

    render_regressions(report, sys.stdout)
    if report.found and (option == "fail" or (option is None and report.fail)):
        sys.exit(EXIT_REGRESSED)


def _parse_runner_params(values: Sequence[str]) -> dict[str, Any]:
    """``("address=tcp://h:8786", "n_workers=4")`` -> keyword arguments, values read as YAML
    scalars (``4`` is an int)."""
    from hookline.config import parse_runtime_params

    params: dict[str, Any] = {}
    for value in values:
        key, sep, raw = value.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(
                f"--runner-param takes key=value, got '{value}' "
                "(e.g. --runner-param address=tcp://127.0.0.1:8786)."
            )
        # One pair per option, so a value may hold commas (kept as a string then).
        params[key] = raw if "," in raw else parse_runtime_params(f"value={raw}")["value"]
    return params


def _print_summary(records: Any, measurements: Any) -> None:
    from hookline.console import render_summary

    render_summary(records, measurements, sys.stdout)


def _report_failure(failure: Any, argv: list[str]) -> None:
    _print_summary(failure.result.records, failure.result.measurements)
    error = failure.error
    if isinstance(error.__cause__, RemoteTraceback):
        # Raised in a worker process: the worker's traceback is the one worth reading.
        click.echo(f"Traceback in the worker process:\n{error.__cause__.text}", err=True, nl=False)
    elif not isinstance(error, HooklineError):
        # The error came from user or library code: its traceback is worth reading, but
        # hookline's own frames are not.
        click.echo(_traceback_without_hookline(error), err=True, nl=False)
    click.echo(f"Error: {failure}", err=True)
    if failure.resume_from:
        click.echo(f"To resume the run: {_resume_command(argv, failure.resume_from)}", err=True)


def _traceback_without_hookline(error: BaseException) -> str:
    # With the separator, so that a plugin's frames (hookline_mlflow/...) are kept.
    package_dir = str(Path(__file__).parent) + os.sep
    frames = traceback.extract_tb(error.__traceback__)
    kept = [frame for frame in frames if not frame.filename.startswith(package_dir)]
    lines = ["Traceback (most recent call last):\n", *traceback.format_list(kept)]
    lines.extend(traceback.format_exception_only(type(error), error))
    return "".join(lines)


def _resume_command(argv: list[str], resume_from: list[str]) -> str:
    kept: list[str] = []
    skip_next = False
    for arg in argv:
        if skip_next:
            skip_next = False
            continue
        if arg in ("--from-nodes", "--nodes", "-n"):
            skip_next = True
            continue
        if arg.startswith(("--from-nodes=", "--nodes=")):
            continue
        kept.append(arg)
    return shlex.join(["hookline", *kept, "--from-nodes", ",".join(resume_from)])


def _exit_now(code: int) -> None:
    """Exit without waiting for threads still running a node (a hung node must not keep the
    process alive past Ctrl-C); the error hooks have already run."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


@cli.command()
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None)
def hooks(project: Path | None) -> None:
    """List every hook implementation, where it came from, and the order it fires in."""
    from hookline.console import render_hook_table
    from hookline.hooks.manager import create_hook_manager
    from hookline.project import find_project, load_settings

    try:
        settings_hooks: tuple[object, ...] = ()
        disabled: tuple[str, ...] = ()
        if project is not None or _inside_project():
            settings = load_settings(find_project(project))
            settings_hooks, disabled = settings.hooks, settings.disable_hooks_for_plugins
        manager = create_hook_manager(settings_hooks, disabled_plugins=disabled)
    except HooklineError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    render_hook_table(manager.implementations(), sys.stdout)


def _inside_project() -> bool:
    from hookline.errors import ProjectError
    from hookline.project import find_project

    try:
        find_project()
    except ProjectError:
        return False
    return True


@cli.command()
def info() -> None:
    """Show the versions of hookline and of every plugin installed."""
    click.echo(f"hookline {__version__}")
    plugins: dict[str, str] = {}
    for group in (HOOKS_ENTRY_POINT_GROUP, COMMANDS_ENTRY_POINT_GROUP):
        for entry_point in entry_points(group):
            if entry_point.dist is not None:
                plugins[entry_point.dist.name] = entry_point.dist.version
    if not plugins:
        click.echo("No plugins installed.")
    for name, version in sorted(plugins.items()):
        click.echo(f"  {name} {version}")


cli.add_command(runs)
cli.add_command(catalog)
cli.add_command(port_kedro)


def main() -> None:
    """Entry point of the ``hookline`` script."""
    cli()
