"""hookline against Kedro, side by side: ``python tests/benchmarks/run.py [options]``.

Runs the cases (per-node runner overhead, one hook call, whole processes, the example's
spaceflights pipeline, the seed's hooks, the run history's costs, dataset factories), then the benchmark scripts of the other issues
(parallel.py, and each plugin's script in the plugins' environment); prints one Markdown table
per case and one table with every target of the issues next to its measured figure, and
writes the same text to ``tests/benchmarks/results/<timestamp>.md``. ``nox -s bench --
[options]`` makes the environments and runs it. Exits 1 if any run of either tool produced a
wrong result or failed: a fast wrong answer never counts.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import case_factories
import case_history
import case_hook_call
import case_per_node
import case_process
import case_seed_hooks
import case_spaceflights
import external
from config import DEFAULT_KEDRO_MAX_NODES, QUICK_KEDRO_MAX_NODES, BenchConfig
from machine import LoadSampler, source_state
from outcome import CaseOutcome
from report import NOT_MEASURED, write_results
from targets import targets_table

CASES: dict[str, Callable[[BenchConfig], CaseOutcome]] = {
    case_per_node.NAME: case_per_node.run,
    case_hook_call.NAME: case_hook_call.run,
    case_process.NAME: case_process.run,
    case_spaceflights.NAME: case_spaceflights.run,
    case_seed_hooks.NAME: case_seed_hooks.run,
    case_history.NAME: case_history.run,
    case_factories.NAME: case_factories.run,
    "parallel": external.run_parallel,
    "plugins": external.run_plugins,
}

DEFAULT_RESULTS_DIR = Path(__file__).resolve().parent / "results"


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="one repetition each: a smoke run, not figures"
    )
    parser.add_argument(
        "--case",
        action="append",
        choices=sorted(CASES),
        help="run only this case (repeatable); default: all",
    )
    parser.add_argument(
        "--no-kedro", action="store_true", help="measure hookline only (Kedro shown as n/a)"
    )
    parser.add_argument("--repeats", type=int, help="repetitions per figure, overriding defaults")
    parser.add_argument(
        "--kedro-max-nodes",
        type=int,
        help="largest pipeline Kedro runs in the per-node case "
        f"(default: {DEFAULT_KEDRO_MAX_NODES:,}, {QUICK_KEDRO_MAX_NODES:,} with --quick)",
    )
    parser.add_argument(
        "--hookline-with-plugins",
        metavar="PATH",
        help="the hookline command of an environment with every plugin installed (nox -s bench "
        "makes one): measures issue 2's --help target as the issue states it",
    )
    parser.add_argument(
        "--plugins-python",
        metavar="PATH",
        help="the Python of that environment: runs the plugins' own benchmark scripts",
    )
    parser.add_argument(
        "--seed-python",
        metavar="PATH",
        help="the Python of an environment with Kedro, every plugin and the seeds' libraries "
        "(nox -s bench makes one): runs the seed-hooks case",
    )
    parser.add_argument(
        "--results-dir",
        type=Path,
        default=DEFAULT_RESULTS_DIR,
        help="where the Markdown file goes (default: tests/benchmarks/results)",
    )
    return parser.parse_args(argv)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return NOT_MEASURED


def header(
    config: BenchConfig, argv: list[str], started: datetime, source: str, load: LoadSampler
) -> str:
    """What was measured, where and with what, so a results file stands on its own."""
    kedro = _version("kedro") if config.with_kedro else "not measured (--no-kedro)"
    elapsed = datetime.now(timezone.utc) - started
    lines = [
        f"## hookline vs Kedro benchmarks, {started:%Y-%m-%d %H:%M} UTC",
        "",
        f"- Command: `{shlex.join(['python', 'tests/benchmarks/run.py', *argv])}`",
        f"- hookline {_version('hookline')} ({source}), Kedro {kedro}, pluggy {_version('pluggy')}",
        f"- Python {platform.python_version()} on {platform.platform()}, "
        f"{os.cpu_count()} CPUs ({platform.processor() or platform.machine()})",
        f"- Took {elapsed.total_seconds() / 60:.1f} min; {load.summary()}",
    ]
    if load.busy():
        lines.append(
            f"- **The machine was busy** (load above its {os.cpu_count()} CPUs): other work "
            "inflated the wall times. Tools alternate, so ratios hold better than absolute "
            "figures; judge the targets on a quiet machine."
        )
    if config.quick:
        lines.append("- **Quick run**: one repetition per figure; a smoke test, not a result.")
    return "\n".join(lines) + "\n"


def _command(option: str, given: str | None) -> str | None:
    """A command given as ``option``, as an absolute path (commands run in other folders).

    Not resolved through symbolic links: a virtual environment's ``python`` is one, and only
    through the link does it run in that environment.
    """
    if given is None:
        return None
    path = Path(given).absolute()
    if not path.is_file():
        raise SystemExit(f"{option}: no such command: {path}")
    return str(path)


def main(argv: list[str]) -> int:
    """Run the chosen cases, print and save the report; 1 if any result check failed."""
    args = parse_args(argv)
    config = BenchConfig(
        quick=args.quick,
        with_kedro=not args.no_kedro,
        repeats=args.repeats,
        kedro_max_nodes=args.kedro_max_nodes,
        plugins_hookline=_command("--hookline-with-plugins", args.hookline_with_plugins),
        plugins_python=_command("--plugins-python", args.plugins_python),
        seed_python=_command("--seed-python", args.seed_python),
    )
    if config.with_kedro and _version("kedro") == NOT_MEASURED:
        print("Kedro is not installed: install it or pass --no-kedro.", file=sys.stderr)
        return 2
    started, source = datetime.now(timezone.utc), source_state()
    with LoadSampler() as load:
        outcomes = [CASES[name](config) for name in (args.case or list(CASES))]

    sections = [header(config, argv, started, source, load)]
    sections.extend(table.render() for outcome in outcomes for table in outcome.tables)
    targets = [target for outcome in outcomes for target in outcome.targets]
    if targets:
        sections.append(targets_table(targets).render())
    checked = sum(outcome.checked for outcome in outcomes)
    failures = [line for outcome in outcomes for line in outcome.failures]
    if failures:
        sections.append(
            f"**Result checks FAILED** for {len(failures)} of {checked} measurements:\n\n"
            + "\n".join(f"- {line}" for line in failures)
            + "\n"
        )
    else:
        sections.append(
            f"Result checks: all {checked} measurements produced the expected result.\n"
        )
    markdown = "\n".join(sections)
    print(markdown)
    path = write_results(markdown, args.results_dir, started.strftime("%Y-%m-%dT%H-%M-%SZ"))
    print(f"Written to {path}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
