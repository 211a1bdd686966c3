"""hookline-memory: what every dataset load, dataset save and node run costs in memory.

Installing the distribution registers :data:`hooks` through the ``memory`` entry point of
the ``hookline.hooks`` group; ``conf/<env>/memory.yml`` configures it (see
:mod:`hookline_memory.config`). Importing this package imports neither psutil nor
memory_profiler: the backend is built when the first operation is measured.
"""

from __future__ import annotations

from hookline_memory.config import MemoryConfig
from hookline_memory.hooks import SOURCE, MemoryHooks

__version__ = "0.1.0"

__all__ = ["SOURCE", "MemoryConfig", "MemoryHooks", "__version__", "hooks"]

#: The instance the ``hookline.hooks`` entry point names.
hooks = MemoryHooks()
