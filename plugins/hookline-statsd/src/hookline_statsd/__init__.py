"""hookline-statsd: node, dataset and run metrics in StatsD, shown on a Grafana dashboard.

Installing the distribution registers :data:`hooks` through the ``statsd`` entry point of the
``hookline.hooks`` group; ``conf/<env>/statsd.yml`` configures it (see
:mod:`hookline_statsd.config`). Importing this package does not import the ``statsd`` client:
it is imported when a run starts.
"""

from __future__ import annotations

from hookline_statsd.config import DEFAULT, StatsdConfig
from hookline_statsd.hooks import StatsdHooks

__version__ = "0.1.0"

__all__ = ["DEFAULT", "StatsdConfig", "StatsdHooks", "__version__", "hooks"]

#: The instance the ``hookline.hooks`` entry point names.
hooks = StatsdHooks()
