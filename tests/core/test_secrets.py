"""Secrets in errors: what the catalog hides, how, and that every error hook, in every runner
(worker processes included), and every way a run ends only ever sees the hidden text.

The errors are real exceptions raised by real nodes, datasets and hooks; what the hooks saw is
recorded into a file, so the copies that ParallelRunner and DaskRunner make in their worker
processes record too.
"""

from __future__ import annotations

import json
import subprocess
import traceback
from pathlib import Path
from typing import Any

import pytest

from hookline import DataCatalog, hook_impl, node, pipeline
from hookline.datasets import MemoryDataset
from hookline.datasets.base import secret_strings
from hookline.errors import ConfigError, HookFailed, RedactedError
from hookline.hooks.manager import create_hook_manager
from hookline.runner import AbstractRunner
from hookline.session import HooklineSession, RunFailed
from tests.support import RUNNERS, ProjectFactory

SECRET = "hunter2-Zq9-planted-secret"
CONNECTION = f"postgresql://reader:{SECRET}@db.internal:5432/sales"
#: credentials.yml as the catalog receives it.
CREDENTIALS = {"warehouse": {"username": "admin", "host": "localhost", "password": SECRET}}


@pytest.fixture(params=sorted(RUNNERS))
def runner(request: pytest.FixtureRequest) -> AbstractRunner:
    """Each runner in turn (worker processes for ParallelRunner and DaskRunner)."""
    return RUNNERS[request.param](request)


def everything_shown(error: BaseException) -> str:
    """What printing ``error`` shows (message, notes, the chain of causes), and its args."""
    return "".join(traceback.format_exception(error)) + repr(error.args)


# -- which values are secrets ------------------------------------------------------------------


def test_only_secret_keys_and_connection_strings_are_secrets() -> None:
    found = secret_strings(
        {
            "warehouse": {"username": "admin", "host": "localhost", "password": SECRET},
            "s3": {"bucket": "data", "region": "eu-west-1", "key": "AKIA-planted",
                   "secret": "s3-planted-secret", "client_kwargs": {"endpoint": "planted-endpoint"}},
            "db": {"con": CONNECTION},
            "odbc": {"con": "Driver={SQL Server};Server=sql1;Pwd=odbc-planted;"},
            "api": {"token": 12345678, "short_token": "abc"},
            "flags": {"password_enabled": True},
        }
    )  # fmt: skip
    assert set(found) == {
        SECRET,
        "AKIA-planted",
        "s3-planted-secret",
        "planted-endpoint",
        CONNECTION,
        "Driver={SQL Server};Server=sql1;Pwd=odbc-planted;",
        "12345678",
    }
    # Longest first, so that a secret holding another is hidden whole.
    assert found == sorted(found, key=len, reverse=True)


def test_ordinary_credentials_values_stay_readable_in_a_node_error() -> None:
    catalog = DataCatalog.from_config({}, CREDENTIALS)
    error = catalog.redact_error(
        FileNotFoundError(f"data/admin/localhost.csv not found; login {SECRET} refused")
    )
    assert str(error) == "data/admin/localhost.csv not found; login *** refused"


# -- where the secrets come from -------------------------------------------------------------


def test_inline_credentials_of_an_entry_are_hidden_too(tmp_path: Path) -> None:
    catalog = DataCatalog.from_config(
        {"x": {"type": "json.JSONDataset", "filepath": str(tmp_path / "x.json"),
               "credentials": {"password": SECRET}}},
        credentials=None,
    )  # fmt: skip
    error = catalog.redact_error(ValueError(f"login with {SECRET} refused"))
    assert str(error) == "login with *** refused"


def test_a_url_password_is_hidden_without_any_credentials_file() -> None:
    error = DataCatalog().redact_error(ConnectionError(f"cannot reach {CONNECTION}"))
    assert str(error) == "cannot reach postgresql://***@db.internal:5432/sales"


# -- how an error is hidden ------------------------------------------------------------------


def test_a_message_made_of_string_args_is_hidden_in_place() -> None:
    catalog = DataCatalog.from_config({}, CREDENTIALS)
    original = ValueError(f"password {SECRET} refused")
    original.add_note(f"retried with {SECRET}")

    error = catalog.redact_error(original)

    assert error is original
    assert SECRET not in everything_shown(error)
    assert "password *** refused" in everything_shown(error)
    assert "retried with ***" in everything_shown(error)


def raise_file_not_found() -> None:
    raise FileNotFoundError(2, "No such file or directory", f"/mnt/{SECRET}/input.csv")


@pytest.mark.parametrize(
    ("make_error", "expected"),
    [
        (
            lambda: _raised(raise_file_not_found),
            "FileNotFoundError: [Errno 2] No such file or directory: '/mnt/***/input.csv'",
        ),
        (
            lambda: _raised(lambda: subprocess.run(["sh", "-c", "exit 3", SECRET], check=True)),
            "CalledProcessError: Command '['sh', '-c', 'exit 3', '***']' returned non-zero "
            "exit status 3.",
        ),
        (lambda: KeyError(("warehouse", SECRET)), "KeyError: ('warehouse', '***')"),
    ],
    ids=["OSError.filename", "CalledProcessError.cmd", "non-string args"],
)
def test_a_message_not_made_of_string_args_is_replaced(make_error: Any, expected: str) -> None:
    catalog = DataCatalog.from_config({}, CREDENTIALS)
    original = make_error()

    error = catalog.redact_error(original)

    assert isinstance(error, RedactedError)
    assert str(error) == expected
    assert SECRET not in everything_shown(error)
    # Raised from None, but where it happened is kept.
    assert error.__cause__ is None
    assert error.__suppress_context__
    assert error.__traceback__ is original.__traceback__
    # Idempotent: the main process hides again what a worker process hid.
    assert catalog.redact_error(error) is error


def _raised(action: Any) -> BaseException:
    try:
        action()
    except Exception as error:
        return error
    raise AssertionError("nothing was raised")


class ReadOnlyArgs(Exception):
    """An exception class whose ``args`` cannot be set (its message still comes from them)."""

    @property  # type: ignore[override]
    def args(self) -> tuple[str, ...]:
        return ("read-only",)


def test_an_error_whose_args_cannot_be_set_is_replaced_not_raised() -> None:
    catalog = DataCatalog.from_config({}, CREDENTIALS)

    error = catalog.redact_error(ReadOnlyArgs(f"password {SECRET} refused"))

    assert isinstance(error, RedactedError)
    assert str(error) == "ReadOnlyArgs: password *** refused"


def test_causes_are_hidden_and_a_cause_that_cannot_be_is_cut() -> None:
    catalog = DataCatalog.from_config({}, CREDENTIALS)
    try:
        try:
            try:
                raise_file_not_found()
            except OSError as unreadable:
                raise ValueError(f"cannot read with {SECRET}") from unreadable
        except ValueError as inner:
            raise RuntimeError("the node failed") from inner
    except RuntimeError as outer:
        error = catalog.redact_error(outer)

    shown = everything_shown(error)
    assert SECRET not in shown
    # The cause whose message is its args is kept (hidden); the OSError, whose message comes
    # from its filename, is cut off the chain.
    assert "ValueError: cannot read with ***" in shown
    assert "FileNotFoundError" not in shown
    assert error.__cause__ is not None
    assert error.__cause__.__cause__ is None
    assert error.__cause__.__context__ is None


# -- what the error hooks receive, in every runner -------------------------------------------


class ErrorHooks:
    """Records what ``on_node_error`` and ``on_pipeline_error`` received (the text printing the
    error shows, with its causes) into a JSON-lines file: worker copies record there too."""

    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path

    def _record(self, hook: str, error: BaseException) -> None:
        entry = {"hook": hook, "type": type(error).__name__, "shown": everything_shown(error)}
        with self.log_path.open("a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")

    def seen(self) -> list[dict[str, str]]:
        """Every recorded call, in order."""
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines]

    @hook_impl
    def on_node_error(self, error: BaseException) -> None:
        self._record("on_node_error", error)

    @hook_impl
    def on_pipeline_error(self, error: BaseException) -> None:
        self._record("on_pipeline_error", error)


def connect(rows: int) -> int:
    raise ConnectionError(f"cannot reach the database at {CONNECTION}")


def open_input(rows: int) -> int:
    raise_file_not_found()
    return rows


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        (connect, "ConnectionError: cannot reach the database at ***"),
        (open_input, "RedactedError: FileNotFoundError: [Errno 2] No such file or directory: "
                     "'/mnt/***/input.csv'"),
    ],
    ids=["in place", "replaced"],
)  # fmt: skip
def test_on_node_error_never_sees_a_secret_in_any_runner(
    runner: AbstractRunner, tmp_path: Path, function: Any, expected: str
) -> None:
    hooks = ErrorHooks(tmp_path / "errors.jsonl")
    catalog = DataCatalog.from_config({}, {"db": {"con": CONNECTION}})
    catalog.add("rows", MemoryDataset(3))
    pipe = pipeline([node(function, "rows", "result", name="query")])

    with pytest.raises((ConnectionError, RedactedError)) as raised:
        runner.run(pipe, catalog, create_hook_manager([hooks], load_entry_points=False))

    [seen] = hooks.seen()
    assert seen["hook"] == "on_node_error"
    assert SECRET not in seen["shown"]
    assert expected in seen["shown"]
    assert SECRET not in everything_shown(raised.value)
    assert expected.split(": ", 1)[1] in str(raised.value)


# -- errors outside the nodes ----------------------------------------------------------------

SESSION_NODES = """
def double(x):
    return x * 2
"""

SECRET_QUOTING_HOOKS = f"""
from hookline import hook_impl
from hookline.errors import ConfigError

SECRET = {SECRET!r}


class QuotingHooks:
    def __init__(self, where):
        self.where = where

    @hook_impl
    def after_context_created(self, context):
        if self.where == "after_context_created":
            raise ValueError(f"bad credentials: {{context.config_loader['credentials']}}")

    @hook_impl
    def after_catalog_created(self, conf_creds):
        if self.where == "after_catalog_created":
            raise ValueError(f"bad credentials: {{conf_creds}}")

    @hook_impl
    def before_pipeline_run(self):
        if self.where == "before_pipeline_run":
            raise FileNotFoundError(2, "No such file or directory", f"/mnt/{{SECRET}}/conf")
        if self.where == "configuration":
            raise ConfigError(f"tracking_uri: cannot reach https://bot:{{SECRET}}@tracker")

    @hook_impl
    def after_pipeline_run(self):
        if self.where == "after_pipeline_run":
            raise ConnectionError(f"cannot report to https://bot:{{SECRET}}@chat.example/hook")
"""


def session_quoting_a_secret(make_project: ProjectFactory, where: str) -> HooklineSession:
    """A session whose project hook quotes the credentials at ``where``."""
    project = make_project(
        SESSION_NODES,
        'return {"__default__": pipeline([node(double, "params:x", "y", name="double")])}',
        settings=SECRET_QUOTING_HOOKS + f"\nHOOKS = (QuotingHooks({where!r}),)\n",
        conf={
            "base/parameters.yml": "x: 1\n",
            "local/credentials.yml": f"warehouse: {{username: admin, password: {SECRET}}}\n",
        },
    )
    return HooklineSession.create(project)


@pytest.mark.parametrize("where", ["before_pipeline_run", "after_pipeline_run"])
def test_a_pipeline_hook_quoting_a_secret_is_hidden_everywhere(
    make_project: ProjectFactory, tmp_path: Path, where: str
) -> None:
    session = session_quoting_a_secret(make_project, where)
    hooks = ErrorHooks(tmp_path / "errors.jsonl")
    session.load_context().hook_manager.register_hooks(hooks, source="test")

    with pytest.raises(RunFailed) as failure:
        session.run()

    [seen] = hooks.seen()
    assert seen["hook"] == "on_pipeline_error"
    assert SECRET not in seen["shown"]
    assert "***" in seen["shown"]
    assert SECRET not in str(failure.value)
    assert SECRET not in everything_shown(failure.value)
    assert "***" in str(failure.value)
    # Still named: which hook of which class failed.
    assert failure.value.failed_in == f"hook {where} of QuotingHooks (from settings)"


def test_a_configuration_error_of_a_plugin_quoting_a_secret_is_hidden(
    make_project: ProjectFactory, tmp_path: Path
) -> None:
    session = session_quoting_a_secret(make_project, "configuration")
    hooks = ErrorHooks(tmp_path / "errors.jsonl")
    session.load_context().hook_manager.register_hooks(hooks, source="test")

    # Nothing ran: the usage error itself is raised (the CLI prints it as its Error: line).
    with pytest.raises(ConfigError) as failure:
        session.run()

    assert str(failure.value) == "tracking_uri: cannot reach https://***@tracker"
    [seen] = hooks.seen()
    assert SECRET not in seen["shown"]


@pytest.mark.parametrize("where", ["after_context_created", "after_catalog_created"])
def test_a_failing_start_up_hook_does_not_quote_the_credentials(
    make_project: ProjectFactory, where: str
) -> None:
    # after_context_created runs before any catalog exists, yet can read credentials.yml.
    session = session_quoting_a_secret(make_project, where)

    with pytest.raises(HookFailed) as failure:
        session.run()

    assert f"hook {where} of QuotingHooks (from settings) failed" in str(failure.value)
    assert "'password': '***'" in str(failure.value)
    assert SECRET not in everything_shown(failure.value)
