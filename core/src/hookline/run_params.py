"""The ``run_params`` the pipeline hooks receive, in the form Kedro 1.7 gives them, and the two
names plugins show from them: the pipeline's and the runner's.

A hook class written for Kedro reads the same keys with the same meaning. Each filter holds
what ``kedro run`` passes when the option is not used: an empty tuple (``tags``,
``node_names``), an empty list (the others) or an empty mapping (``load_versions``);
``pipeline_names`` is ``None`` unless a pipeline was named, and ``runner`` is
``getattr(runner, "__name__", str(runner))``, for an instance the text ``str()`` gives
(``<hookline.runner.sequential.SequentialRunner object at 0x...>``).
:func:`shown_pipeline_name` and :func:`runner_name` give what a person reads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hookline import __version__
from hookline.project import DEFAULT_PIPELINE

#: The Kedro release whose hook API ``run_params`` follow, given as ``kedro_version``: hook
#: code compares it to decide which API to use. hookline's own version is ``hookline_version``.
KEDRO_API_VERSION = "1.7.0"

#: ``str()`` of an object whose class does not define one: ``<module.Class object at 0x...>``.
_DEFAULT_STR = re.compile(r"<(?:[\w.]+\.)?(?P<name>\w+) object at 0x[0-9a-fA-F]+>")


def make_run_params(
    *,
    session_id: str,
    project_path: Path,
    env: str | None,
    runtime_params: Mapping[str, Any],
    pipeline_name: str | None,
    runner: object,
    tags: Iterable[str] = (),
    node_names: Iterable[str] = (),
    from_nodes: Iterable[str] = (),
    to_nodes: Iterable[str] = (),
    from_inputs: Iterable[str] = (),
    to_outputs: Iterable[str] = (),
    load_versions: Mapping[str, str] | None = None,
    namespaces: Iterable[str] = (),
) -> dict[str, Any]:
    """The ``run_params`` of a run: Kedro 1.7's keys, then the older ones Kedro hooks of
    0.18/0.19 read (``session_id``, ``pipeline_name``, ``extra_params``, ``namespace``), then
    ``hookline_version``.

    Args:
        pipeline_name: The pipeline asked for; ``None`` for the default one.
        runner: The runner instance (or class) that runs the pipeline.
    """
    namespace_list = list(namespaces)
    return {
        "run_id": session_id,
        "project_path": project_path.as_posix(),
        "env": env,
        "kedro_version": KEDRO_API_VERSION,
        "tags": tuple(tags),
        "from_nodes": list(from_nodes),
        "to_nodes": list(to_nodes),
        "node_names": tuple(node_names),
        "from_inputs": list(from_inputs),
        "to_outputs": list(to_outputs),
        "load_versions": dict(load_versions or {}),
        "runtime_params": dict(runtime_params),
        "pipeline_names": None if pipeline_name is None else [pipeline_name],
        "namespaces": namespace_list,
        "runner": getattr(runner, "__name__", str(runner)),
        # hookline has no option to run only the nodes whose outputs are missing.
        "only_missing_outputs": False,
        "session_id": session_id,
        "pipeline_name": pipeline_name,
        "extra_params": dict(runtime_params),
        # Kedro 0.19 filtered by one namespace; several have no value in that form.
        "namespace": namespace_list[0] if len(namespace_list) == 1 else None,
        "hookline_version": __version__,
    }


def shown_pipeline_name(run_params: Mapping[str, Any]) -> str:
    """The name of the pipeline a run ran, as run names, tags, metrics and the run history
    show it: ``__default__`` when none was named (``pipeline_name`` is then ``None``)."""
    return str(run_params.get("pipeline_name") or DEFAULT_PIPELINE)


def runner_name(run_params: Mapping[str, Any]) -> str:
    """The class name of the run's runner (``SequentialRunner``), read from
    ``run_params["runner"]``; a runner whose ``str()`` is its own is shown by that text, and
    an empty text means ``run_params`` name no runner."""
    runner = run_params.get("runner")
    if runner is None:
        return ""
    text = str(runner)
    default = _DEFAULT_STR.fullmatch(text)
    return default.group("name") if default else text
