"""What loading the bridge costs Kedro: Kedro imports ``hookline_kedro`` in every ``kedro``
command (entry points of ``kedro.hooks`` are loaded with the project), so the import must
pull in nothing of hookline, and a run with every plugin switched off no plugin."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.kedro

#: Modules a bridge that does nothing must not have imported.
HEAVY = ("mlflow", "great_expectations", "pandas", "psutil", "statsd")
PLUGINS = "hookline-mlflow,hookline-memory,hookline-statsd,hookline-great-expectations"


def imported_after(code: str, **env: str) -> list[str]:
    """The modules of hookline, its plugins and the heavy libraries imported by ``code``."""
    script = (
        f"{code}\nimport json, sys\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{('hookline', 'hookline_mlflow', 'hookline_memory', 'hookline_statsd', 'hookline_great_expectations', *HEAVY)!r})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS": "", **env},
    )
    # The last line: Kedro may log to stdout before it.
    modules: list[str] = json.loads(done.stdout.splitlines()[-1])
    return modules


def test_importing_the_bridge_imports_nothing_of_hookline() -> None:
    pytest.importorskip("kedro")
    assert imported_after("import hookline_kedro") == []


def test_with_every_plugin_switched_off_no_plugin_is_imported() -> None:
    pytest.importorskip("kedro")
    code = "import hookline_kedro\nhookline_kedro.hooks.after_context_created(context=None)"
    modules = imported_after(code, HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS=PLUGINS)
    assert not [m for m in modules if m.split(".")[0] != "hookline"], modules
    assert not [m for m in modules if m.split(".")[0] in HEAVY], modules
