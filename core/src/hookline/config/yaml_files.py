"""Reading one configuration file: YAML (or JSON, which YAML reads too) whose top level is a
mapping.

Scalars are read as OmegaConf (and so Kedro) reads them: a date stays a string
(``2024-01-01``), and ``1e5`` is a float. A key written twice in one mapping is an error, and
no error quotes the file's text: credentials live in these files too.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode

from hookline.errors import ConfigError

__all__ = ["read_config_file"]

if TYPE_CHECKING:
    _BaseLoader = yaml.SafeLoader
else:
    # libyaml's parser when PyYAML has it: several times faster on large catalogs.
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_FLOAT_TAG = "tag:yaml.org,2002:float"
# YAML 1.1 wants a dot and a signed exponent ("1.0e+5"); OmegaConf also reads "1e5", "1.5e5"
# and "1e-3" as floats, and so must hookline for a value to mean what it means under Kedro.
_FLOAT_WITH_EXPONENT = re.compile(
    r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)[eE][-+]?[0-9]+$"
)


class _ConfigFileLoader(_BaseLoader):
    """The safe loader, refusing a key written twice in one mapping (PyYAML keeps the last),
    with OmegaConf's reading of dates and floats (see the module's docstring)."""

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


# A date is text to OmegaConf, which cannot hold a date object.
_ConfigFileLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ConfigFileLoader.add_implicit_resolver(_FLOAT_TAG, _FLOAT_WITH_EXPONENT, list("-+.0123456789"))


def read_config_file(path: Path) -> dict[str, Any]:
    """The mapping in ``path``; ``{}`` for an empty file.

    Raises:
        ConfigError: The file cannot be read, is not YAML, writes a key twice in one mapping,
            or its top level is not a mapping; the message names the file (and the line and
            column where YAML can tell) and never quotes the text.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    loader = _ConfigFileLoader(text)
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
    return data
