"""hookline-memory keeps the contract of every plugin (hookline.testing.PluginContract)."""

from __future__ import annotations

from pathlib import Path

from hookline.testing import PluginContract
from hookline_memory import MemoryConfig, MemoryHooks

from .conftest import DeadProcessBackend


class TestMemoryContract(PluginContract):
    entry_point = "memory"
    distribution = "hookline-memory"
    config_file = "memory.yml"
    broken_config = "intervall: 0.01\n"
    broken_key = "intervall"

    def configured_hooks(self, tmp_path: Path) -> MemoryHooks:
        hooks = MemoryHooks()
        hooks.configure(MemoryConfig(top=9, measure_saves=False))
        return hooks

    def dead_backend_hooks(self, tmp_path: Path) -> MemoryHooks:
        return MemoryHooks(backends={"psutil": DeadProcessBackend})

    def close(self, hooks: MemoryHooks) -> None:
        hooks.close()
