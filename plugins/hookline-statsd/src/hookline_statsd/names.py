"""Metric names that StatsD and Graphite keep as they are.

A StatsD line is ``name:value|type``, so a ``:`` or ``|`` in a name breaks it (the daemon
counts it in ``bad_lines_seen`` and drops it) and an ``@`` starts a sample rate. Graphite makes
one folder level of every dot-separated part, and its ``*`` matches one level, so a node or
dataset name must stay one level for a dashboard to find it. The daemon itself turns ``/``
into ``-``, blanks into ``_`` and drops everything outside ``[a-zA-Z_\\-0-9.;=]``, which
would merge distinct names silently. Every name is therefore mapped here, once, as follows:

1. ``:`` and ``.`` (the separators of a parameter path or a namespace) become ``-``:
   ``params:model_options`` -> ``params-model_options``,
   ``params:model_options.test_size`` -> ``params-model_options-test_size``,
   ``data_science.companies`` -> ``data_science-companies``;
2. every run of other characters outside ``[A-Za-z0-9_]`` (blanks, ``|``, ``@``, ``/``,
   brackets, commas, ``-``, ``>``, accents ...) becomes one ``_``, and such a run at either
   end is dropped: ``split_data([companies,params:x]) -> [y]`` ->
   ``split_data_companies_params-x_y``;
3. a name longer than :data:`MAX_LENGTH` is cut and ends with ``_`` and 8 hex digits of a hash
   of the whole name, so two long names stay apart; an empty result is ``_``.

The prefix keeps its dots (``hookline.prod`` is two levels) and each of its parts is mapped
the same way.
"""

from __future__ import annotations

import hashlib
import re

#: The longest name (one Graphite level, one whisper file name without ``.wsp``).
MAX_LENGTH = 120

_SEPARATORS = re.compile(r"[:.]")
_OTHER = re.compile(r"[^A-Za-z0-9_]+")
_TAG_UNSAFE = re.compile(r"[^A-Za-z0-9_\-.]+")


def metric_part(name: str) -> str:
    """Map ``name`` (a node, dataset or pipeline name) to one readable Graphite level.

    Args:
        name: The name as the pipeline knows it.

    Returns:
        A non-empty string of ``[A-Za-z0-9_-]``, at most :data:`MAX_LENGTH` long.
    """
    # A '-' of the name itself becomes '_' first, so that '-' is always a separator of step 1.
    joined = "-".join(_OTHER.sub("_", part) for part in _SEPARATORS.split(name))
    core = joined.strip("_")
    # Underscores the name itself starts or ends with are kept (`__default__` stays itself);
    # only those made from other characters are dropped.
    lead = len(name) - len(name.lstrip("_"))
    trail = len(name) - len(name.rstrip("_")) if name.strip("_") else 0
    mapped = "_" * lead + core + "_" * trail if core else "_" * max(lead, 1)
    if len(mapped) > MAX_LENGTH:
        digest = hashlib.blake2b(name.encode("utf-8"), digest_size=4).hexdigest()
        mapped = f"{mapped[: MAX_LENGTH - 9]}_{digest}"
    return mapped


def metric_path(dotted: str) -> str:
    """Map a dotted name (a prefix, a measurement name) level by level; empty levels go."""
    return ".".join(metric_part(part) for part in dotted.split(".") if part)


def tag_value(value: str) -> str:
    """Map a DogStatsD tag value to ``[A-Za-z0-9_.-]``, which the daemons keep as it is: ``:``
    becomes ``-`` as in names (``params:x`` -> ``params-x``), and every run of other
    characters (``,``, ``|``, ``#``, ``@``, ``/``, blanks ...) one ``_``."""
    return _TAG_UNSAFE.sub("_", value.replace(":", "-")) or "_"
