"""``hookline mlflow ...``: the MLflow UI of a project's tracking store, the replay of what a
run could not deliver, and the runs left RUNNING by processes that died.

``hookline mlflow ui`` starts ``mlflow ui`` on the store the project's ``mlflow.yml`` (or
``MLFLOW_TRACKING_URI``) names, bound to 127.0.0.1, and prints its URL; a busy port is an
error (exit code 2) before anything starts. Ctrl-C, SIGTERM or SIGHUP stops it and every
process it started. A store that is already an MLflow server (``http(s)://``) has its own UI:
its URL is printed.

``hookline mlflow runs`` lists the project's RUNNING runs and whether their process still
exists (see :mod:`hookline_mlflow.stale_runs`); ``--stale`` keeps those whose process is gone
or cannot be told, ``--end`` ends KILLED those whose process is gone, after asking.

``hookline mlflow replay [FILE...]`` sends the spool files that runs wrote when their tracking
server was away at the end (default: every file in the project's ``spool_dir``) to the runs
they name, ends those runs, and deletes each file it sent. Credentials come from the
environment, as for MLflow's client (``MLFLOW_TRACKING_USERNAME`` and
``MLFLOW_TRACKING_PASSWORD``, or ``MLFLOW_TRACKING_TOKEN``): a spool file never holds them.

Nothing these commands print holds a URI's ``user:password``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from hookline_mlflow.config import MlflowConfig
    from hookline_mlflow.stale_runs import RunningRun

#: The interface the UI listens on: this machine only.
HOST = "127.0.0.1"
#: Seconds to wait for the UI to answer before giving up.
START_TIMEOUT = 180.0
#: Seconds the UI and its workers get to stop before they are killed.
STOP_TIMEOUT = 10.0


@click.group(name="mlflow")
def mlflow_command() -> None:
    """MLflow commands of hookline-mlflow."""


@mlflow_command.command()
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--env", "-e", default=None, help="Configuration environment laid over base/local.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=5000,
    show_default=True,
    help="Port of the UI (0: any free port).",
)
def ui(project: Path | None, env: str | None, port: int) -> None:
    """Open the MLflow UI on the project's tracking store, on 127.0.0.1."""
    from hookline.plugin import redact_userinfo
    from hookline_mlflow.config import resolve_tracking_uri
    from hookline_mlflow.store import is_http

    uri = resolve_tracking_uri(*_project_config(project, env))
    if is_http(uri):
        click.echo(f"MLflow UI: {redact_userinfo(uri)} (the tracking server's own UI)")
        return
    port = _available_port(port)
    command = [
        sys.executable, "-m", "mlflow", "ui",
        "--backend-store-uri", uri,
        "--host", HOST, "--port", str(port),
    ]  # fmt: skip
    # The UI's own log goes to stderr, so that stdout holds only the URL (for scripts). Its
    # own session: stopping the group stops every worker process it starts.
    process = subprocess.Popen(command, stdout=sys.stderr, start_new_session=True)
    url = f"http://{HOST}:{port}"
    # SIGTERM and SIGHUP (an orchestrator, a closed terminal) stop the UI as Ctrl-C does.
    for name in ("SIGTERM", "SIGHUP"):  # no SIGHUP on Windows
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _exit_on_signal)
    try:
        if _wait_until_up(url, process):
            click.echo(f"MLflow UI: {url} (store {redact_userinfo(uri)}); Ctrl-C stops it.")
            sys.stdout.flush()
        else:
            click.echo(
                f"Error: the MLflow UI did not start (exit code {process.poll()}).", err=True
            )
            sys.exit(1)
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        _stop(process)


def _exit_on_signal(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def _available_port(port: int) -> int:
    """``port`` if the UI can listen on it (any free port for 0); else exit with code 2 and a
    message: a server started on a busy port would never answer, and keep its workers."""
    with socket.socket() as probe:
        # As the server will: a port whose last connections are closing (TIME_WAIT) is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            click.echo(
                f"Error: port {port} on {HOST} is not available ({error.strerror}): another "
                "program, perhaps another MLflow UI, listens on it. Pick another port with "
                "--port <number>, or --port 0 for any free one.",
                err=True,
            )
            sys.exit(2)
        free: int = probe.getsockname()[1]
        return free


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> bool:
    from hookline_mlflow.store import probe

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            probe(url, timeout=2)
        except ConnectionError:
            time.sleep(0.25)
        else:
            return True
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the UI and every process it started (its process group, which outlives it when
    workers are slower to stop than the UI)."""
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _group_exists(group) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
    process.wait()


def _group_exists(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


@mlflow_command.command()
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--env", "-e", default=None, help="Configuration environment laid over base/local.")
@click.option(
    "--tracking-uri",
    default=None,
    help="Send to this store instead of the one each file names (e.g. one with credentials).",
)
def replay(
    files: tuple[Path, ...], project: Path | None, env: str | None, tracking_uri: str | None
) -> None:
    """Send what runs kept in the spool while their tracking server was away, and end them."""
    from hookline.plugin import redact_userinfo
    from hookline_mlflow import spool
    from hookline_mlflow.run_logger import first_line

    paths = spool.replay_order(files) if files else _project_spool(project, env)
    if not paths:
        click.echo("Nothing to replay: the spool is empty.")
        return
    failed = 0
    for path in paths:
        try:
            spooled = spool.read(path)
            uri = tracking_uri or spooled.tracking_uri
            missing = spool.replay(spooled, _client_of(uri))
        except Exception as error:
            failed += 1
            # MLflow's errors quote the URL they requested, user:password included.
            click.echo(f"Error: {path} kept: {redact_userinfo(first_line(error))}", err=True)
            continue
        where = redact_userinfo(uri)
        click.echo(f"{path}: sent {spooled.summary()} to run {spooled.run_id} at {where}.")
        for local in missing:
            click.echo(f"  not uploaded, the file no longer exists: {local}", err=True)
        for what in spooled.lost:
            click.echo(f"  lost during the outage, not in the spool: {what}", err=True)
    sys.exit(1 if failed else 0)


@mlflow_command.command()
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option("--env", "-e", default=None, help="Configuration environment laid over base/local.")
@click.option(
    "--stale",
    is_flag=True,
    help="Only the runs whose process is gone, or cannot be told (another host).",
)
@click.option("--end", is_flag=True, help="End KILLED the runs whose process on this host is gone.")
@click.option("--yes", "-y", is_flag=True, help="End them without asking.")
def runs(project: Path | None, env: str | None, stale: bool, end: bool, yes: bool) -> None:
    """List the project's RUNNING runs with whether their process still exists; end those
    whose process is gone."""
    from hookline.plugin import find_project
    from hookline_mlflow import stale_runs
    from hookline_mlflow.config import resolve_experiment_name, resolve_tracking_uri
    from hookline_mlflow.processes import ProcessState

    config, project_path = _project_config(project, env)
    project_name = find_project(project_path).project_name
    client = _client_of(resolve_tracking_uri(config, project_path))
    experiment = client.get_experiment_by_name(resolve_experiment_name(config, project_name))
    found = (
        []
        if experiment is None
        else stale_runs.running_runs(
            client, experiment.experiment_id, project_name, this_host_only=False
        )
    )
    if stale or end:
        found = [run for run in found if run.state is not ProcessState.ALIVE]
    if not found:
        click.echo("No stale RUNNING run." if stale or end else "No RUNNING run.")
        return
    for run in found:
        click.echo(_describe(run))
    if not end:
        return
    gone = [run for run in found if run.state is ProcessState.GONE]
    if not gone:
        click.echo("None of them can be told to be gone from here: nothing to end.")
        return
    if not yes:
        click.confirm(f"End {len(gone)} run(s) KILLED?", abort=True)
    for run in stale_runs.end_runs(client, gone, "hookline mlflow runs --end"):
        click.echo(f"Ended KILLED: {run.run_id}")


def _describe(run: RunningRun) -> str:
    """One line about a RUNNING run: id, name, start, process and what is known of it."""
    from hookline_mlflow.processes import ProcessState

    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.start_time_ms / 1000))
    state = {
        ProcessState.GONE: "process gone (stale)",
        ProcessState.ALIVE: "process alive",
        ProcessState.UNKNOWN: "cannot tell from this host",
    }[run.state]
    return (
        f"{run.run_id}  {run.run_name}  started {started}  "
        f"process {run.process.pid} on {run.process.host}: {state}"
    )


def _client_of(uri: str) -> Any:
    """An ``MlflowClient`` of ``uri``. A ``user:password@`` in it goes where MLflow's client
    also takes credentials from, the environment (``MLFLOW_TRACKING_USERNAME`` and
    ``MLFLOW_TRACKING_PASSWORD``), and the client gets the URI without it: MLflow quotes its
    URI in what it prints ("View run ... at") and in its errors."""
    from mlflow import MlflowClient

    from hookline.plugin import REDACTED, strip_userinfo

    parts = urllib.parse.urlsplit(uri)
    # "***": a spool file of an older release kept the URI masked, not stripped.
    if parts.username and parts.username != REDACTED:
        os.environ["MLFLOW_TRACKING_USERNAME"] = urllib.parse.unquote(parts.username)
        if parts.password is not None:
            os.environ["MLFLOW_TRACKING_PASSWORD"] = urllib.parse.unquote(parts.password)
    return MlflowClient(tracking_uri=strip_userinfo(uri))


def _project_spool(project: Path | None, env: str | None) -> list[Path]:
    """The spool files of the project's ``spool_dir``."""
    from hookline_mlflow import spool
    from hookline_mlflow.config import resolve_spool_dir

    config, project_path = _project_config(project, env)
    return spool.files_of(resolve_spool_dir(config, project_path))


def _project_config(project: Path | None, env: str | None) -> tuple[MlflowConfig, Path]:
    """The project's validated ``mlflow.yml`` and the project's folder; on a bad project or
    configuration, the error is printed and the command exits with code 2."""
    from hookline.plugin import HooklineError, project_config_loader
    from hookline_mlflow.config import load_config

    try:
        loader, project_path = project_config_loader(project, env)
        return load_config(loader), project_path
    except HooklineError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
