"""Case "per-node": the runner's overhead per node, on pipelines of identity nodes.

Linear chains, wide fan-outs and chains of namespaced modular pipelines (one 10-node chain
reused under a namespace of its own per block, issue 17) of identity nodes over memory
datasets, at each size, with SequentialRunner and ThreadRunner, without hooks and with one
no-op hook class on every node and dataset hook, with logging at WARNING and at INFO. The figure is the wall time of the
runner's ``run`` call divided by the number of nodes; building the pipeline is not timed.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from checks import digest, expected_outputs
from config import BenchConfig
from measure import Samples, alternate, run_child
from outcome import CaseOutcome
from report import NOT_MEASURED, Table, met, number, ratio
from targets import (
    FLATNESS_LARGE,
    FLATNESS_MAX,
    FLATNESS_SMALL,
    KEDRO_ISSUE_DEFAULT_LOGGING_US,
    KEDRO_ISSUE_PER_NODE_US,
    PER_NODE_INFO_MAX_US,
    PER_NODE_WARNING_MAX_US,
    TargetResult,
)

NAME = "per-node"

SHAPES = ("linear", "wide", "namespaced")
RUNNERS = {"sequential": "SequentialRunner", "thread": "ThreadRunner"}
LOG_LEVELS = ("WARNING", "INFO")
LIMITS_US = {"WARNING": PER_NODE_WARNING_MAX_US, "INFO": PER_NODE_INFO_MAX_US}

#: Marks a Kedro figure measured on a smaller pipeline than its row's size.
SMALLER = "†"


class RunKey(NamedTuple):
    """One configuration of the case."""

    shape: str
    runner: str
    hooks: bool
    log: str
    size: int

    def label(self, size: int | None = None) -> str:
        """A short description, naming ``size`` nodes if a tool ran a smaller pipeline."""
        hooks = "no-op hooks" if self.hooks else "no hooks"
        ran = "" if size in (None, self.size) else f" (ran {size:,})"
        return f"{self.shape} {self.runner} {hooks} {self.log} {self.size:,} nodes{ran}"

    def has_target(self) -> bool:
        """Whether issue 2 sets a target for this configuration."""
        return self.shape == "linear" and self.runner == "sequential" and self.hooks


def default_repeats(size: int) -> int:
    """More repetitions for small pipelines, whose runs are short and noisier."""
    if size <= 100:
        return 7
    return 5 if size <= 1_000 else 3


def run(config: BenchConfig) -> CaseOutcome:
    """Measure every configuration and return the tables and target results."""
    sizes = config.sizes()
    keys = [
        RunKey(shape, runner, hooks, log, size)
        for shape in SHAPES
        for runner in RUNNERS
        for hooks in (False, True)
        for log in LOG_LEVELS
        for size in sizes
    ]

    def size_for(key: RunKey, tool: str) -> int:
        return min(key.size, config.kedro_cap()) if tool == "kedro" else key.size

    def measure_one(key: RunKey, tool: str) -> dict[str, Any]:
        return run_child(_job(key, tool, size_for(key, tool)))

    # Discarded runs, so that compiling each tool's bytecode never lands in a measurement.
    for tool in config.tools:
        run_child(_job(keys[0], tool, keys[0].size))
    samples = alternate(
        keys,
        config.tools,
        lambda key: config.repeats_for(default_repeats(key.size)),
        measure_one,
        lambda key, tool: key.label(size_for(key, tool)),
    )
    outcome = CaseOutcome()
    per_node: dict[tuple[RunKey, str], float | None] = {}
    failures: dict[tuple[RunKey, str], list[str]] = {}
    for (key, tool), sample in samples.items():
        used = size_for(key, tool)
        outcome.checked += len(sample.results)
        failures[key, tool] = _failures(key, tool, used, sample)
        outcome.failures.extend(failures[key, tool])
        seconds = sample.median()
        per_node[key, tool] = None if seconds is None else seconds / used * 1e6
    outcome.tables.extend(_tables(keys, failures, per_node, config, size_for))
    outcome.tables.append(_rss_table(keys, samples, config, size_for))
    outcome.targets.extend(_targets(per_node, sizes, config))
    return outcome


def _job(key: RunKey, tool: str, size: int) -> dict[str, Any]:
    return {
        "kind": "run",
        "tool": tool,
        "shape": key.shape,
        "size": size,
        "runner": key.runner,
        "hooks": key.hooks,
        "log": key.log,
    }


def _failures(key: RunKey, tool: str, size: int, sample: Samples) -> list[str]:
    """Describe each repetition that failed or returned something other than expected."""
    expected = digest(expected_outputs(key.shape, size))
    where = f"per-node {tool} {key.label()}"
    lines = [f"{where}: {error}" for error in sample.errors]
    lines.extend(
        f"{where}: wrong result {got!r}, expected {expected!r}"
        for got in sorted(sample.digests() - {expected})
    )
    return lines


def _check_cell(key: RunKey, failures: dict[tuple[RunKey, str], list[str]], tools: Any) -> str:
    """``ok`` when every repetition of every tool produced the expected outputs."""
    bad = [tool for tool in tools if failures.get((key, tool))]
    if not bad:
        return "ok"
    return "**" + ", ".join(f"{tool} WRONG or failed" for tool in bad) + "**"


def _tables(
    keys: list[RunKey],
    failures: dict[tuple[RunKey, str], list[str]],
    per_node: dict[tuple[RunKey, str], float | None],
    config: BenchConfig,
    size_for: Any,
) -> list[Table]:
    """One table per pipeline shape and runner."""
    tables = []
    for shape in SHAPES:
        for runner, runner_class in RUNNERS.items():
            table = Table(
                f"Per-node overhead: {shape} pipeline, {runner_class} (µs per node, median)",
                (
                    "Hooks",
                    "Logging",
                    "Nodes",
                    "hookline µs/node",
                    "Kedro µs/node",
                    "hookline/Kedro",
                    "Target (issue 2)",
                    "Result check",
                ),
            )
            smaller_seen = False
            for key in keys:
                if key.shape != shape or key.runner != runner:
                    continue
                ours = per_node.get((key, "hookline"))
                theirs = per_node.get((key, "kedro"))
                kedro_cell = number(theirs) if config.with_kedro else NOT_MEASURED
                ratio_cell = ratio(ours, theirs)
                if config.with_kedro and size_for(key, "kedro") != key.size:
                    smaller_seen = True
                    kedro_cell += f" {SMALLER}"
                    ratio_cell += f" {SMALLER}"
                target = "—"
                if key.has_target() and ours is not None:
                    limit = LIMITS_US[key.log]
                    target = f"≤ {limit:g}: {met(ours <= limit)}"
                table.rows.append(
                    [
                        "no-op hook class" if key.hooks else "none",
                        key.log,
                        f"{key.size:,}",
                        number(ours),
                        kedro_cell,
                        ratio_cell,
                        target,
                        _check_cell(key, failures, config.tools),
                    ]
                )
            table.notes.append(_repeats_note(keys, config))
            if smaller_seen:
                largest, cap = max(config.sizes()), config.kedro_cap()
                table.notes.append(
                    f"{SMALLER} Kedro measured at {cap:,} nodes, not {largest:,}: its per-node "
                    "cost grows with pipeline size (a run of 5,000 nodes takes about a minute, "
                    f"one of 10,000 several). The ratio compares hookline at {largest:,} nodes "
                    f"with Kedro at {cap:,}, which flatters Kedro."
                )
            tables.append(table)
    return tables


def _repeats_note(keys: list[RunKey], config: BenchConfig) -> str:
    counts = ", ".join(
        f"{config.repeats_for(default_repeats(size))} at {size:,}"
        for size in sorted({key.size for key in keys})
    )
    return (
        f"Repetitions per figure (each a fresh process, tools alternated): {counts}. "
        "Logging goes to a plain handler on the null device for both tools."
    )


def _rss_table(
    keys: list[RunKey],
    samples: dict[tuple[RunKey, str], Samples],
    config: BenchConfig,
    size_for: Any,
) -> Table:
    """Peak RSS of the runs of the largest pipelines."""
    largest = max(key.size for key in keys)
    kedro_size = min(largest, config.kedro_cap())
    table = Table(
        f"Peak memory of the {largest:,}-node runs (MiB, median; after imports in brackets)",
        ("Pipeline", "Runner", "Hooks", "Logging", "hookline", f"Kedro ({kedro_size:,} nodes)"),
    )
    for key in keys:
        if key.size != largest:
            continue
        cells = []
        for tool in ("hookline", "kedro"):
            sample = samples.get((key, tool))
            if sample is None or not sample.ok_results:
                cells.append(NOT_MEASURED)
                continue
            peak = sample.median("rss_peak_mib")
            base = sample.median("rss_after_imports_mib")
            cells.append(f"{number(peak)} ({number(base)})")
        table.rows.append(
            [
                key.shape,
                RUNNERS[key.runner],
                "no-op hook class" if key.hooks else "none",
                key.log,
                *cells,
            ]
        )
    table.notes.append(
        "Peak resident set size of the child process (resource.getrusage), which includes the "
        "interpreter and the tool's imports; the figure after imports shows that baseline."
    )
    if kedro_size != largest and config.with_kedro:
        table.notes.append(
            f"Kedro's figures are for {kedro_size:,} nodes, a smaller pipeline, "
            "so they understate its memory use."
        )
    return table


def _targets(
    per_node: dict[tuple[RunKey, str], float | None],
    sizes: tuple[int, ...],
    config: BenchConfig,
) -> list[TargetResult]:
    """Issue 2's per-node targets: the limits at WARNING and INFO, and flatness."""
    results = []
    for log in LOG_LEVELS:
        ours = {
            s: per_node.get((RunKey("linear", "sequential", True, log, s), "hookline"))
            for s in sizes
        }
        theirs = {
            s: per_node.get((RunKey("linear", "sequential", True, log, s), "kedro")) for s in sizes
        }
        limit = LIMITS_US[log]
        measured = [v for v in ours.values() if v is not None]
        results.append(
            TargetResult(
                target=f"SequentialRunner, linear, no-op hooks, logging {log}: µs per node "
                f"at {' / '.join(f'{s:,}' for s in sizes)} nodes",
                limit=f"≤ {limit:g} µs",
                measured=" / ".join(number(ours[s]) for s in sizes),
                ok=all(v <= limit for v in measured) if measured else None,
                kedro=_kedro_reference(log, theirs, sizes, config),
            )
        )
    for shape, what in (("linear", "Flat"), ("namespaced", "Flat with namespaced pipelines")):
        for log in LOG_LEVELS:
            small = per_node.get(
                (RunKey(shape, "sequential", True, log, FLATNESS_SMALL), "hookline")
            )
            large = per_node.get(
                (RunKey(shape, "sequential", True, log, FLATNESS_LARGE), "hookline")
            )
            factor = None if small is None or large is None else large / small
            results.append(
                TargetResult(
                    target=f"{what}: µs per node at {FLATNESS_LARGE:,} nodes / at "
                    f"{FLATNESS_SMALL} (same configuration, {log})",
                    limit=f"≤ {FLATNESS_MAX:g}x",
                    measured=NOT_MEASURED if factor is None else f"{factor:.2f}x",
                    ok=None if factor is None else factor <= FLATNESS_MAX,
                    kedro=_kedro_flatness(per_node, shape, log, config),
                )
            )
    return results


def _kedro_reference(
    log: str, theirs: dict[int, float | None], sizes: tuple[int, ...], config: BenchConfig
) -> str:
    if log == "WARNING":
        quoted = " / ".join(f"{v:,}" for v in KEDRO_ISSUE_PER_NODE_US.values())
        quoted += f" (at {' / '.join(f'{s:,}' for s in KEDRO_ISSUE_PER_NODE_US)})"
    else:
        quoted = f"~{KEDRO_ISSUE_DEFAULT_LOGGING_US:,} at 100 (rich, on a terminal)"
    if not config.with_kedro:
        return f"{quoted} / {NOT_MEASURED}"
    ours = " / ".join(number(theirs[s]) for s in sizes)
    capped = (
        f" ({SMALLER} last at {config.kedro_cap():,})" if max(sizes) > config.kedro_cap() else ""
    )
    return f"{quoted} / {ours}{capped}"


def _kedro_flatness(
    per_node: dict[tuple[RunKey, str], float | None], shape: str, log: str, config: BenchConfig
) -> str:
    small = per_node.get((RunKey(shape, "sequential", True, log, FLATNESS_SMALL), "kedro"))
    large = per_node.get((RunKey(shape, "sequential", True, log, FLATNESS_LARGE), "kedro"))
    if small is None or large is None:
        return NOT_MEASURED
    at = min(FLATNESS_LARGE, config.kedro_cap())
    return f"{large / small:.1f}x (at {at:,} / {FLATNESS_SMALL})"
