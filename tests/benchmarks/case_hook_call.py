"""Case "hook-call": what one no-op hook call costs through each tool's hook manager.

The call is ``manager.hook.before_node_run(**kwargs)`` with the arguments each tool's runner
passes, on a manager made as each tool makes it for a run: hookline's ``create_hook_manager``
and Kedro's ``_create_hook_manager`` (which turns pluggy's tracing on).
"""

from __future__ import annotations

from typing import Any

from config import BenchConfig
from measure import alternate, run_child
from outcome import CaseOutcome
from report import NOT_MEASURED, Table, number, ratio

NAME = "hook-call"

#: Every call returns pluggy's list of non-None results: empty, since the hook returns None.
EXPECTED = "[]"

LABELS = {
    True: "one no-op implementation",
    False: "no implementation",
}


def run(config: BenchConfig) -> CaseOutcome:
    """Measure both kinds of call and return one table."""
    calls = 2_000 if config.quick else 50_000
    batches = 3 if config.quick else 7
    keys = [True, False]

    def measure_one(with_impl: bool, tool: str) -> dict[str, Any]:
        job = {
            "kind": "hook-call",
            "tool": tool,
            "with_impl": with_impl,
            "calls": calls,
            "batches": batches,
        }
        return run_child(job)

    samples = alternate(
        keys, config.tools, lambda _: config.repeats_for(5), measure_one, lambda key, _: LABELS[key]
    )
    outcome = CaseOutcome()
    table = Table(
        "One hook call through the hook manager (ns per call, median)",
        ("Call", "hookline ns", "Kedro ns", "hookline/Kedro", "Result check"),
    )
    for with_impl in keys:
        figures: dict[str, float | None] = {}
        bad = []
        for tool in config.tools:
            sample = samples.get((with_impl, tool))
            if sample is None:
                continue
            outcome.checked += len(sample.results)
            problems = [f"hook-call {tool} {LABELS[with_impl]}: {e}" for e in sample.errors]
            problems += [
                f"hook-call {tool} {LABELS[with_impl]}: returned {got}, expected {EXPECTED}"
                for got in sorted(sample.digests() - {EXPECTED})
            ]
            if problems:
                bad.append(tool)
            outcome.failures.extend(problems)
            seconds = sample.median()
            figures[tool] = None if seconds is None else seconds * 1e9
        table.rows.append(
            [
                LABELS[with_impl],
                number(figures.get("hookline")),
                number(figures.get("kedro")) if config.with_kedro else NOT_MEASURED,
                ratio(figures.get("hookline"), figures.get("kedro")),
                "ok" if not bad else "**" + ", ".join(bad) + " WRONG or failed**",
            ]
        )
    table.notes.append(
        f"Each figure: the median over {config.repeats_for(5)} fresh processes of the median "
        f"over {batches} batches of {calls:,} calls, after 1,000 warm-up calls; the loop "
        "itself is included for both tools. hookline's runner never makes the second kind of "
        "call: it looks up once per run which hooks have implementations and skips the others."
    )
    outcome.tables.append(table)
    return outcome
