"""hookline-statsd keeps the contract of every plugin (hookline.testing.PluginContract)."""

from __future__ import annotations

from pathlib import Path

from hookline.testing import PluginContract
from hookline_statsd import StatsdHooks
from hookline_statsd.config import parse_config
from tests.integration.servers.statsd_graphite import HOST, free_port


class TestStatsdContract(PluginContract):
    entry_point = "statsd"
    distribution = "hookline-statsd"
    config_file = "statsd.yml"
    broken_config = "host: localhost\ncolour: blue\n"
    broken_key = "colour"

    def configured_hooks(self, tmp_path: Path) -> StatsdHooks:
        hooks = StatsdHooks()
        hooks.configure(parse_config({"prefix": "contract", "port": free_port()}, "statsd.yml"))
        return hooks

    def dead_backend_hooks(self, tmp_path: Path) -> StatsdHooks:
        # Over TCP a daemon that is gone is a refused connection (over UDP nothing is noticed).
        config = {"transport": "tcp", "host": HOST, "port": free_port()}
        hooks = StatsdHooks()
        hooks.configure(parse_config(config, "statsd.yml"))
        return hooks
