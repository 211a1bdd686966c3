"""The same logging set-up for both tools, so that neither pays for terminal output.

Both tools log through the standard ``logging`` module. Each child process sends every record
to one plain StreamHandler on the null device: formatting and the write still happen (the
real cost of a log line), but no terminal has to draw it.
"""

from __future__ import annotations

import logging
import os

#: hookline's own plain format (hookline.console.PLAIN_LOG_FORMAT), used for both tools.
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: Package loggers that the tools configure themselves. Kedro sets "kedro" to INFO when
#: kedro.framework.project is imported; left alone, that would defeat a WARNING root level.
PACKAGE_LOGGERS = ("kedro", "hookline")


def configure_null_logging(level: str) -> None:
    """Send all log records at ``level`` or above to the null device, in plain text.

    Call it after importing the tool, which may install its own handlers on import.
    """
    sink = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in PACKAGE_LOGGERS:
        package_logger = logging.getLogger(name)
        package_logger.handlers.clear()
        package_logger.setLevel(logging.NOTSET)
        package_logger.propagate = True
