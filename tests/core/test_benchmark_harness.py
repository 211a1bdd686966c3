"""The benchmark harness still runs and still checks results (never how fast anything is)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "tests" / "benchmarks" / "run.py"

#: The pipeline sizes a --quick run measures, as the table prints them.
QUICK_SIZES = {"100", "1,000", "10,000"}


@pytest.mark.slow
def test_quick_per_node_run_has_every_size_and_passes_its_result_checks(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(HARNESS),
            "--quick",
            "--no-kedro",
            "--case",
            "per-node",
            "--results-dir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = proc.stdout

    tables = re.findall(r"^### (Per-node overhead: .*?)\n\n((?:\|.*\n)+)", report, re.MULTILINE)
    # linear and wide, SequentialRunner and ThreadRunner
    assert len(tables) == 4, report
    for title, body in tables:
        rows = [
            [cell.strip() for cell in line.strip("|").split("|")]
            for line in body.splitlines()[2:]  # after the header and the --- line
        ]
        header = [cell.strip() for cell in body.splitlines()[0].strip("|").split("|")]
        nodes, check = header.index("Nodes"), header.index("Result check")
        assert {row[nodes] for row in rows} == QUICK_SIZES, title
        assert all(row[check] == "ok" for row in rows), f"{title}:\n{body}"
    assert re.search(r"Result checks: all \d+ measurements produced the expected result", report)
    written = list(tmp_path.glob("*.md"))
    assert len(written) == 1
    assert written[0].read_text().strip() == report.strip()
