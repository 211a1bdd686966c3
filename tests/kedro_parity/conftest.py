"""The parity tests run Kedro 1.7, which only `nox -s kedro_parity` installs: elsewhere (the
core's `tests` session never has Kedro) this folder is not collected. In the parity session a
missing Kedro collects nothing, and pytest's "no tests ran" fails the session."""

from __future__ import annotations

import importlib.util

if importlib.util.find_spec("kedro") is None:
    collect_ignore_glob = ["*"]
