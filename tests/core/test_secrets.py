"""Secrets: each rule of :mod:`hookline.secrets` (which keys and which credentials values are
secrets, URL userinfo, hiding them in a text, a mapping and an error), then what the catalog
hides and that every error hook, in every runner (worker processes included), and every way a
run ends only ever sees the hidden text.

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
from hookline.errors import ConfigError, HookFailed, RedactedError, RemoteTraceback
from hookline.hooks.manager import create_hook_manager
from hookline.runner import AbstractRunner
from hookline.secrets import (
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
from hookline.session import HooklineSession, RunFailed
from tests.support import ProjectFactory

SECRET = "hunter2-Zq9-planted-secret"
CONNECTION = f"postgresql://reader:{SECRET}@db.internal:5432/sales"
#: credentials.yml as the catalog receives it.
CREDENTIALS = {"warehouse": {"username": "admin", "host": "localhost", "password": SECRET}}
#: What hookline hides of CREDENTIALS.
SECRETS = secret_strings(CREDENTIALS)


def everything_shown(error: BaseException) -> str:
    """What printing ``error`` shows (message, notes, the chain of causes), and its args."""
    return "".join(traceback.format_exception(error)) + repr(error.args)


# -- which keys are secret -------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "db.password",
        "DB_PASSWORD",
        "dbPassword",
        "pwd",
        "api_token",
        "accessToken",
        "awsSecretAccessKey",
        "aws_access_key_id",
        "private_key",
        "privateKey",
        "key",
        "api-key",
        "x.apikey",
        "keys",
        "client-secret",
        "credentials.user",
        "auth",
        "oauth",
        "authorization",
        "passphrase",
        "session_cookie",
        "jwt",
        "bearer",
        "storage_options",
        "client_kwargs",
        "connection_string",
        "conn_str",
    ],
)
def test_secret_looking_keys(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        # "pass", "token" and "auth" make a key secret anywhere in it: where the two rules
        # hookline had disagreed, the one hiding more was kept.
        "tokenizer",
        "max_tokens_per_batch",
        "author",
        "passes",
    ],
)
def test_keys_holding_a_secret_word_inside_another_word_are_secret(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "keyboard_layout",
        "monkey",
        "learning_rate",
        "session_id",
        "username",
        "host",
        "bucket",
        "region",
        "sep",
    ],
)
def test_ordinary_keys(key: str) -> None:
    assert not is_secret_key(key)


def test_extra_secret_words() -> None:
    assert not is_secret_key("bank.pin")
    assert is_secret_key("bank.pin", ("pin",))
    assert is_secret_key("bankPin", ["PIN"])
    # A word, not a part of one.
    assert not is_secret_key("spinner", ("pin",))


# -- which values of credentials.yml are secrets ---------------------------------------------


def test_every_credentials_string_of_four_characters_or_more_is_a_secret() -> None:
    found = secret_strings(
        {
            "warehouse": {"username": "admin", "host": "localhost", "password": SECRET},
            "s3": {"bucket": "data", "region": "eu-west-1", "key": "AKIA-planted",
                   "secret": "s3-planted-secret", "client_kwargs": {"endpoint": "planted-endpoint"}},
            "odbc": {"con": "Driver={SQL Server};Server=sql1;Pwd=odbc-planted;"},
            "short": {"password": "abcd", "user": "abc", "list": ["efgh", ("ijk",)]},
            "flags": {"password_enabled": True},
        }
    )  # fmt: skip
    assert set(found) == {
        "admin",
        "localhost",
        SECRET,
        "data",
        "eu-west-1",
        "AKIA-planted",
        "s3-planted-secret",
        "planted-endpoint",
        "Driver={SQL Server};Server=sql1;Pwd=odbc-planted;",
        "abcd",
        "efgh",
    }


def test_a_url_password_is_a_secret_alone_too() -> None:
    assert set(secret_strings({"db": {"con": CONNECTION}})) == {CONNECTION, SECRET}
    # A password holding an unencoded "@" is taken whole.
    assert "p@ss-word" in secret_strings(["https://bot:p@ss-word@tracker.example/x"])
    assert "pa/ss-word" in secret_strings(["https://bot:pa/ss-word@tracker.example/x"])


def test_numbers_are_secrets_from_six_digits_and_from_four_under_a_secret_key() -> None:
    found = secret_strings(
        {"db": {"port": 5432, "account": 123456, "password": 4321, "token": 123, "pin": 1.5}}
    )
    assert set(found) == {"123456", "4321"}


def test_bytes_are_read_as_text() -> None:
    assert secret_strings({"key": b"bytes-planted"}) == ["bytes-planted"]


def test_secrets_come_unique_and_longest_first() -> None:
    found = secret_strings({"a": "short-one", "b": "short-one-and-longer", "c": "short-one"})
    assert found == ["short-one-and-longer", "short-one"]
    assert sort_secrets(["abcd", "abcdef", "abcd"]) == ["abcdef", "abcd"]


# -- the user:password@ of a URL -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (CONNECTION, "postgresql://***@db.internal:5432/sales"),
        ("https://bot@tracker/x", "https://***@tracker/x"),
        ("https://bot:p@ss@tracker/x and a@b", "https://***@tracker/x and a@b"),
        ("two: s3://u:p@b/x, http://v:q@h", "two: s3://***@b/x, http://***@h"),
        ("https://bot:pa/ss@tracker/x", "https://***@tracker/x"),
        ("'postgresql://u:pw@db/w' and more", "'postgresql://***@db/w' and more"),
        ("https://tracker.example/x?user=a", "https://tracker.example/x?user=a"),
        ("mail me at a@b.example", "mail me at a@b.example"),
    ],
)
def test_redact_userinfo(text: str, expected: str) -> None:
    assert redact_userinfo(text) == expected
    assert has_userinfo(text) == (expected != text)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("https://bot:pw@tracker.example:5000/api", "https://tracker.example:5000/api"),
        ("https://bot:p@ss@tracker.example", "https://tracker.example"),
        ("https://tracker.example:5000", "https://tracker.example:5000"),
        ("sqlite:///mlflow.db", "sqlite:///mlflow.db"),
    ],
)
def test_strip_userinfo(uri: str, expected: str) -> None:
    assert strip_userinfo(uri) == expected


# -- hiding secrets in a text and in a mapping -----------------------------------------------


def test_redact_text_hides_each_secret_and_every_url_userinfo() -> None:
    secrets = secret_strings({"a": "pass-1234", "b": "pass-1234-longer"})
    text = "pass-1234-longer, pass-1234 and https://u:p@host/x"
    assert redact_text(text, secrets) == "***, *** and https://***@host/x"
    assert contains_secret(text, secrets)
    assert not contains_secret("nothing here", secrets)
    assert contains_secret("https://u:p@host/x")


def test_redact_mapping_hides_values_of_secret_keys_at_any_depth() -> None:
    shown = redact_mapping(
        {
            "sep": ";",
            "storage_options": {"anything": "x"},
            "nested": {"password": SECRET, "keep": 1, "rows": [{"token": SECRET}, "b"]},
            "con": CONNECTION,
            "signature": "sig-planted",
        },
        extra_words=("signature",),
    )
    assert shown == {
        "sep": ";",
        "storage_options": "***",
        "nested": {"password": "***", "keep": 1, "rows": [{"token": "***"}, "b"]},
        "con": "postgresql://***@db.internal:5432/sales",
        "signature": "***",
    }


# -- hiding secrets in an error --------------------------------------------------------------


def test_a_message_made_of_string_args_is_hidden_in_place() -> None:
    original = ValueError(f"password {SECRET} refused")
    original.add_note(f"retried with {SECRET}")

    error = redact_error(original, SECRETS)

    assert error is original
    assert SECRET not in everything_shown(error)
    assert "password *** refused" in everything_shown(error)
    assert "retried with ***" in everything_shown(error)


def test_an_error_without_a_secret_is_left_alone() -> None:
    original = ValueError("nothing to hide")
    assert redact_error(original, SECRETS) is original
    assert str(original) == "nothing to hide"


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
    original = make_error()

    error = redact_error(original, SECRETS)

    assert isinstance(error, RedactedError)
    assert str(error) == expected
    assert SECRET not in everything_shown(error)
    # Raised from None, but where it happened is kept.
    assert error.__cause__ is None
    assert error.__suppress_context__
    assert error.__traceback__ is original.__traceback__
    # Idempotent: the main process hides again what a worker process hid.
    assert redact_error(error, SECRETS) is error


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
    original = ReadOnlyArgs(f"password {SECRET} refused")
    original.add_note(f"retried with {SECRET}")

    error = redact_error(original, SECRETS)

    assert isinstance(error, RedactedError)
    assert str(error) == "ReadOnlyArgs: password *** refused"
    assert getattr(error, "__notes__", None) == ["retried with ***"]


def test_causes_are_hidden_and_a_cause_that_cannot_be_is_cut() -> None:
    try:
        try:
            try:
                raise_file_not_found()
            except OSError as unreadable:
                raise ValueError(f"cannot read with {SECRET}") from unreadable
        except ValueError as inner:
            raise RuntimeError("the node failed") from inner
    except RuntimeError as outer:
        error = redact_error(outer, SECRETS)

    shown = everything_shown(error)
    assert SECRET not in shown
    # The cause whose message is its args is kept (hidden); the OSError, whose message comes
    # from its filename, is cut off the chain.
    assert "ValueError: cannot read with ***" in shown
    assert "FileNotFoundError" not in shown
    assert error.__cause__ is not None
    assert error.__cause__.__cause__ is None
    assert error.__cause__.__context__ is None


def test_an_implicit_context_is_hidden_too() -> None:
    try:
        try:
            raise KeyError(SECRET)
        except KeyError:
            raise ValueError(f"lookup with {SECRET} failed") from None
    except ValueError as suppressed:
        first = redact_error(suppressed, SECRETS)
    try:
        try:
            raise ConnectionError(f"no answer at {CONNECTION}")
        except ConnectionError:
            raise RuntimeError("retry failed")  # noqa: B904 - the context is what is tested
    except RuntimeError as outer:
        second = redact_error(outer, SECRETS)

    # A suppressed context is not printed, but a hook can still read it.
    assert isinstance(first.__context__, KeyError)
    assert first.__context__.args == ("***",)
    assert SECRET not in everything_shown(second)
    assert isinstance(second.__context__, ConnectionError)
    assert str(second.__context__) == "no answer at postgresql://***@db.internal:5432/sales"


def test_a_workers_traceback_text_is_hidden() -> None:
    error = ValueError("the node failed")
    error.__cause__ = RemoteTraceback(f'File "node.py", line 3\n  login("{SECRET}")\n', "hook")

    hidden = redact_error(error, SECRETS)

    assert hidden is error
    assert isinstance(error.__cause__, RemoteTraceback)
    assert SECRET not in error.__cause__.text
    assert 'login("***")' in error.__cause__.text
    assert SECRET not in everything_shown(hidden)


# -- where the catalog's secrets come from ---------------------------------------------------


def test_the_catalog_hides_every_value_of_credentials_yml_in_a_node_error() -> None:
    catalog = DataCatalog.from_config({}, CREDENTIALS)
    error = catalog.redact_error(
        FileNotFoundError(f"data/admin/localhost.csv not found; login {SECRET} refused")
    )
    assert str(error) == "data/***/***.csv not found; login *** refused"


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
