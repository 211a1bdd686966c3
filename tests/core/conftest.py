"""Fixtures for the core's tests: the product's plugins stay switched off. The fixtures every
test folder shares (a project written to disk, a recording hook instance, a Dask cluster, the
runners) are in tests/conftest.py."""

from __future__ import annotations

import pytest

#: The project's own plugins. The core's tests run without them (each plugin has its own
#: tests), so their outcome does not depend on which plugins happen to be installed.
PRODUCT_PLUGINS = "hookline-mlflow,hookline-statsd,hookline-memory,hookline-great-expectations"


@pytest.fixture(autouse=True)
def _without_product_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOOKLINE_DISABLE_HOOKS_FOR_PLUGINS", PRODUCT_PLUGINS)
