"""The child process of one measurement: ``python child.py JOB_JSON RESULT_PATH``.

Every measurement runs in a fresh interpreter, so imports, caches, garbage and logging set-up
of one never reach the next. The child imports only the tool it measures, does the job, and
writes a JSON object to RESULT_PATH (not to stdout, which Kedro's logging may write to).
"""

from __future__ import annotations

import gc
import importlib
import json
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Protocol, cast

from checks import digest
from logsetup import configure_null_logging


class Driver(Protocol):
    """What drive_hookline and drive_kedro both provide."""

    def prepare_run(self, shape: str, size: int, runner: str, with_hooks: bool) -> Any:
        """Build a run."""

    def timed_run(self, prepared: Any) -> tuple[float, dict[str, object]]:
        """Run it; return seconds and outputs."""

    def prepare_hook_call(self, with_impl: bool) -> tuple[Any, dict[str, Any]]:
        """Return a hook caller and its keyword arguments."""


def peak_rss_mib() -> float:
    """The peak resident set size of this process so far, in MiB."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_pipeline(driver: Driver, job: dict[str, Any]) -> dict[str, Any]:
    """One timed run of a pipeline; the figure is the runner's ``run`` call alone."""
    configure_null_logging(job["log"])
    rss_imports = peak_rss_mib()
    prepared = driver.prepare_run(job["shape"], job["size"], job["runner"], job["hooks"])
    # Leftovers of building the pipeline should not be collected on either tool's clock.
    gc.collect()
    seconds, outputs = driver.timed_run(prepared)
    return {
        "seconds": seconds,
        "digest": digest(outputs),
        "rss_after_imports_mib": rss_imports,
        "rss_peak_mib": peak_rss_mib(),
    }


def time_hook_call(driver: Driver, job: dict[str, Any]) -> dict[str, Any]:
    """The median cost of one ``before_node_run`` call, over ``batches`` batches of ``calls``."""
    configure_null_logging("WARNING")
    caller, kwargs = driver.prepare_hook_call(job["with_impl"])
    returned = caller(**kwargs)
    for _ in range(1_000):  # warm-up: first calls fill pluggy's and the interpreter's caches
        caller(**kwargs)
    per_call: list[float] = []
    for _ in range(job["batches"]):
        started = time.perf_counter()
        for _ in range(job["calls"]):
            caller(**kwargs)
        per_call.append((time.perf_counter() - started) / job["calls"])
    return {"seconds": statistics.median(per_call), "digest": repr(returned)}


def main(argv: list[str]) -> None:
    """Do the job named in ``argv[1]`` and write its result to ``argv[2]``."""
    job: dict[str, Any] = json.loads(argv[1])
    driver = cast(Driver, importlib.import_module(f"drive_{job['tool']}"))
    work = run_pipeline if job["kind"] == "run" else time_hook_call
    result = work(driver, job)
    Path(argv[2]).write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
