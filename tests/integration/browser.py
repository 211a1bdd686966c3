"""A real browser for the integration tests: Debian's Chromium, headless.

``tests/integration/setup/chromium.sh`` installs it. :func:`page_text` loads a page, lets its
JavaScript run (``--virtual-time-budget``: a single-page app such as the MLflow UI renders
after its API calls answer) and returns the text a person would read; :func:`screenshot`
takes a picture of it, kept under :func:`artifacts_dir` for people to look at.
"""

from __future__ import annotations

import html.parser
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
#: Flags for running as root in a container with no display (see real-services.md).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
_SETUP_SCRIPT = "tests/integration/setup/chromium.sh"


def chromium() -> str | None:
    """The Chromium executable, or ``None``."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def missing() -> str | None:
    """Why no browser can run here, or ``None``."""
    if chromium() is None:
        return f"chromium is not installed (run `bash {_SETUP_SCRIPT}` as root)"
    return None


def require() -> None:
    """Skip the calling test when there is no browser, or fail it when CI is set."""
    reason = missing()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and no browser can run: {reason}")
    pytest.skip(reason)


def artifacts_dir() -> Path:
    """Where tests keep what people should look at: ``HOOKLINE_TEST_ARTIFACTS``, else
    ``tests/artifacts/`` (gitignored)."""
    folder = Path(os.environ.get("HOOKLINE_TEST_ARTIFACTS") or REPO / "tests" / "artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _run(args: list[str], budget_ms: int, timeout: float) -> subprocess.CompletedProcess[str]:
    executable = chromium()
    assert executable is not None, missing()
    with tempfile.TemporaryDirectory(prefix="hookline-chromium-") as profile:
        return subprocess.run(
            [
                executable,
                *FLAGS,
                f"--user-data-dir={profile}",
                "--window-size=1400,2200",
                f"--virtual-time-budget={budget_ms}",
                *args,
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def dom(url: str, budget_ms: int = 20000, timeout: float = 180.0) -> str:
    """The page's DOM after its scripts ran for ``budget_ms`` of virtual time."""
    done = _run(["--dump-dom", url], budget_ms, timeout)
    if done.returncode != 0 or "<html" not in done.stdout:
        raise RuntimeError(
            f"chromium --dump-dom {url} failed ({done.returncode}): {done.stderr[-2000:]}"
        )
    return done.stdout


def page_text(url: str, budget_ms: int = 20000) -> str:
    """The visible text of the page (scripts and styles left out), one piece per line."""
    parser = _TextParser()
    parser.feed(dom(url, budget_ms))
    return "\n".join(parser.pieces)


def screenshot(url: str, path: Path, budget_ms: int = 20000) -> Path:
    """Save a PNG of the page to ``path`` and return it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    done = _run([f"--screenshot={path}", url], budget_ms, 180.0)
    if done.returncode != 0 or not path.exists():
        raise RuntimeError(
            f"chromium --screenshot {url} failed ({done.returncode}): {done.stderr[-2000:]}"
        )
    return path


class _TextParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "noscript"):
            self._hidden += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "noscript") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.pieces.append(data.strip())
