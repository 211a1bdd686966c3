"""The plugin's settings: ``conf/<env>/memory.yml``, validated, with an embedded default.

Every key is optional and a project with no ``memory.yml`` at all gets :data:`DEFAULT`::

    backend: psutil          # or memory_profiler (the seed's numbers; needs the extra)
    interval: 0.002          # seconds between two samples while something is measured
    threshold_mib: 1.0       # log an operation when its peak or retained memory reaches this
    include_children: false  # add the memory of child processes (default true with memory_profiler)
    measure:
      loads: true
      saves: true
      nodes: true
    top: 5                   # operations listed, by peak, in the summary after the run
    reset_os_peak: true      # reset the process's high-water mark (Linux) to time each peak
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from hookline.errors import ConfigError, did_you_mean

#: The name of the configuration: files ``conf/<env>/memory*.yml`` are read.
CONFIG_KEY = "memory"

#: The backends ``backend:`` accepts.
BACKEND_NAMES = ("psutil", "memory_profiler")

#: The keys of ``measure:``.
MEASURE_KEYS = ("loads", "saves", "nodes")

# 2 ms: a reading costs about 1.5 us on Linux (16 us through psutil elsewhere), and the
# sampler thread then takes about 1% of one core while something is measured; touching memory
# runs at a few GiB/s, so an allocation big enough to matter (tens of MiB) lasts several
# samples. A spike shorter than that is still caught by the OS high-water mark where there is
# one.
_DEFAULT_INTERVAL = {"psutil": 0.002, "memory_profiler": 0.1}
# The seed sums the children's memory (include_children=True); psutil's default does not,
# because finding children means listing every process of the machine.
_DEFAULT_INCLUDE_CHILDREN = {"psutil": False, "memory_profiler": True}

_MIN_INTERVAL = 0.0001
_MAX_INTERVAL = 60.0


@dataclass(frozen=True)
class MemoryConfig:
    """The validated settings of hookline-memory.

    Attributes:
        backend: ``psutil`` (sampling, the default) or ``memory_profiler`` (the seed's
            before/after readings, each lasting ``interval``).
        interval: Seconds between two samples of the sampler thread; with ``memory_profiler``
            also the length of each before/after reading (the seed's 0.1).
        threshold_mib: An operation is logged when its peak or its retained memory (in
            absolute value) is at least this many MiB. Figures are published regardless.
        include_children: Whether child processes' memory is added to the process's own.
        measure_loads: Whether dataset loads are measured.
        measure_saves: Whether dataset saves are measured.
        measure_nodes: Whether node runs are measured.
        top: How many operations the summary after the run lists (0: no summary).
        reset_os_peak: Whether the process's high-water mark may be reset (Linux,
            ``/proc/self/clear_refs``) when a measurement starts with nothing else measured,
            so that it tells each operation's peak. This also resets what ``getrusage``'s
            ``ru_maxrss`` and ``/usr/bin/time`` report for the whole process.
    """

    backend: str = "psutil"
    interval: float = _DEFAULT_INTERVAL["psutil"]
    threshold_mib: float = 1.0
    include_children: bool = False
    measure_loads: bool = True
    measure_saves: bool = True
    measure_nodes: bool = True
    top: int = 5
    reset_os_peak: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as plain, picklable values (for worker processes)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> MemoryConfig:
        """Rebuild settings made by :meth:`to_dict`, ignoring keys this version lacks."""
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in values.items() if key in known})


#: The settings of a project with no ``memory.yml``.
DEFAULT = MemoryConfig()

#: The keys ``memory.yml`` accepts at its top level.
ALLOWED_KEYS = (
    "backend",
    "interval",
    "threshold_mib",
    "include_children",
    "measure",
    "top",
    "reset_os_peak",
)


def parse_config(raw: Mapping[str, Any], where: str) -> MemoryConfig:
    """Validate the merged contents of ``memory.yml`` and return the settings.

    Args:
        raw: The mapping read from the configuration files.
        where: The file (or files) it came from, named in every error message.

    Raises:
        ConfigError: Naming ``where``, the key and, for an unknown key, the allowed keys.
    """
    unknown = [str(key) for key in raw if key not in ALLOWED_KEYS]
    if unknown:
        raise ConfigError(
            f"{where}: unknown key '{unknown[0]}' in the memory configuration."
            f"{did_you_mean(unknown[0], ALLOWED_KEYS)} Allowed keys: {', '.join(ALLOWED_KEYS)}."
        )
    backend = raw.get("backend", "psutil")
    if backend not in BACKEND_NAMES:
        raise ConfigError(
            f"{where}: key 'backend' must be one of {', '.join(BACKEND_NAMES)}, "
            f"not {backend!r}.{did_you_mean(str(backend), BACKEND_NAMES)}"
        )
    if backend == "memory_profiler" and importlib.util.find_spec("memory_profiler") is None:
        raise ConfigError(
            f"{where}: backend 'memory_profiler' needs the memory_profiler package: "
            'pip install "hookline-memory[memory-profiler]", or choose backend: psutil.'
        )
    interval = _number(raw, "interval", where, _DEFAULT_INTERVAL[backend])
    if not _MIN_INTERVAL <= interval <= _MAX_INTERVAL:
        raise ConfigError(
            f"{where}: key 'interval' is in seconds and must be between {_MIN_INTERVAL} and "
            f"{_MAX_INTERVAL}, not {interval}."
        )
    threshold = _number(raw, "threshold_mib", where, DEFAULT.threshold_mib)
    if threshold < 0:
        raise ConfigError(f"{where}: key 'threshold_mib' must be 0 or more, not {threshold}.")
    top = raw.get("top", DEFAULT.top)
    if isinstance(top, bool) or not isinstance(top, int) or top < 0:
        raise ConfigError(f"{where}: key 'top' must be a whole number, 0 or more, not {top!r}.")
    measure = _measure(raw.get("measure", {}), where)
    return replace(
        DEFAULT,
        backend=backend,
        interval=interval,
        threshold_mib=threshold,
        include_children=_boolean(
            raw, "include_children", where, _DEFAULT_INCLUDE_CHILDREN[backend]
        ),
        measure_loads=measure["loads"],
        measure_saves=measure["saves"],
        measure_nodes=measure["nodes"],
        top=top,
        reset_os_peak=_boolean(raw, "reset_os_peak", where, DEFAULT.reset_os_peak),
    )


def load_config(config_loader: Any) -> MemoryConfig:
    """Read and validate ``memory.yml`` through a hookline ``ConfigLoader``.

    Returns :data:`DEFAULT` when no file supplies the configuration.

    Raises:
        ConfigError: If the file holds an unknown key or a bad value.
    """
    raw = config_loader[CONFIG_KEY]
    if not raw:
        return DEFAULT
    return parse_config(raw, _describe_origin(config_loader, raw))


def _describe_origin(config_loader: Any, raw: Mapping[str, Any]) -> str:
    """Name the file(s) the configuration came from, for error messages."""
    files: list[Path] = []
    origin = getattr(config_loader, "origin", None)
    if origin is not None:
        for key in raw:
            path = origin(CONFIG_KEY, key)
            if path is not None and path not in files:
                files.append(path)
    if not files and hasattr(config_loader, "files"):
        files = list(config_loader.files(CONFIG_KEY))
    return ", ".join(str(path) for path in files) or f"{CONFIG_KEY}.yml"


def _number(raw: Mapping[str, Any], key: str, where: str, default: float) -> float:
    value = raw.get(key, default)
    # bool is an int to Python, but "interval: true" is a mistake, not 1 second.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: key '{key}' must be a number, not {value!r}.")
    return float(value)


def _boolean(raw: Mapping[str, Any], key: str, where: str, default: bool, prefix: str = "") -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: key '{prefix}{key}' must be true or false, not {value!r}.")
    return value


def _measure(value: Any, where: str) -> dict[str, bool]:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where}: key 'measure' must be a mapping with the keys {', '.join(MEASURE_KEYS)}, "
            f"not {value!r}."
        )
    unknown = [str(key) for key in value if key not in MEASURE_KEYS]
    if unknown:
        raise ConfigError(
            f"{where}: unknown key 'measure.{unknown[0]}'.{did_you_mean(unknown[0], MEASURE_KEYS)}"
            f" Allowed keys under 'measure': {', '.join(MEASURE_KEYS)}."
        )
    return {key: _boolean(value, key, where, True, prefix="measure.") for key in MEASURE_KEYS}
