"""Errors a user can cause, each carrying one message that names what is wrong.

Everything deriving from :class:`HooklineError` is shown to the user as a single line
(no traceback) by the CLI, which exits with code 2 for configuration and usage errors.
:class:`WorkerDied` and :class:`RemoteTraceback` describe failures in the worker processes of
``ParallelRunner`` and ``DaskRunner``. :class:`Terminated` is how a run stopped by SIGTERM or
SIGHUP ends, as ``KeyboardInterrupt`` is for Ctrl-C.
"""

from __future__ import annotations

import difflib
import signal
from collections.abc import Iterable


class HooklineError(Exception):
    """Base class of every error whose message is meant for the person running hookline."""


class ConfigError(HooklineError):
    """A configuration file or option is wrong: bad YAML, a missing or unknown key, a bad value."""


class PipelineError(HooklineError):
    """A pipeline cannot be built or filtered: a cycle, a duplicate output, an unknown name."""


class DatasetError(HooklineError):
    """A dataset cannot be created, loaded or saved."""


class NodeInputError(HooklineError):
    """A node was given inputs that do not match the ones it declares."""


class NodeOutputError(HooklineError):
    """A node returned something that does not match the outputs it declares."""


class HookError(HooklineError):
    """A hook implementation is invalid (unknown hook or argument, class instead of instance)."""


class ProjectError(HooklineError):
    """A project folder, its settings or its pipeline registry cannot be used."""


class HookFailed(Exception):
    """A hook implementation raised before the pipeline started (``after_context_created``,
    ``after_catalog_created``). The message names the hook, the class and where it came from
    (settings or a distribution); the implementation's own exception is the ``__cause__``.
    Not a :class:`HooklineError`: it is a bug in a hook, reported with its traceback.
    """


class RedactedError(Exception):
    """Stands in for an exception that quoted a secret which could not be hidden in place (a
    message built from ``OSError.filename`` or from a non-string argument). Its message is the
    original's type name and message with the secrets replaced by ``***``; the traceback is the
    original's, its causes are left out. Not a :class:`HooklineError`: like the error it
    replaces, it is reported with its traceback.
    """


class WorkerDied(RuntimeError):
    """A worker process of ``ParallelRunner`` or ``DaskRunner`` died while it ran a node (killed
    by a signal, the out-of-memory killer, ``os._exit``). The message names the node and, when
    known, the exit code or signal. Not a :class:`HooklineError`: like a node's own error, it
    is reported with ``on_pipeline_error`` and the resume command.
    """


class Terminated(KeyboardInterrupt):
    """The run was stopped by a signal asking the process to end (SIGTERM, SIGHUP): what
    ``docker stop``, Kubernetes, systemd, Slurm or a closed terminal send.

    A ``KeyboardInterrupt``, so that it takes Ctrl-C's path everywhere (the runners stop their
    workers, plugins end their work as killed, ``except Exception`` in user code cannot
    swallow it), and so that code that must tell them apart can.

    Attributes:
        signum: The signal's number.
        signal_name: The signal's name, e.g. ``"SIGTERM"``.
        exit_code: What the process exits with: 128 plus the signal's number, as a shell
            reports a process killed by it (143 for SIGTERM, 129 for SIGHUP).
        resume_from: Node names to pass to ``--from-nodes`` to finish the run (set by the
            session once the error hooks have run; empty when nothing is left to run).
    """

    def __init__(self, signum: int) -> None:
        self.signum = signum
        self.signal_name = signal_name(signum)
        self.exit_code = 128 + signum
        self.resume_from: list[str] = []
        super().__init__(f"the run was stopped by {self.signal_name} (signal {signum})")

    def __reduce__(self) -> tuple[type[Terminated], tuple[int]]:
        # Built again from the number: the message alone would not do for __init__.
        return (type(self), (self.signum,))


def signal_name(signum: int) -> str:
    """``"SIGTERM"`` for 15; the number as text for a signal Python does not name."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return str(signum)


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker process, as text.

    The main process re-raises the worker's exception (of its original type) with this as its
    ``__cause__``, so that printing the exception prints where it happened in the worker.
    Frames inside hookline itself are left out of the text.

    Attributes:
        text: The formatted traceback, with its chained causes.
        failed_in: The hook implementation the exception was raised in, if any, as
            :meth:`hookline.hooks.manager.HookManager.describe_failure` names it.
    """

    def __init__(self, text: str, failed_in: str | None = None) -> None:
        super().__init__(text, failed_in)
        self.text = text
        self.failed_in = failed_in

    def __str__(self) -> str:
        return f"\n{self.text}"


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest candidate to ``name``, or ``""``."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" Did you mean '{matches[0]}'?" if matches else ""
