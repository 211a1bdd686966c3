"""``hookline statsd ...``: the plugin's commands (entry point ``hookline.commands`` ``statsd``)."""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from hookline.plugin import HooklineError

if TYPE_CHECKING:
    from hookline_statsd.config import StatsdConfig


@click.group(name="statsd")
def cli() -> None:
    """Commands of hookline-statsd."""


@cli.command()
@click.option(
    "--project",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The project whose statsd.yml sets the prefix (default: the current one, if any).",
)
@click.option("--env", default=None, help="The configuration environment (conf/<env>/).")
@click.option("--prefix", default=None, help="The prefix to use instead of the configured one.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, allow_dash=True, path_type=Path),
    default=Path("-"),
    show_default=True,
    help="Where to write the dashboard JSON ('-' for standard output).",
)
def dashboard(project: Path | None, env: str | None, prefix: str | None, output: Path) -> None:
    """Write the Grafana dashboard JSON for the configured prefix.

    The prefix is --prefix if given, else the project's statsd.yml (with STATSD_PREFIX
    applied), else hookline's default. Import the file in Grafana, or put it where the
    provisioning in plugins/hookline-statsd/grafana/ loads dashboards from.
    """
    from hookline_statsd.config import DEFAULT, check_prefix, with_environment
    from hookline_statsd.dashboard import dashboard_json

    try:
        if prefix is not None:
            chosen = check_prefix(prefix, "Option --prefix")
        elif project is not None or _inside_project():
            chosen = _configured(project, env).prefix
        else:
            chosen = with_environment(DEFAULT).prefix
    except HooklineError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(2)
    text = dashboard_json(chosen)
    if str(output) == "-":
        click.echo(text, nl=False)
    else:
        _write_whole(output, text)
        click.echo(f"Wrote the dashboard for prefix '{chosen}' to {output}", err=True)


def _write_whole(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step: a reader (Grafana's provisioning polls its
    folder) sees the old file or the new one, never a part of it.

    The text goes to a temporary file in the same folder (``os.replace`` is atomic only
    within one file system), which then takes the place of ``path``; a symbolic link is
    followed, so the file it points to is the one replaced. The new file keeps the old one's
    permissions, or gets the umask's for a new file (a private temporary file would hide the
    dashboard from a Grafana running as another user).
    """
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        with temporary.open("x", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            shutil.copymode(target, temporary)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _configured(project: Path | None, env: str | None) -> StatsdConfig:
    """The project's settings (statsd.yml, then the environment), as a run would see them."""
    from hookline.plugin import project_config_loader
    from hookline_statsd.config import load_config, with_environment

    loader, _ = project_config_loader(project, env)
    return with_environment(load_config(loader))


def _inside_project() -> bool:
    from hookline.plugin import ProjectError, find_project

    try:
        find_project()
    except ProjectError:
        return False
    return True
