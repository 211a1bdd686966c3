"""Configuration: YAML files in ``conf/base``, then ``conf/local``, then ``conf/<env>``.

``ConfigLoader(conf_source, env)["catalog"]`` merges every ``catalog*.yml`` (and
``catalog/**/*.yml``) of each layer. Environment variables are read with Kedro's spelling,
``${oc.env:NAME}`` or ``${oc.env:NAME,default}``. Every mistake a user can make in these files
is a :class:`~hookline.errors.ConfigError` naming the file and the key, and no value ever
appears in a message or a ``repr()``: credentials live in these files too.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode

from hookline.errors import ConfigError, did_you_mean

__all__ = ["ConfigLoader", "parse_runtime_params"]

if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:
    # libyaml's parser when PyYAML has it: several times faster on large catalogs.
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MERGE_TAG = "tag:yaml.org,2002:merge"
_ENV_VAR = re.compile(r"\$\{oc\.env:([^}]*)\}")
_YAML_SUFFIXES = (".yml", ".yaml")
# The config whose layers are deep-merged rather than replaced key by key.
_DEEP_MERGED_KEY = "parameters"


class _UniqueKeyLoader(_BaseLoader):
    """The safe loader, refusing a key written twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            # Keys brought in by a "<<: *anchor" merge may legitimately be overridden.
            if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    loader = _UniqueKeyLoader(text)
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        # Only the problem and its position: str(exc) quotes the offending line, which may
        # hold a password.
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML ({type(exc).__name__})") from None
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping of keys to values, "
            f"not a {type(data).__name__}"
        )
    result: dict[str, Any] = _interpolate(data, path, "")
    return result


def _interpolate(value: Any, path: Path, key_path: str) -> Any:
    """Replace every ``${oc.env:NAME[,default]}`` in the string values of ``value``."""
    if isinstance(value, str):
        if "${" not in value:
            return value
        return _ENV_VAR.sub(lambda match: _env_value(match.group(1), path, key_path), value)
    if isinstance(value, dict):
        return {
            key: _interpolate(item, path, f"{key_path}.{key}" if key_path else str(key))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(item, path, f"{key_path}[{i}]") for i, item in enumerate(value)]
    return value


def _env_value(spec: str, path: Path, key_path: str) -> str:
    name, has_default, default = spec.partition(",")
    name = name.strip()
    if not name:
        raise ConfigError(f"{path}: key '{key_path}': '${{oc.env:}}' needs a variable name")
    found = os.environ.get(name)
    if found is not None:
        return found
    if has_default:
        default = default.strip()
        if len(default) >= 2 and default[0] == default[-1] and default[0] in "'\"":
            default = default[1:-1]
        return default
    raise ConfigError(
        f"{path}: key '{key_path}': environment variable '{name}' is not set "
        f"(set it, or give a default: ${{oc.env:{name},default}})"
    )


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``override`` into ``base`` in place: nested mappings merge, anything else replaces."""
    for key, value in override.items():
        current = base.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            _deep_merge(current, value)
        else:
            base[key] = copy.deepcopy(value)
    return base


class ConfigLoader:
    """Reads and merges the YAML configuration of a project.

    Args:
        conf_source: the configuration folder (``conf``).
        env: an extra environment read last (``conf/<env>``); it must exist.
        runtime_params: ``{"a.b": value}`` overriding parameters last (``--params``).
        base_env: the layer read first (must exist).
        default_run_env: the layer read second, when its folder exists.

    ``loader[key]`` / ``loader.get(key)`` merge the files ``<key>*.yml|yaml`` and
    ``<key>/**/*.yml|yaml`` of every layer: within a layer a top-level key may be defined in
    one file only; a later layer replaces a top-level key, except for ``parameters`` which
    are deep-merged. Results are cached; each call returns a fresh copy.
    """

    def __init__(
        self,
        conf_source: str | os.PathLike[str],
        env: str | None = None,
        runtime_params: Mapping[str, Any] | None = None,
        *,
        base_env: str = "base",
        default_run_env: str = "local",
    ) -> None:
        self.conf_source = Path(conf_source)
        self.env = env
        self.runtime_params: dict[str, Any] = dict(runtime_params or {})
        self.base_env = base_env
        self.default_run_env = default_run_env
        self.layers: list[Path] = self._find_layers()
        self._cache: dict[str, tuple[dict[str, Any] | None, dict[str, Path]]] = {}

    def _find_layers(self) -> list[Path]:
        source = self.conf_source
        if not source.is_dir():
            raise ConfigError(f"Configuration folder {source} does not exist")
        envs = sorted(p.name for p in source.iterdir() if p.is_dir() and p.name[0] != ".")
        known = ", ".join(envs) or "none"
        base = source / self.base_env
        if not base.is_dir():
            raise ConfigError(
                f"Configuration folder {base} does not exist (environments in {source}: {known})"
            )
        layers = [base]
        local = source / self.default_run_env
        if self.default_run_env != self.base_env and local.is_dir():
            layers.append(local)
        env = self.env
        if env and env not in (self.base_env, self.default_run_env):
            folder = source / env
            if not folder.is_dir():
                raise ConfigError(
                    f"Environment '{env}' does not exist: no folder {folder} "
                    f"(environments in {source}: {known}).{did_you_mean(env, envs)}"
                )
            layers.append(folder)
        return layers

    # -- reading -----------------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        """The merged configuration of ``key``, or ``default`` when no file supplies it."""
        merged = self._load(key)[0]
        return default if merged is None else copy.deepcopy(merged)

    def __getitem__(self, key: str) -> dict[str, Any]:
        """The merged configuration of ``key``; ``{}`` when no file supplies it."""
        merged = self._load(key)[0]
        return {} if merged is None else copy.deepcopy(merged)

    def __contains__(self, key: object) -> bool:
        """Whether some file (or, for parameters, a runtime parameter) supplies ``key``."""
        return isinstance(key, str) and self._load(key)[0] is not None

    def origin(self, key: str, top_level_key: str) -> Path | None:
        """The file that supplied ``top_level_key`` of config ``key`` (the last layer's).

        ``None`` when no file has it (for instance a parameter given only at run time).
        """
        return self._load(key)[1].get(top_level_key)

    def files(self, key: str) -> list[Path]:
        """Every file read for ``key``, in the order they are merged."""
        return [file for layer in self.layers for file in self._files(layer, key)]

    def __repr__(self) -> str:
        # Never the values: credentials are configuration too.
        layers = ", ".join(repr(layer.name) for layer in self.layers)
        return (
            f"ConfigLoader(conf_source='{self.conf_source}', env={self.env!r}, layers=[{layers}])"
        )

    # -- internals ---------------------------------------------------------------------------

    @staticmethod
    def _files(layer: Path, key: str) -> list[Path]:
        found = {
            path
            for suffix in _YAML_SUFFIXES
            for pattern in (f"{key}*{suffix}", f"{key}/**/*{suffix}")
            for path in layer.glob(pattern)
            if path.is_file() and not path.name.startswith(".")
        }
        return sorted(found, key=lambda path: path.relative_to(layer).as_posix())

    def _load(self, key: str) -> tuple[dict[str, Any] | None, dict[str, Path]]:
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if not key or re.search(r"[*?\[\]/\\]", key):
            raise ConfigError(f"Invalid configuration key {key!r}: a plain name is expected")
        merged: dict[str, Any] | None = None
        origins: dict[str, Path] = {}
        for layer in self.layers:
            layer_config: dict[str, Any] = {}
            layer_origins: dict[str, Path] = {}
            files = self._files(layer, key)
            for file in files:
                for top, value in _read_yaml(file).items():
                    if top in layer_config:
                        raise ConfigError(
                            f"Key '{top}' is defined twice in the '{layer.name}' environment: "
                            f"in {layer_origins[top]} and in {file}"
                        )
                    layer_config[top] = value
                    layer_origins[top] = file
            if not files:
                continue
            if merged is None:
                merged = {}
            if key == _DEEP_MERGED_KEY:
                _deep_merge(merged, layer_config)
            else:
                merged.update(layer_config)
            origins.update(layer_origins)
        if key == _DEEP_MERGED_KEY and self.runtime_params:
            merged = merged if merged is not None else {}
            self._apply_runtime_params(merged, origins)
        result = (merged, origins)
        self._cache[key] = result
        return result

    def _apply_runtime_params(self, params: dict[str, Any], origins: dict[str, Path]) -> None:
        for dotted, value in self.runtime_params.items():
            parts = str(dotted).split(".")
            if not all(parts):
                raise ConfigError(f"Runtime parameter '{dotted}': empty part in the key")
            node = params
            for depth, part in enumerate(parts[:-1]):
                child = node.get(part)
                if child is None:
                    child = node[part] = {}
                elif not isinstance(child, dict):
                    where = origins.get(parts[0])
                    source = f" (from {where})" if where else ""
                    raise ConfigError(
                        f"Runtime parameter '{dotted}': parameter "
                        f"'{'.'.join(parts[: depth + 1])}'{source} is a "
                        f"{type(child).__name__}, not a mapping"
                    )
                node = child
            last = parts[-1]
            current = node.get(last)
            if isinstance(current, dict) and isinstance(value, Mapping):
                _deep_merge(current, value)
            else:
                node[last] = copy.deepcopy(value)


def parse_runtime_params(text: str) -> dict[str, Any]:
    """Parse ``--params "a.b=1,c=x"`` into ``{"a.b": 1, "c": "x"}``.

    Values are read as YAML scalars (``1`` -> int, ``true`` -> bool, ``null`` -> None);
    anything else, an empty value included, stays a string. A value cannot contain a comma.

    Raises:
        ConfigError: an item is not ``key=value``, naming the item.
    """
    params: dict[str, Any] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep:
            raise ConfigError(f"Runtime parameter '{item.strip()}' is not of the form key=value")
        if not key:
            # The value is not echoed: runtime parameters may carry a token.
            raise ConfigError("Runtime parameter '=...' has an empty key (expected key=value)")
        params[key] = _parse_scalar(raw.strip())
    return params


def _parse_scalar(raw: str) -> Any:
    if not raw:
        return ""
    try:
        value = yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw
    if isinstance(value, dict | list):
        return raw
    return value
