"""``hookline port-kedro [PATH]``: the click command over
:func:`~hookline.porting.port.port_project`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

EXIT_USAGE = 2


@click.command("port-kedro")
@click.argument(
    "path",
    required=False,
    default=".",
    type=click.Path(file_okay=False, path_type=Path),
)
@click.option("--check", is_flag=True, help="Report what would change, and write nothing.")
@click.option(
    "--force",
    is_flag=True,
    help="Write even though the project has uncommitted changes in git.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def port_kedro(path: Path, check: bool, force: bool, as_json: bool) -> None:
    """Turn the Kedro project at PATH (default: here) into a hookline project, in place.

    Rewrites the Kedro import lines of its Python files, adds [tool.hookline] to
    pyproject.toml, maps catalog types, and reports everything left to port by hand (file,
    line, Kedro API, what to do). Needs `pip install "hookline[port]"`.
    """
    from hookline.errors import HooklineError
    from hookline.porting.port import port_project
    from hookline.porting.report import print_report

    try:
        report = port_project(path, check=check, force=force)
    except HooklineError as error:
        click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_USAGE)
    if as_json:
        click.echo(report.to_json())
    else:
        print_report(report)
