"""What a validation found, in plain picklable objects, and the errors that carry it.

Both engines turn Great Expectations' suite results into :class:`Findings`; the hooks add the
dataset, node and policy to make a :class:`ValidationOutcome`. Outcomes travel from worker
processes to the main process as JSON lines, and a failure message names the dataset, the
node, the suite or checkpoint, and each failed expectation with its column and sample values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from hookline.plugin import HooklineError

__all__ = [
    "ExpectationFailure",
    "Findings",
    "NotADataFrameError",
    "ValidationFailed",
    "ValidationOutcome",
    "summarize",
]

# Keyword arguments of an expectation that say nothing about what it expects.
_NOISE_KWARGS = frozenset({"batch_id", "result_format", "include_config", "catch_exceptions"})
_COLUMN_KWARGS = ("column", "column_A", "column_B", "column_list")
_MAX_VALUE_CHARS = 60


@dataclass(frozen=True)
class ExpectationFailure:
    """One expectation that did not hold.

    Attributes:
        expectation: Its type, e.g. ``expect_column_values_to_be_between``.
        column: The column(s) it is about, if any (``a, b`` for pairs and lists).
        arguments: Its other arguments, as ``name=value`` text (``min_value=0``).
        unexpected_count: How many values broke it, when Great Expectations counts them.
        element_count: How many values were checked, when known.
        samples: A few of the unexpected values, as text.
        error: The exception message when the expectation could not even be evaluated (a
            missing column, a wrong type).
    """

    expectation: str
    column: str | None = None
    arguments: str = ""
    unexpected_count: int | None = None
    element_count: int | None = None
    samples: tuple[str, ...] = ()
    error: str | None = None

    def describe(self) -> str:
        """One line: the expectation, its column and arguments, and what broke it."""
        where = f" on column {self.column}" if self.column else ""
        arguments = f" ({self.arguments})" if self.arguments else ""
        if self.error:
            return f"{self.expectation}{where}{arguments}: could not be evaluated: {self.error}"
        found = []
        if self.unexpected_count is not None:
            of = f" of {self.element_count}" if self.element_count is not None else ""
            found.append(f"{self.unexpected_count}{of} value(s) unexpected")
        if self.samples:
            found.append(f"e.g. {', '.join(self.samples)}")
        detail = f": {'; '.join(found)}" if found else ""
        return f"{self.expectation}{where}{arguments}{detail}"


@dataclass(frozen=True)
class Findings:
    """What one validation found, before the hooks add where it happened.

    Attributes:
        evaluated: How many expectations were evaluated.
        failures: The expectations that failed.
        success: Whether Great Expectations judged the validation a success.
    """

    evaluated: int
    failures: tuple[ExpectationFailure, ...] = ()
    success: bool = True


@dataclass(frozen=True)
class ValidationOutcome:
    """One validation of one dataset for one node.

    Attributes:
        dataset: The dataset validated.
        node: The node it was an input or output of.
        role: ``input`` or ``output``.
        kind: ``suite`` or ``checkpoint``.
        target: The name of the suite or checkpoint.
        policy: The dataset's policy: ``fail``, ``warn`` or ``fail_at_end``.
        evaluated: How many expectations were evaluated.
        failures: The expectations that failed.
        success: Whether the validation succeeded.
        seconds: How long the validation took.
    """

    dataset: str
    node: str
    role: str
    kind: str
    target: str
    policy: str
    evaluated: int
    failures: tuple[ExpectationFailure, ...]
    success: bool
    seconds: float

    @property
    def failed(self) -> int:
        """How many expectations failed."""
        return len(self.failures)

    def headline(self) -> str:
        """``dataset 'x' (input of node 'n') failed suite 's': 2 of 3 expectations failed``."""
        counted = (
            f"{self.failed} of {self.evaluated} expectation(s) failed"
            if self.failures
            else "the validation did not succeed"
        )
        return (
            f"dataset '{self.dataset}' ({self.role} of node '{self.node}') failed "
            f"{self.kind} '{self.target}': {counted}"
        )

    def describe(self) -> str:
        """The headline, then one indented line per failed expectation."""
        lines = [self.headline()]
        lines.extend(f"  - {failure.describe()}" for failure in self.failures)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain values, for a JSON line."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> ValidationOutcome:
        """Rebuild an outcome written by :meth:`to_dict`."""
        failures = tuple(
            ExpectationFailure(**{**failure, "samples": tuple(failure.get("samples", ()))})
            for failure in values.get("failures", ())
        )
        return cls(**{**values, "failures": failures})


class ValidationFailed(HooklineError):
    """Datasets did not meet their expectations: raised by the ``fail`` policy in the hook of
    the node (so the node does not run, or its outputs are not saved), and by ``fail_at_end``
    after the pipeline, listing every such failure.

    Attributes:
        outcomes: The failed validations.
        at_end: Whether it was raised after the pipeline (``fail_at_end``).
    """

    def __init__(self, outcomes: Sequence[ValidationOutcome], at_end: bool = False) -> None:
        self.outcomes = tuple(outcomes)
        self.at_end = at_end
        if at_end:
            message = (
                f"Great Expectations validation failed for {len(self.outcomes)} dataset "
                "validation(s) with policy fail_at_end:\n"
                + "\n".join(outcome.describe() for outcome in self.outcomes)
            )
        else:
            message = "Great Expectations validation failed: " + "\n".join(
                outcome.describe() for outcome in self.outcomes
            )
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in worker processes: the main process must get the outcomes back, not only
        # the message.
        return (type(self), (self.outcomes, self.at_end))


class NotADataFrameError(HooklineError):
    """A configured dataset is not a pandas DataFrame (with ``non_dataframe: error``)."""


def summarize(suite_results: Iterable[Any], samples: int) -> Findings:
    """Turn Great Expectations suite validation results into :class:`Findings`.

    Works on the results of GX 1.x and of great_expectations 0.15.x alike (their expectation
    configurations name the type ``type`` and ``expectation_type`` respectively).

    Args:
        suite_results: ``ExpectationSuiteValidationResult`` objects.
        samples: How many unexpected values to keep per failed expectation.
    """
    evaluated = 0
    success = True
    failures: list[ExpectationFailure] = []
    for suite_result in suite_results:
        success = success and bool(suite_result.success)
        for result in suite_result.results:
            evaluated += 1
            if not result.success:
                failures.append(_failure(result, samples))
    return Findings(evaluated, tuple(failures), success)


def _failure(result: Any, samples: int) -> ExpectationFailure:
    config = result.expectation_config
    expectation = str(getattr(config, "type", None) or getattr(config, "expectation_type", "?"))
    kwargs = dict(getattr(config, "kwargs", None) or {})
    columns: list[str] = []
    for key in _COLUMN_KWARGS:
        value = kwargs.pop(key, None)
        if isinstance(value, (list, tuple)):
            columns.extend(str(item) for item in value)
        elif value is not None:
            columns.append(str(value))
    arguments = ", ".join(
        f"{key}={_short(value)}" for key, value in kwargs.items() if key not in _NOISE_KWARGS
    )
    details: Mapping[str, Any] = result.result or {}
    unexpected = details.get("partial_unexpected_list") or []
    return ExpectationFailure(
        expectation=expectation,
        column=", ".join(repr(column) for column in columns) or None,
        arguments=arguments,
        unexpected_count=_count(details.get("unexpected_count")),
        element_count=_count(details.get("element_count")),
        samples=tuple(_short(value) for value in list(unexpected)[:samples]),
        error=_error(getattr(result, "exception_info", None)),
    )


def _error(info: Any) -> str | None:
    """The first line of the exception an expectation raised, if it raised one."""
    if not isinstance(info, Mapping):
        return None
    # 0.15.x: one {"raised_exception": ..., "exception_message": ...}; GX 1.x: such a mapping
    # per metric that failed to compute, keyed by the metric's id.
    candidates = [info] if "raised_exception" in info else list(info.values())
    for candidate in candidates:
        if isinstance(candidate, Mapping) and candidate.get("exception_message"):
            return str(candidate["exception_message"]).strip().splitlines()[0]
    return None


def _count(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def _short(value: Any) -> str:
    """``repr`` of a value, NaN as ``nan``, cut to a readable length."""
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()  # 7.25, not np.float64(7.25)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    text = repr(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[: _MAX_VALUE_CHARS - 3] + "..."
