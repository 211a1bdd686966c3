"""``hookline catalog``: the datasets a pipeline uses, where each comes from, and the catalog
its dataset factories resolve to.

``hookline catalog list`` prints one row per dataset of the pipeline: its type and what made
it (``explicit``: its own entry in catalog.yml; a factory pattern such as ``{name}_csv``;
``memory``: nothing, so a memory dataset; ``parameters``). ``hookline catalog resolve`` prints
the catalog as a run would use it, as YAML: every explicit entry, and each dataset a pattern
makes with its placeholders filled in. Neither fires a hook nor writes anything; credentials
appear by name only.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from hookline.errors import ConfigError, HooklineError, did_you_mean

if TYPE_CHECKING:
    from hookline.catalog import DataCatalog

#: Exit code of bad input: no project, no such pipeline, a bad catalog.
EXIT_USAGE = 2

#: What made a dataset, besides a factory pattern (shown by its own text).
EXPLICIT, MEMORY, PARAMETERS = "explicit", "memory", "parameters"

_pipeline_option = click.option(
    "--pipeline", "pipeline_name", default=None, help="Registered pipeline (default: __default__)."
)
_env_option = click.option(
    "--env", "-e", default=None, help="Configuration environment laid over base/local."
)
_project_option = click.option(
    "--project", type=click.Path(file_okay=False, path_type=Path), default=None
)
_json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def catalog() -> None:
    """The data catalog of a pipeline: its datasets and the factory patterns behind them."""


@catalog.command("list")
@_pipeline_option
@_env_option
@_project_option
@_json_option
def list_datasets(
    pipeline_name: str | None, env: str | None, project: Path | None, as_json: bool
) -> None:
    """List every dataset the pipeline uses, its type, and the factory pattern that made it
    (or explicit, memory, parameters)."""
    try:
        rows = describe_datasets(*_load(project, env, pipeline_name))
    except HooklineError as error:
        _fail(error)
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from hookline.tables import write_table

    cells = [(row["dataset"], row["type"], row["resolved_by"]) for row in rows]
    title = f"Datasets of pipeline '{pipeline_name or _default_pipeline()}'"
    write_table(sys.stdout, title, ("dataset", "type", "resolved by"), cells)


@catalog.command("resolve")
@_pipeline_option
@_env_option
@_project_option
@_json_option
def resolve(
    pipeline_name: str | None, env: str | None, project: Path | None, as_json: bool
) -> None:
    """Print the catalog the pipeline runs with as YAML: every explicit entry and each dataset
    a factory pattern makes, placeholders filled in (credentials by name only)."""
    try:
        resolved = resolve_entries(*_load(project, env, pipeline_name))
    except HooklineError as error:
        _fail(error)
    if as_json:
        click.echo(json.dumps(resolved, indent=2, default=str))
        return
    import yaml

    click.echo(yaml.safe_dump(resolved, sort_keys=False, default_flow_style=False), nl=False)


def describe_datasets(
    built: DataCatalog, entries: Mapping[str, Any], names: set[str]
) -> list[dict[str, str]]:
    """One row per dataset name of ``names``: ``dataset``, ``type``, ``resolved_by``.

    Args:
        built: The catalog built from ``entries``, the pipeline's factory datasets added.
        entries: The catalog configuration (catalog.yml).
        names: The datasets the pipeline uses.
    """
    from hookline.datasets import dataset_type_name

    rows = []
    for name in sorted(names):
        pattern = _pattern_of(built, entries, name)
        if pattern == PARAMETERS:
            kind = "parameters"
        elif pattern == MEMORY:
            kind = "MemoryDataset"
        else:
            kind = dataset_type_name(built.get_dataset(name))
        rows.append({"dataset": name, "type": kind, "resolved_by": pattern})
    return rows


def resolve_entries(
    built: DataCatalog, entries: Mapping[str, Any], names: set[str]
) -> dict[str, Any]:
    """Every explicit entry of ``entries``, then an entry for each of ``names`` it lacks (the
    pattern's, filled in, or a memory dataset), as safe to show: credentials by name only,
    secret-looking values and URLs' passwords hidden. Parameters are left out."""
    resolved: dict[str, Any] = {
        str(name): entry
        for name, entry in entries.items()
        if not str(name).startswith("_") and "{" not in str(name)
    }
    factories = built.factories
    for name in sorted(names):
        made_by = _pattern_of(built, entries, name)
        if made_by in (EXPLICIT, PARAMETERS):
            continue
        if made_by == MEMORY or factories is None:
            resolved[name] = {"type": "MemoryDataset"}
            continue
        found = factories.match(name)
        assert found is not None  # _pattern_of found it
        resolved[name] = factories.resolve(name, found)
    return {name: _shown(entry) for name, entry in resolved.items()}


def _pattern_of(built: DataCatalog, entries: Mapping[str, Any], name: str) -> str:
    if name == "parameters" or name.startswith("params:"):
        return PARAMETERS
    if name in entries:
        return EXPLICIT
    found = None if built.factories is None else built.factories.match(name)
    return MEMORY if found is None else found.pattern.text


def _shown(entry: Any) -> Any:
    """``entry`` without secrets: a ``credentials`` name stays, an inline mapping does not."""
    from hookline.secrets import REDACTED, redact_mapping

    if not isinstance(entry, Mapping):
        return entry
    credentials = entry.get("credentials")
    shown = redact_mapping({k: v for k, v in entry.items() if k != "credentials"})
    if "credentials" in entry:
        shown["credentials"] = credentials if isinstance(credentials, str) else REDACTED
    return shown


def _load(
    project: Path | None, env: str | None, pipeline_name: str | None
) -> tuple[DataCatalog, Mapping[str, Any], set[str]]:
    """The project's catalog with the pipeline's factory datasets made, its configuration,
    and the names of the pipeline's datasets (no hook fires)."""
    from hookline.catalog import DataCatalog
    from hookline.config import ConfigLoader
    from hookline.plugin_config import describe_origin
    from hookline.project import find_project, load_pipelines, load_settings

    metadata = find_project(project)
    loader = ConfigLoader(metadata.project_path / load_settings(metadata).conf_source, env=env)
    pipelines = load_pipelines(metadata)
    name = pipeline_name or _default_pipeline()
    if name not in pipelines:
        known = sorted(pipelines)
        raise ConfigError(
            f"No pipeline named '{name}'.{did_you_mean(name, known)} "
            f"Registered pipelines: {', '.join(known) or 'none'}."
        )
    entries = loader["catalog"] or {}
    credentials = loader["credentials"]
    built = DataCatalog.from_config(
        entries,
        credentials,
        project_path=metadata.project_path,
        source=describe_origin(loader, "catalog", entries),
        credentials_source=describe_origin(loader, "credentials", credentials or {}),
    )
    names = pipelines[name].datasets()
    built.add_from_factories(names)
    return built, entries, names


def _default_pipeline() -> str:
    from hookline.project import DEFAULT_PIPELINE

    return DEFAULT_PIPELINE


def _fail(error: HooklineError) -> NoReturn:
    click.echo(f"Error: {error}", err=True)
    sys.exit(EXIT_USAGE)
