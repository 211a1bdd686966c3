"""What a hookline plugin imports: the one module a plugin author needs to read.

A plugin is a distribution whose hook object is named by an entry point in the
``hookline.hooks`` group (and, for commands, a click command in ``hookline.commands``)::

    [project]
    dependencies = ["hookline>=0.2.0"]   # the core this module's names come from

    [project.entry-points."hookline.hooks"]
    my_plugin = "hookline_my_plugin:hooks"

Installing the distribution is enough: every run registers ``hooks``. Its class marks each
method named after a hook specification with :data:`hook_impl`; the specifications (in
:mod:`hookline.hooks.specs`) are the lifecycle of a run, and a method takes any subset of its
spec's arguments, by name::

    from hookline.plugin import (
        Measurement, Node, boolean, check_keys, hook_impl, publish_measurement, read_section,
    )

    class MyHooks:
        enabled = True

        @hook_impl
        def after_context_created(self, context):
            section = read_section(context.config_loader, "my_plugin")  # my_plugin.yml
            if section is not None:
                raw, where = section
                check_keys(raw, ("enabled",), where, "the my_plugin configuration")
                self.enabled = boolean(raw, "enabled", where, default=True)

        @hook_impl
        def after_node_run(self, node: Node, outputs):
            if self.enabled:
                publish_measurement(Measurement(
                    "my_plugin.outputs", len(outputs), "count",
                    node=node.name, source="hookline-my-plugin",
                ))

    hooks = MyHooks()

What a plugin is expected to do:

- Read its own ``conf/<env>/<name>.yml`` in ``after_context_created`` with
  :func:`read_section`, and check it with :func:`check_keys`, :func:`boolean`,
  :func:`number`, :func:`whole`, :func:`choice`, :func:`text` and :func:`mapping`: a bad value
  raises :class:`ConfigError` naming the file and key, worded as every other plugin's.
- Never fail a run because its own backend (a server, a reader) fails: log one warning and go
  on. Raise only for what the user must fix (:class:`ConfigError`, :class:`HooklineError`).
- Keep secrets out of everything it sends or logs: the strings of the run's credentials are
  ``secret_strings(context.config_loader["credentials"])``; pass every text through
  :func:`redact_text` and every mapping of parameters through :func:`redact_mapping` (the rules
  are in :mod:`hookline.secrets`). An error a hook receives has been redacted already.
- Share figures through :func:`publish_measurement`: every plugin's ``on_measurement`` and the
  run summary receive them, from whichever process took them.
- Under ParallelRunner and DaskRunner a pickled copy of the hook object runs in each worker
  process: hand it what the main process learnt through ``export_worker_state`` and
  ``restore_worker_state``.
- ``on_pipeline_error`` receives a ``KeyboardInterrupt`` when the run was stopped (Ctrl-C),
  or a :class:`Terminated` (a ``KeyboardInterrupt`` too) when SIGTERM or SIGHUP stopped it:
  end the plugin's work as killed, and quickly (the process exits at once after a grace
  period or a second signal).
- ``run_params`` hold what Kedro 1.7 passes (see :mod:`hookline.run_params`): the default
  pipeline's ``pipeline_name`` is ``None`` and ``runner`` is the ``str()`` of the runner. Show
  them with :func:`shown_pipeline_name` (``__default__``) and :func:`runner_name`
  (``SequentialRunner``), as every plugin of hookline does.
- A plugin's own command reads the project's configuration through
  :func:`project_config_loader`.

Importing this module is cheap (no heavy library, and the run machinery behind
:class:`HooklineContext` and :class:`DataCatalog` is imported on first use), so a plugin can
import it at the top of its entry-point module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hookline import __version__
from hookline.errors import (
    ConfigError,
    HooklineError,
    ProjectError,
    Terminated,
    did_you_mean,
)
from hookline.hooks.markers import hook_impl
from hookline.measurements import CORE_SOURCE, Measurement, publish_measurement
from hookline.node import Node
from hookline.pipeline import Pipeline
from hookline.plugin_config import (
    boolean,
    check_keys,
    choice,
    mapping,
    number,
    project_config_loader,
    read_section,
    text,
    whole,
)
from hookline.project import DEFAULT_PIPELINE, find_project, load_pipelines
from hookline.run_params import runner_name, shown_pipeline_name
from hookline.secrets import (
    REDACTED,
    contains_secret,
    has_userinfo,
    is_secret_key,
    redact_error,
    redact_mapping,
    redact_text,
    redact_userinfo,
    secret_strings,
    sort_secrets,
    strip_userinfo,
)

if TYPE_CHECKING:
    from hookline.catalog import DataCatalog
    from hookline.context import HooklineContext

__all__ = [
    "CORE_SOURCE",
    "DEFAULT_PIPELINE",
    "REDACTED",
    "ConfigError",
    "DataCatalog",
    "HooklineContext",
    "HooklineError",
    "Measurement",
    "Node",
    "Pipeline",
    "ProjectError",
    "Terminated",
    "__version__",
    "boolean",
    "check_keys",
    "choice",
    "contains_secret",
    "did_you_mean",
    "find_project",
    "has_userinfo",
    "hook_impl",
    "is_secret_key",
    "load_pipelines",
    "mapping",
    "number",
    "project_config_loader",
    "publish_measurement",
    "read_section",
    "redact_error",
    "redact_mapping",
    "redact_text",
    "redact_userinfo",
    "runner_name",
    "secret_strings",
    "shown_pipeline_name",
    "sort_secrets",
    "strip_userinfo",
    "text",
    "whole",
]

#: Types hooks receive whose modules pull in the run machinery: imported on first use.
_ON_FIRST_USE = {
    "DataCatalog": "hookline.catalog",
    "HooklineContext": "hookline.context",
}


def __getattr__(name: str) -> Any:
    """Import a type hooks receive from its module the first time it is used."""
    if name not in _ON_FIRST_USE:
        raise AttributeError(f"module 'hookline.plugin' has no attribute '{name}'")
    value = getattr(importlib.import_module(_ON_FIRST_USE[name]), name)
    globals()[name] = value
    return value
