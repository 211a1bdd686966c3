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
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from hookline.plugin import ConfigError, boolean, check_keys, choice, number, read_section, whole

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
# More operations than anyone reads in a summary; the bound keeps "top: 1e9" from meaning much.
_MAX_TOP = 1000


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
    check_keys(raw, ALLOWED_KEYS, where, "the memory configuration")
    backend = choice(raw, "backend", where, BACKEND_NAMES)
    if backend == "memory_profiler" and importlib.util.find_spec("memory_profiler") is None:
        raise ConfigError(
            f"{where}: backend 'memory_profiler' needs the memory_profiler package: "
            'pip install "hookline-memory[memory-profiler]", or choose backend: psutil.'
        )
    interval = number(
        raw,
        "interval",
        where,
        _DEFAULT_INTERVAL[backend],
        at_least=_MIN_INTERVAL,
        at_most=_MAX_INTERVAL,
        unit="seconds",
    )
    threshold = number(raw, "threshold_mib", where, DEFAULT.threshold_mib, at_least=0)
    top = whole(raw, "top", where, DEFAULT.top, 0, _MAX_TOP)
    measure = _measure(raw.get("measure", {}), where)
    return replace(
        DEFAULT,
        backend=backend,
        interval=interval,
        threshold_mib=threshold,
        include_children=boolean(
            raw, "include_children", where, _DEFAULT_INCLUDE_CHILDREN[backend]
        ),
        measure_loads=measure["loads"],
        measure_saves=measure["saves"],
        measure_nodes=measure["nodes"],
        top=top,
        reset_os_peak=boolean(raw, "reset_os_peak", where, DEFAULT.reset_os_peak),
    )


def load_config(config_loader: Any) -> MemoryConfig:
    """Read and validate ``memory.yml`` through a hookline ``ConfigLoader``.

    Returns :data:`DEFAULT` when no file supplies the configuration.

    Raises:
        ConfigError: If the file holds an unknown key or a bad value.
    """
    section = read_section(config_loader, CONFIG_KEY)
    return DEFAULT if section is None else parse_config(*section)


def _measure(value: Any, where: str) -> dict[str, bool]:
    if value is None:
        value = {}
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"{where}: key 'measure' must be a mapping with the keys {', '.join(MEASURE_KEYS)}, "
            f"not {value!r}."
        )
    check_keys(value, MEASURE_KEYS, where, "the memory configuration", "measure.")
    return {key: boolean(value, key, where, True, "measure.") for key in MEASURE_KEYS}
