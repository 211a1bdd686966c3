"""`import hookline`, the plugin API and the CLI's start-up stay free of heavy libraries."""

from __future__ import annotations

import subprocess
import sys

# OmegaConf too: the config loader imports it only for a configuration with an interpolation.
HEAVY = (
    "pandas",
    "pyarrow",
    "mlflow",
    "great_expectations",
    "sklearn",
    "dask",
    "distributed",
    "omegaconf",
)


def imported_after(code: str) -> set[str]:
    """The names of every module imported by a fresh interpreter running ``code``."""
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def modules_after(code: str) -> set[str]:
    """The top-level module names imported by a fresh interpreter running ``code``."""
    return {name.split(".")[0] for name in imported_after(code)}


def test_import_hookline_and_its_public_api_is_light() -> None:
    loaded = modules_after("import hookline\nfrom hookline import *  # noqa: F403")
    assert "hookline" in loaded
    assert not loaded & set(HEAVY)


def test_the_plugin_api_is_light() -> None:
    # A plugin imports hookline.plugin when its entry point loads, in every run and every
    # worker process: the types of the run machinery wait until a plugin uses them.
    loaded = imported_after("import hookline.plugin")
    assert "hookline.plugin" in loaded
    assert not {name.split(".")[0] for name in loaded} & {*HEAVY, "yaml"}
    assert not loaded & {"hookline.context", "hookline.catalog", "hookline.session"}


def test_every_name_of_the_plugin_api_imports_light() -> None:
    loaded = modules_after("from hookline.plugin import *  # noqa: F403")
    assert not loaded & set(HEAVY)


def test_cli_start_up_is_light() -> None:
    loaded = modules_after("import hookline.cli")
    assert "click" in loaded
    assert not loaded & {*HEAVY, "rich"}
