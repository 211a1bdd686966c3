"""Which files of an environment folder make up a configuration (``catalog``, ``mlflow``...).

Each configuration name has glob patterns, relative to the environment's folder, as in Kedro's
OmegaConfigLoader: ``catalog``, ``parameters`` and ``credentials`` take ``<name>*`` (files at the
top), ``<name>*/**`` (every file below a folder of that name) and ``**/<name>*`` (a file of that
name at any depth); ``globals`` takes ``globals.yml`` only. A name with no patterns of its own
(a plugin's ``mlflow``) takes ``<name>*`` and ``<name>*/**``, where Kedro would refuse it. A
project sets patterns of its own in ``settings.py``: ``CONFIG_LOADER_ARGS = {"config_patterns":
{"spark": ["spark*", "spark*/**"]}}``.

Only ``.yml``, ``.yaml`` and ``.json`` files are read; hidden files, and files in hidden
folders, never.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from hookline.errors import ConfigError

__all__ = [
    "CONFIG_SUFFIXES",
    "default_config_patterns",
    "is_glob",
    "matching_files",
    "patterns_for",
]

#: The suffixes of configuration files.
CONFIG_SUFFIXES = (".yml", ".yaml", ".json")

_GLOB_CHARACTERS = re.compile(r"[*?\[\]/\\]")


def default_config_patterns() -> dict[str, list[str]]:
    """The patterns of the configurations every project has (a fresh, mutable copy)."""
    patterns = {
        name: [f"{name}*", f"{name}*/**", f"**/{name}*"]
        for name in ("catalog", "parameters", "credentials")
    }
    patterns["globals"] = ["globals.yml"]
    return patterns


def patterns_for(key: str, config_patterns: Mapping[str, Sequence[str]]) -> list[str]:
    """The patterns of configuration ``key``: its own, else ``<key>*`` and ``<key>*/**``.

    Raises:
        ConfigError: ``key`` has no patterns of its own and is not a plain name.
    """
    own = config_patterns.get(key)
    if own is not None:
        return list(own)
    if not key or _GLOB_CHARACTERS.search(key):
        raise ConfigError(f"Invalid configuration key {key!r}: a plain name is expected")
    return [f"{key}*", f"{key}*/**"]


def is_glob(text: str) -> bool:
    """Whether ``text`` is a glob pattern rather than a configuration's name."""
    return bool(_GLOB_CHARACTERS.search(text))


def matching_files(folder: Path, patterns: Sequence[str]) -> list[Path]:
    """The configuration files of ``folder`` that match any of ``patterns``, in the order of
    their paths relative to ``folder``."""
    found: set[Path] = set()
    for pattern in patterns:
        for relative in glob.glob(pattern, root_dir=folder, recursive=True):
            path = folder / relative
            if (
                path.suffix in CONFIG_SUFFIXES
                and not any(part.startswith(".") for part in Path(relative).parts)
                and path.is_file()
            ):
                found.add(path)
    return sorted(found, key=lambda path: path.relative_to(folder).as_posix())
