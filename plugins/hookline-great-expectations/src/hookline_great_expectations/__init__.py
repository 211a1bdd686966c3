"""hookline-great-expectations: validate node inputs and outputs with Great Expectations.

Installing the distribution registers :data:`hooks` through the ``great_expectations`` entry
point of the ``hookline.hooks`` group; ``conf/<env>/great_expectations.yml`` configures it
(see :mod:`hookline_great_expectations.config`). Importing this package imports neither
great_expectations nor pandas: they load when a run has something to validate.
"""

from __future__ import annotations

from hookline_great_expectations.config import DatasetRule, GreatExpectationsConfig
from hookline_great_expectations.hooks import SOURCE, GreatExpectationsHooks
from hookline_great_expectations.results import (
    ExpectationFailure,
    NotADataFrameError,
    ValidationFailed,
    ValidationOutcome,
)

__version__ = "0.1.0"

__all__ = [
    "SOURCE",
    "DatasetRule",
    "ExpectationFailure",
    "GreatExpectationsConfig",
    "GreatExpectationsHooks",
    "NotADataFrameError",
    "ValidationFailed",
    "ValidationOutcome",
    "__version__",
    "hooks",
]

#: The instance the ``hookline.hooks`` entry point names.
hooks = GreatExpectationsHooks()
