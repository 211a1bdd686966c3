"""hookline-memory keeps the contract of every plugin (hookline.testing.PluginContract)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil

from hookline.testing import PluginContract
from hookline_memory import MemoryConfig, MemoryHooks


class GoneProcessBackend:
    """Reads the memory of a process that has exited: psutil raises at every reading."""

    def __init__(self, config: MemoryConfig) -> None:
        child = subprocess.Popen([sys.executable, "-c", "pass"])
        self._process = psutil.Process(child.pid)
        child.wait()

    def read(self) -> int:
        return int(self._process.memory_info().rss)

    def sample(self) -> int:
        return self.read()


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
        return MemoryHooks(backends={"psutil": GoneProcessBackend})

    def close(self, hooks: MemoryHooks) -> None:
        hooks.close()
