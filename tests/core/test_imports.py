"""`import hookline` and the CLI's start-up stay free of heavy libraries."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pandas", "pyarrow", "mlflow", "great_expectations", "sklearn", "dask", "distributed")


def modules_after(code: str) -> set[str]:
    """The top-level module names imported by a fresh interpreter running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return {name.split(".")[0] for name in done.stdout.split()}


def test_import_hookline_and_its_public_api_is_light() -> None:
    loaded = modules_after("import hookline\nfrom hookline import *  # noqa: F403")
    assert "hookline" in loaded
    assert not loaded & set(HEAVY)


def test_cli_start_up_is_light() -> None:
    loaded = modules_after("import hookline.cli")
    assert "click" in loaded
    assert not loaded & {*HEAVY, "rich"}
