"""What a secret is, and how hookline and its plugins keep one out of every message.

One definition serves the core and every plugin:

- :func:`is_secret_key`: a key whose value is a secret however it got there (``password``,
  ``api_token``, ``awsSecretAccessKey``, ``storage_options``...). A plugin may add words of
  its own (``extra_words``).
- :func:`secret_strings`: the strings of ``credentials.yml`` (or of any credentials mapping)
  that must never be shown.
- :func:`has_userinfo`, :func:`redact_userinfo`, :func:`strip_userinfo`: the
  ``user:password@`` part of a URL.
- :func:`redact_text`, :func:`redact_mapping`, :func:`redact_error`: a text, a mapping of
  arguments or parameters, and an exception (its arguments, notes, causes and contexts) with
  every secret replaced by :data:`REDACTED`.

A plugin that sends anything to a tracker, a metrics daemon or a log keeps the secrets of a run
(``secret_strings(context.config_loader["credentials"])``) and passes every text through
:func:`redact_text` first; an error that reaches a hook has been through :func:`redact_error`
already.

Before this module the core and the MLflow plugin each had their own rules. Where they
disagreed the rule that hides more was kept:

- every string of credentials.yml is a secret, not only those under a secret-looking key: a
  backend may keep its secret under any name (an Azure ``sas``, a ``dsn``), and a user or host
  name is half a login. The price is that a message quoting the same word for another reason
  (a bucket called ``data``) shows ``***`` there; the file and entry it names usually still
  tell where to look;
- a secret string has at least :data:`MIN_SECRET_LENGTH` (4) characters, not 6: four-character
  passwords and PINs exist, and a value of 1 to 3 characters would blank out parts of every
  ordinary word of a message while a password that short is guessed anyway;
- a number is a secret from 6 digits on anywhere (ports, counts and years are shorter), and
  from 4 under a secret-looking key (a password that YAML read as a number);
- a key is secret if either old rule said so: it contains ``pass``, ``token``, ``auth``...
  anywhere (so ``tokenizer`` and ``author`` are hidden too), or one of its words is ``key``,
  ``pwd``, ``private``...;
- a URL's ``user:password@`` runs up to the last ``@`` before the host, so that a password
  holding an unencoded ``@`` is hidden whole.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from hookline.errors import RedactedError, RemoteTraceback

__all__ = [
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "SECRET_SUBSTRINGS",
    "SECRET_WORDS",
    "contains_secret",
    "has_userinfo",
    "is_secret_key",
    "redact_error",
    "redact_mapping",
    "redact_text",
    "redact_userinfo",
    "secret_strings",
    "sort_secrets",
    "strip_userinfo",
]

_E = TypeVar("_E", bound=BaseException)

#: What replaces a secret.
REDACTED = "***"

#: The fewest characters a secret string has (see the module's docstring for why 4).
MIN_SECRET_LENGTH = 4
# Numbers outside a secret-looking key are secrets from this many digits on: a port (5432), a
# count or a year is shorter, and is shown wherever it is quoted.
_MIN_SECRET_DIGITS = 6

#: Parts of words that make a key secret wherever they appear in it, in any case
#: (``dbPassword``, ``secretkey``, ``oauth``, ``fs_storage_options``).
SECRET_SUBSTRINGS = (
    "pass",
    "secret",
    "token",
    "credential",
    "auth",
    "apikey",
    "access_key",
    "key_id",
    "storage_options",
    "client_kwargs",
    "connection_string",
    "conn_str",
)
#: Words that make a key secret when the key holds them as a word of their own: the key is split
#: on ``.``, ``_``, ``-``, ``/``, ``:``, blanks and case changes (``api_key``, ``privateKey``
#: are secret; ``keyboard_layout`` and ``monkey`` are not).
SECRET_WORDS = ("key", "keys", "pwd", "cookie", "jwt", "bearer", "private")

_CASE_CHANGE = re.compile(r"([a-z0-9])([A-Z])")
_SEPARATORS = re.compile(r"[\s._\-/:]+")
# "scheme://user:password@host": the user and password are a credential, wherever they are.
# Greedy up to the last "@" of the word (blanks, quotes and angle brackets end it): a password
# may hold an unencoded "@" or "/". A path holding an "@" is hidden too; showing too little
# beats leaking a password.
_URL_USERINFO = re.compile(r"(?<=://)[^\s'\"<>]+@")
# The password alone, which an error may quote without the rest of the URL.
_URL_PASSWORD = re.compile(r"://[^/@\s:'\"<>]*:([^\s'\"<>]+)@")


# -- which keys and which values are secrets ----------------------------------------------------


def is_secret_key(key: str, extra_words: Iterable[str] = ()) -> bool:
    """Whether the value under ``key`` (a parameter, an argument, a credentials entry) is a
    secret.

    ``db.password``, ``api_token``, ``awsSecretAccessKey``, ``private_key``, ``key``,
    ``storage_options`` and ``tokenizer`` are; ``keyboard_layout``, ``monkey`` and
    ``learning_rate`` are not.

    Args:
        key: The key, as written.
        extra_words: More words that make a key secret when the key holds them as a word
            (a plugin's configuration may name some: ``pin``, ``signature``).
    """
    lowered = key.lower()
    if any(part in lowered for part in SECRET_SUBSTRINGS):
        return True
    words = set(_SEPARATORS.split(_CASE_CHANGE.sub(r"\1 \2", key).lower())) - {""}
    return not words.isdisjoint(SECRET_WORDS) or not words.isdisjoint(
        word.lower() for word in extra_words
    )


def secret_strings(credentials: Any) -> list[str]:
    """The secrets inside a credentials value (``credentials.yml``, or an entry's inline
    ``credentials:`` mapping), unique and longest first, ready for :func:`redact_text`.

    A secret is every string of :data:`MIN_SECRET_LENGTH` or more characters, wherever it sits,
    and the password of every URL in one alone; a number of 6 or more digits, or of 4 or more
    under a secret-looking key. Booleans are never secrets.
    """
    found: list[str] = []

    def walk(item: Any, under_secret_key: bool) -> None:
        if isinstance(item, Mapping):
            for key, sub in item.items():
                walk(sub, under_secret_key or is_secret_key(str(key)))
        elif isinstance(item, list | tuple | set | frozenset):
            for sub in item:
                walk(sub, under_secret_key)
        elif isinstance(item, bytes):
            found.extend(_secrets_of_text(item.decode(errors="replace")))
        elif isinstance(item, str):
            found.extend(_secrets_of_text(item))
        elif isinstance(item, int | float) and not isinstance(item, bool):
            text = str(item)
            if len(text) >= (MIN_SECRET_LENGTH if under_secret_key else _MIN_SECRET_DIGITS):
                found.append(text)

    walk(credentials, False)
    return sort_secrets(found)


def _secrets_of_text(text: str) -> list[str]:
    return [s for s in (text, *_URL_PASSWORD.findall(text)) if len(s) >= MIN_SECRET_LENGTH]


def sort_secrets(secrets: Iterable[str]) -> list[str]:
    """``secrets`` without repeats, longest first: the order :func:`redact_text` needs, so that
    a secret holding another one is hidden whole."""
    return sorted(set(secrets), key=len, reverse=True)


# -- the user:password@ of a URL ----------------------------------------------------------------


def has_userinfo(text: str) -> bool:
    """Whether ``text`` holds a URL with a ``user:password@`` (or ``user@``)."""
    return _URL_USERINFO.search(text) is not None


def redact_userinfo(text: str) -> str:
    """``text`` with the ``user:password@`` of every URL in it replaced by ``***@``."""
    return _URL_USERINFO.sub(REDACTED + "@", text) if "@" in text else text


def strip_userinfo(uri: str) -> str:
    """``uri`` without its ``user:password@``: what may be written down or requested when the
    credentials travel another way (a client that takes them from the environment)."""
    parts = urllib.parse.urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return urllib.parse.urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


# -- hiding secrets ---------------------------------------------------------------------------


def redact_text(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with every one of ``secrets`` and every URL's ``user:password@`` replaced by
    ``***``.

    Args:
        text: What is about to be shown, logged or sent.
        secrets: The secrets, longest first (as :func:`secret_strings` returns them).
    """
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return redact_userinfo(text)


def contains_secret(text: str, secrets: Sequence[str] = ()) -> bool:
    """Whether :func:`redact_text` would change ``text``: it shows a secret or a URL's
    ``user:password@``."""
    return redact_text(text, secrets) != text


def redact_mapping(values: Mapping[Any, Any], extra_words: Iterable[str] = ()) -> dict[Any, Any]:
    """A copy of ``values`` (arguments, parameters) that is safe to show: the value of every
    secret-looking key (see :func:`is_secret_key`) replaced by ``***``, nested mappings and
    lists likewise, and the ``user:password@`` of every URL in a string hidden."""
    words = tuple(extra_words)
    return {
        key: REDACTED if is_secret_key(str(key), words) else _redact_value(value, words)
        for key, value in values.items()
    }


def _redact_value(value: Any, extra_words: tuple[str, ...]) -> Any:
    if isinstance(value, Mapping):
        return redact_mapping(value, extra_words)
    if isinstance(value, list):
        return [_redact_value(item, extra_words) for item in value]
    if isinstance(value, tuple):
        return tuple(_redact_value(item, extra_words) for item in value)
    if isinstance(value, str):
        return redact_userinfo(value)
    return value


def redact_error(error: _E, secrets: Sequence[str] = ()) -> _E | RedactedError:
    """Hide ``secrets`` and every URL's ``user:password@`` in ``error``, and return the error
    to show.

    The message, the notes and the chained causes and contexts are rewritten in place when the
    text comes from them (and a worker's traceback text too). A cause that still shows a secret
    is cut off the chain: a traceback would print it. An exception whose own message comes from
    elsewhere (``OSError.filename``, a non-string argument, ``args`` that cannot be set) and
    still shows a secret is replaced by a :class:`~hookline.errors.RedactedError` holding the
    hidden text, with the original's traceback and without its causes. Calling it again on its
    result changes nothing.

    Args:
        error: The exception a node, a dataset or a hook raised.
        secrets: The secrets, longest first (as :func:`secret_strings` returns them).
    """
    _redact_in_place(error, secrets)
    _redact_chain(error, secrets)
    if isinstance(error, Exception) and _shows_secret(error, secrets):
        return _stand_in(error, secrets)
    return error


def _redact_in_place(error: BaseException, secrets: Sequence[str]) -> None:
    """Hide ``secrets`` in the string arguments and notes of ``error`` (and in the text of a
    worker's traceback)."""
    try:
        error.args = tuple(redact_text(a, secrets) if isinstance(a, str) else a for a in error.args)
    except Exception:  # an exception class whose args cannot be set: it gets replaced
        return
    notes = getattr(error, "__notes__", None)
    if isinstance(notes, list):
        _set_notes(error, [redact_text(n, secrets) if isinstance(n, str) else n for n in notes])
    if isinstance(error, RemoteTraceback):
        error.text = redact_text(error.text, secrets)


def _set_notes(error: BaseException, notes: list[Any]) -> None:
    # setattr: exceptions have notes from Python 3.11 on, and the types target 3.10.
    setattr(error, "__notes__", notes)  # noqa: B010


def _stand_in(error: Exception, secrets: Sequence[str]) -> RedactedError:
    """A :class:`RedactedError` saying what ``error`` says, secrets hidden, raised from None."""
    replacement = RedactedError(f"{type(error).__name__}: {redact_text(str(error), secrets)}")
    notes = getattr(error, "__notes__", None)
    if isinstance(notes, list):
        _set_notes(replacement, [redact_text(str(note), secrets) for note in notes])
    replacement.__traceback__ = error.__traceback__
    replacement.__suppress_context__ = True
    remote = error.__cause__
    # A worker's traceback (hidden by _redact_chain) is still the one worth reading.
    replacement.__cause__ = remote if isinstance(remote, RemoteTraceback) else None
    return replacement


def _redact_chain(error: BaseException, secrets: Sequence[str]) -> None:
    """Hide ``secrets`` in the causes and contexts of ``error``, down the whole chain; a link
    that still shows a secret is cut."""
    seen = {id(error)}
    leaking: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop()
        for attribute in ("__cause__", "__context__"):
            chained = getattr(current, attribute)
            if chained is None:
                continue
            if id(chained) not in seen:
                seen.add(id(chained))
                _redact_in_place(chained, secrets)
                if _shows_secret(chained, secrets):
                    leaking.add(id(chained))
                else:
                    pending.append(chained)
            if id(chained) in leaking:
                setattr(current, attribute, None)


def _shows_secret(error: BaseException, secrets: Sequence[str]) -> bool:
    text = _text_of(error)
    return text is not None and contains_secret(text, secrets)


def _text_of(error: BaseException) -> str | None:
    """What printing ``error`` shows of it (its notes too), or ``None`` if ``str()`` fails."""
    try:
        text = str(error)
    except Exception:
        return None
    notes = getattr(error, "__notes__", None)
    if isinstance(notes, list):
        text = "\n".join([text, *map(str, notes)])
    return text
