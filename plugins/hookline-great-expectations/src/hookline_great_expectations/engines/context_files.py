"""Naming the file behind a context that cannot be opened or read.

Great Expectations reports a damaged configuration file with the parser's message alone (a
``JSONDecodeError`` for a suite, a pydantic error for a checkpoint), often without the file's
name. When preparing the context fails, :func:`unreadable_context_error` reads the context's
own configuration files again (YAML and JSON, not the stored results or Data Docs) and names
each one that cannot be read or parsed.

Errors are quoted by their first line only, with the credentials of any URL in it hidden: a
parser's message goes on to quote the line it stopped at, and Great Expectations' may repeat
the configuration with its variables substituted (a ``connection_string`` from
``config_variables.yml``), neither of which belongs in a start-up error or a log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import yaml

from hookline.plugin import ConfigError, redact_userinfo
from hookline_great_expectations.config import GreatExpectationsConfig

__all__ = ["quote_error", "unreadable_context_error", "unreadable_files"]

#: Folders under ``uncommitted/`` that hold results, Data Docs and the plugin's own files:
#: written by runs, never configuration, and possibly thousands of files.
OUTPUT_FOLDERS = frozenset({"validations", "data_docs", "hookline"})


def _configuration_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).parts
        if relative[0] == "uncommitted" and len(relative) > 1 and relative[1] in OUTPUT_FOLDERS:
            continue
        if path.suffix in {".json", ".yml", ".yaml"} and not path.is_dir():
            yield path


def _problem(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            json.loads(text)
        else:
            yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
        return quote_error(error)
    return None


def quote_error(error: BaseException) -> str:
    """``error`` as a start-up message may quote it: ``Type: first line``, with the
    credentials of any URL in it replaced by ``***``."""
    text = str(error).strip()
    first_line = text.splitlines()[0] if text else ""
    hidden = redact_userinfo(first_line)
    return f"{type(error).__name__}: {hidden}".rstrip(": ")


def unreadable_files(root: Path) -> dict[Path, str]:
    """Each configuration file under the context folder ``root`` that cannot be read or
    parsed -> why."""
    problems = {}
    for path in _configuration_files(root):
        problem = _problem(path)
        if problem is not None:
            problems[path] = problem
    return problems


def unreadable_context_error(
    config: GreatExpectationsConfig, root: Path, error: Exception
) -> ConfigError:
    """The start-up error for a context at ``root`` that Great Expectations failed to open or
    read with ``error``, naming the damaged files when there are some."""
    problems = unreadable_files(root)
    cause = quote_error(error)
    if problems:
        listed = "; ".join(f"{path} ({why})" for path, why in problems.items())
        return ConfigError(
            f"{config.source}: the Great Expectations context at {root} cannot be read: "
            f"damaged file(s): {listed}. Fix or restore them (Great Expectations said: {cause})"
        )
    return ConfigError(
        f"{config.source}: the Great Expectations context at {root} could not be opened and "
        f"prepared for validation: {cause}"
    )
