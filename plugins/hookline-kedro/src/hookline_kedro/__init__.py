"""hookline-kedro: every installed hookline plugin takes part in `kedro run`.

Installing the distribution (``pip install "hookline[kedro]"`` next to Kedro 1.x) registers
:data:`hooks` through the ``hookline`` entry point of Kedro's ``kedro.hooks`` group; it forwards
each Kedro hook call to the installed hookline plugins (see :mod:`hookline_kedro.bridge`).
Importing this package imports neither hookline's run machinery nor any plugin: they are
loaded when Kedro creates the project's context, and only if a hookline plugin is installed.
"""

from __future__ import annotations

from hookline_kedro.bridge import KedroBridge

__version__ = "0.1.0"

__all__ = ["KedroBridge", "__version__", "hooks"]

#: The instance the ``kedro.hooks`` entry point names.
hooks = KedroBridge()
