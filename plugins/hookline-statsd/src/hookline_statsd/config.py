"""The plugin's settings: ``conf/<env>/statsd.yml``, validated, with an embedded default.

Every key is optional; a project with no ``statsd.yml`` sends over UDP to localhost:8125 with
the prefix ``hookline``::

    enabled: true
    transport: udp          # udp, tcp or unix
    host: localhost         # udp and tcp
    port: 8125              # udp and tcp
    socket_path: null       # unix: the daemon's Unix stream socket
    prefix: hookline        # dotted; every metric name starts with it
    ipv6: false             # look the host up as IPv6
    max_udp_size: 1432      # bytes per UDP packet (several lines each)
    timeout: 1.0            # seconds: TCP/Unix connect and send
    resolve_timeout: 1.0    # seconds: the host lookup at the start of a run
    tags: []                # DogStatsD tags: any of pipeline, node, dataset, session; or true
    metrics:
      nodes: true           # node duration, success, failure
      datasets: true        # dataset load and save durations
      sizes: true           # rows, columns and length of loaded and saved data
      bytes: true           # deep bytes of loaded and saved data
      runs: true            # run duration, count, failures, nodes completed
      measurements: true    # other plugins' measurements, as gauges

The environment variables ``STATSD_HOST``, ``STATSD_PORT`` and ``STATSD_PREFIX`` replace the
file's ``host``, ``port`` and ``prefix``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from hookline.plugin import (
    ConfigError,
    boolean,
    check_keys,
    choice,
    did_you_mean,
    number,
    read_section,
    text,
    whole,
)

#: The name of the configuration: files ``conf/<env>/statsd*.yml`` are read.
CONFIG_KEY = "statsd"

#: The transports ``transport:`` accepts.
TRANSPORTS = ("udp", "tcp", "unix")

#: The DogStatsD tags ``tags:`` may name.
TAG_NAMES = ("pipeline", "node", "dataset", "session")

#: The keys of ``metrics:``.
METRIC_GROUPS = ("nodes", "datasets", "sizes", "bytes", "runs", "measurements")

#: Environment variables that replace a setting of the file.
ENV_VARS = {"STATSD_HOST": "host", "STATSD_PORT": "port", "STATSD_PREFIX": "prefix"}

_MAX_UDP = 65507  # the largest UDP payload over IPv4

#: What error messages call this configuration.
WHAT = "the statsd configuration"


@dataclass(frozen=True)
class StatsdConfig:
    """The validated settings of hookline-statsd (see the module's docstring for each key).

    Attributes:
        enabled: Whether anything is sent at all.
        transport: ``udp``, ``tcp`` or ``unix``.
        host: The daemon's host name or address (udp, tcp).
        port: The daemon's port (udp, tcp).
        socket_path: The daemon's Unix stream socket (unix).
        prefix: What every metric name starts with, as it will appear in Graphite.
        ipv6: Look the host up as an IPv6 address.
        max_udp_size: The largest UDP packet sent, in bytes; a batch is split to fit.
        timeout: Seconds a TCP or Unix socket may take to connect or send.
        resolve_timeout: Seconds the host lookup at the start of a run may take.
        tags: DogStatsD tags added to each line, from :data:`TAG_NAMES`.
        nodes: Send node durations and success/failure counters.
        datasets: Send dataset load and save durations.
        sizes: Send rows, columns and length gauges of loaded and saved data.
        bytes: Send the deep bytes gauge of loaded and saved data.
        runs: Send run duration, count, failures and nodes completed.
        measurements: Send other plugins' measurements as gauges.
    """

    enabled: bool = True
    transport: str = "udp"
    host: str = "localhost"
    port: int = 8125
    socket_path: str | None = None
    prefix: str = "hookline"
    ipv6: bool = False
    max_udp_size: int = 1432
    timeout: float = 1.0
    resolve_timeout: float = 1.0
    tags: tuple[str, ...] = ()
    nodes: bool = True
    datasets: bool = True
    sizes: bool = True
    bytes: bool = True
    runs: bool = True
    measurements: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain, picklable values (for worker processes)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> StatsdConfig:
        """Settings made by :meth:`to_dict`; keys this version lacks are ignored."""
        known = {f.name for f in fields(cls)}
        kept = {key: value for key, value in values.items() if key in known}
        if "tags" in kept:
            kept["tags"] = tuple(kept["tags"])
        return cls(**kept)

    def describe_target(self) -> str:
        """Where metrics go, for messages: ``udp://localhost:8125``."""
        if self.transport == "unix":
            return f"unix://{self.socket_path}"
        return f"{self.transport}://{self.host}:{self.port}"


#: The settings of a project with no ``statsd.yml`` (before environment variables).
DEFAULT = StatsdConfig()

#: The keys ``statsd.yml`` accepts at its top level.
ALLOWED_KEYS = (
    "enabled",
    "transport",
    "host",
    "port",
    "socket_path",
    "prefix",
    "ipv6",
    "max_udp_size",
    "timeout",
    "resolve_timeout",
    "tags",
    "metrics",
)


def parse_config(raw: Mapping[str, Any], where: str) -> StatsdConfig:
    """Validate the merged contents of ``statsd.yml`` and return the settings.

    Args:
        raw: The mapping read from the configuration files.
        where: The file (or files) it came from, named in every error message.

    Raises:
        ConfigError: Naming ``where`` and the key; for an unknown key, the allowed keys.
    """
    check_keys(raw, ALLOWED_KEYS, where, WHAT)
    transport = choice(raw, "transport", where, TRANSPORTS)
    socket_path = raw.get("socket_path", None)
    if socket_path is not None and not isinstance(socket_path, str | Path):
        raise ConfigError(f"{where}: key 'socket_path' must be a path, not {socket_path!r}.")
    if transport == "unix" and not socket_path:
        raise ConfigError(
            f"{where}: transport 'unix' needs key 'socket_path' (the daemon's Unix socket)."
        )
    metrics = raw.get("metrics") or {}
    if not isinstance(metrics, Mapping):
        raise ConfigError(
            f"{where}: key 'metrics' must be a mapping with the keys "
            f"{', '.join(METRIC_GROUPS)}, not {metrics!r}."
        )
    check_keys(metrics, METRIC_GROUPS, where, WHAT, "metrics.")
    return replace(
        DEFAULT,
        enabled=boolean(raw, "enabled", where, DEFAULT.enabled),
        transport=transport,
        host=text(raw, "host", where, DEFAULT.host) or DEFAULT.host,
        port=_port(raw.get("port", DEFAULT.port), f"{where}: key 'port'"),
        socket_path=None if socket_path is None else str(socket_path),
        prefix=check_prefix(raw.get("prefix", DEFAULT.prefix), f"{where}: key 'prefix'"),
        ipv6=boolean(raw, "ipv6", where, DEFAULT.ipv6),
        max_udp_size=whole(raw, "max_udp_size", where, DEFAULT.max_udp_size, 64, _MAX_UDP),
        timeout=_seconds(raw, "timeout", where, DEFAULT.timeout),
        resolve_timeout=_seconds(raw, "resolve_timeout", where, DEFAULT.resolve_timeout),
        tags=_tags(raw.get("tags", []), where),
        **{key: boolean(metrics, key, where, True, "metrics.") for key in METRIC_GROUPS},
    )


def with_environment(
    config: StatsdConfig, environ: Mapping[str, str] | None = None
) -> StatsdConfig:
    """Apply the variables of :data:`ENV_VARS` (``STATSD_HOST``, ``STATSD_PORT``,
    ``STATSD_PREFIX``) to ``config``. An empty variable counts as unset.

    Raises:
        ConfigError: Naming the variable, for a port that is not a port number or a prefix
            that is not a dotted name.
    """
    environ = os.environ if environ is None else environ
    changes = {
        setting: _from_environment(variable, setting, environ[variable])
        for variable, setting in ENV_VARS.items()
        if environ.get(variable)
    }
    return replace(config, **changes) if changes else config


def _from_environment(variable: str, setting: str, value: str) -> Any:
    """The value of ``setting`` that the environment variable ``variable`` gives."""
    what = f"Environment variable {variable}"
    if setting == "port":
        try:
            port = int(value)
        except ValueError:
            raise ConfigError(f"{what} must be a port number, not {value!r}.") from None
        return _port(port, what)
    if setting == "prefix":
        return check_prefix(value, what)
    return value


def load_config(config_loader: Any) -> StatsdConfig:
    """Read and validate ``statsd.yml`` through a hookline ``ConfigLoader``.

    Returns :data:`DEFAULT` when no file supplies the configuration. Environment variables
    are not applied here (see :func:`with_environment`).

    Raises:
        ConfigError: If the file holds an unknown key or a bad value.
    """
    section = read_section(config_loader, CONFIG_KEY)
    return DEFAULT if section is None else parse_config(*section)


def _port(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ConfigError(f"{what} must be a port number from 1 to 65535, not {value!r}.")
    return value


def check_prefix(value: Any, what: str) -> str:
    """Validate a metric prefix and return it without leading or trailing dots.

    The prefix is part of every name: it is validated, never mapped silently, so that the
    dashboard's ``$prefix`` is exactly what the user wrote.

    Args:
        value: The prefix given.
        what: What gave it, for the message (``"<file>: key 'prefix'"``).

    Raises:
        ConfigError: If it is empty or holds anything but ASCII letters, digits, ``_`` and
            ``-`` in dot-separated levels.
    """
    if not isinstance(value, str) or not value.strip("."):
        raise ConfigError(f"{what} must be a non-empty dotted name, not {value!r}.")
    parts = value.strip(".").split(".")
    bad = [part for part in parts if not part or not all(c.isalnum() or c in "_-" for c in part)]
    if bad or not value.isascii():
        raise ConfigError(
            f"{what} must be made of ASCII letters, digits, '_' and '-', in levels separated by "
            f"single dots, not {value!r}."
        )
    return ".".join(parts)


def _seconds(raw: Mapping[str, Any], key: str, where: str, default: float) -> float:
    return number(raw, key, where, default, above=0, at_most=60, unit="seconds")


def _tags(value: Any, where: str) -> tuple[str, ...]:
    if value is True:
        return TAG_NAMES
    if value is False or value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ConfigError(
            f"{where}: key 'tags' must be true, false or a list of tag names from "
            f"{', '.join(TAG_NAMES)}, not {value!r}."
        )
    unknown = [v for v in value if v not in TAG_NAMES]
    if unknown:
        raise ConfigError(
            f"{where}: unknown tag '{unknown[0]}' in key 'tags'."
            f"{did_you_mean(unknown[0], TAG_NAMES)} Tags: {', '.join(TAG_NAMES)}."
        )
    return tuple(name for name in TAG_NAMES if name in value)
