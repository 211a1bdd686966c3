"""The StatsD daemon (npm ``statsd@0.9.0``) sending to Carbon, read by graphite-web (Debian's
``graphite-carbon`` and ``graphite-web``): what a Grafana dashboard with a Graphite data source
queries, started on 127.0.0.1 for the tests and stopped by pid.

``tests/integration/setup/statsd-graphite.sh`` installs the pieces. The session-scoped fixture
:func:`statsd_graphite` starts the whole stack once per test session::

    def test_metrics_arrive(statsd_graphite):
        client = StatsClient(statsd_graphite.host, statsd_graphite.port, prefix="p")
        ...
        statsd_graphite.graphite.wait_for_metric("stats_counts.p.runs")
        series = statsd_graphite.graphite.render("stats_counts.p.*", since=started)

:func:`statsd_daemon` alone (no Carbon) starts a daemon whose received lines a test reads
from its log: the daemon is run with ``dumpMessages``.

Whisper files are read with Debian's ``/usr/bin/python3`` (``import whisper``): the package
is installed for the system Python, not for the virtual environment running the tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import textwrap
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[3]
#: Where setup/statsd-graphite.sh installs the npm daemon.
STATSD_DIR = REPO / ".services" / "statsd" / "node_modules" / "statsd"
STATSD_JS = STATSD_DIR / "stats.js"
NODE = shutil.which("node") or "/usr/bin/node"
#: Debian's programs: they run on the system Python, whatever Python runs the tests.
SYSTEM_PYTHON = "/usr/bin/python3"
CARBON_CACHE = "/usr/bin/carbon-cache"
GUNICORN = "/usr/bin/gunicorn"
GRAPHITE_MANAGE = "/usr/bin/graphite-manage"
GRAPHITE_STATIC = Path("/usr/share/graphite-web/static")

HOST = "127.0.0.1"
#: How often the daemon flushes to Carbon, in ms; with Carbon's 1 s retention every flush is
#: one whisper point.
FLUSH_INTERVAL_MS = 1000
_START_TIMEOUT = 90.0
_SETUP_SCRIPT = "tests/integration/setup/statsd-graphite.sh"


def missing() -> str | None:
    """Why the stack cannot start here (what is not installed), or ``None``."""
    absent = [
        str(path)
        for path in (
            STATSD_JS,
            Path(NODE),
            Path(CARBON_CACHE),
            Path(GUNICORN),
            Path(GRAPHITE_MANAGE),
        )
        if not path.exists()
    ]
    if not absent and _system_python_lacks("whisper"):
        absent.append("whisper for /usr/bin/python3 (python3-whisper)")
    if absent:
        return f"not installed: {', '.join(absent)} (run `bash {_SETUP_SCRIPT}` as root)"
    return None


def missing_daemon() -> str | None:
    """Why the StatsD daemon alone cannot start here, or ``None``."""
    if not STATSD_JS.exists() or not Path(NODE).exists():
        return f"the StatsD daemon is not installed (run `bash {_SETUP_SCRIPT}`)"
    return None


def require(reason: str | None) -> None:
    """Skip the calling test with ``reason``, or fail it when the environment variable CI is
    set (CI must never pass without the real servers)."""
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and the StatsD/Graphite stack cannot run: {reason}")
    pytest.skip(reason)


def _system_python_lacks(module: str) -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return True
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", f"import {module}"], env=_system_env(), capture_output=True
    )
    return probe.returncode != 0


def _system_env(**extra: str) -> dict[str, str]:
    """The environment for Debian's Python programs: nothing of the tests' virtual env."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP"}
    }
    env.update(extra)
    return env


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port on 127.0.0.1 that is free now, for TCP or (``SOCK_DGRAM``) UDP."""
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _free_ports(count: int) -> list[int]:
    """``count`` distinct free ports, each free for both TCP and UDP."""
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
        if port not in ports:
            ports.append(port)
    return ports


class _Process:
    """A server process started in its own session, stopped by its pid."""

    def __init__(self, name: str, args: list[str], log: Path, env: dict[str, str], cwd: Path):
        self.name = name
        self.log = log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                args, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                start_new_session=True,
            )  # fmt: skip
        self.pid = self.popen.pid

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(
                f"{self.name} (pid {self.pid}) exited with {self.popen.returncode}:\n"
                f"{self.log.read_text(errors='replace')[-3000:]}"
            )

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 10 s: by pid, the process and what it started."""
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.pid, signal.SIGKILL)
                self.popen.wait(timeout=10)
        # Workers of gunicorn, twistd children: the group's other members, by the group id
        # that is this process's pid.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)


def _wait_until(what: str, ready: Callable[[], bool], process: _Process, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.check_alive()
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"{what} was not ready after {timeout:.0f} s; its log:\n"
        f"{process.log.read_text(errors='replace')[-3000:]}"
    )


def _tcp_open(port: int) -> bool:
    with socket.create_connection((HOST, port), timeout=1.0):
        return True


# -- the StatsD daemon ---------------------------------------------------------------------------


@dataclass
class StatsdDaemon:
    """A running StatsD daemon (Etsy's, from npm).

    Attributes:
        host: Where it listens (127.0.0.1).
        port: Its UDP port.
        tcp_port: Its TCP port (newline-separated lines on a stream).
        socket_path: Its Unix stream socket.
        mgmt_port: Its management port (``stats``, ``counters``, ``health`` ...).
        log: Its output: with ``dumpMessages`` every line it received, one per log line.
        pid: Its process id.
    """

    host: str
    port: int
    tcp_port: int
    socket_path: Path
    mgmt_port: int
    log: Path
    pid: int

    def mgmt(self, command: str) -> str:
        """Send ``command`` to the management port and return the answer (without END)."""
        with socket.create_connection((self.host, self.mgmt_port), timeout=5.0) as conn:
            conn.sendall(command.encode() + b"\n")
            answer = b""
            while True:
                chunk = conn.recv(65536)
                answer += chunk
                if not chunk or b"END\n\n" in answer or answer.startswith(b"health:"):
                    break
        return answer.decode().replace("END\n\n", "").strip()

    def stats(self) -> dict[str, float]:
        """The daemon's own figures: ``messages.bad_lines_seen``, ``uptime`` ..."""
        figures: dict[str, float] = {}
        for line in self.mgmt("stats").splitlines():
            key, _, value = line.partition(":")
            with contextlib.suppress(ValueError):
                figures[key.strip()] = float(value)
        return figures

    def bad_lines_seen(self) -> int:
        """How many lines the daemon refused since it started (a ``:`` or ``|`` too many ...)."""
        return int(self.stats()["messages.bad_lines_seen"])

    def received(self) -> list[str]:
        """Every metric line the daemon received so far, in order (``dumpMessages``)."""
        lines = []
        for line in self.log.read_text(errors="replace").splitlines():
            _, sep, message = line.partition(" - DEBUG: ")
            if sep and not message.startswith("Bad line:"):
                lines.append(message)
        return lines

    def wait_for_lines(
        self, predicate: Callable[[list[str]], bool], timeout: float = 10.0
    ) -> list[str]:
        """Wait until ``predicate(received())`` holds and return the lines (or fail)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.received()
            if predicate(lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)


def _statsd_config(
    udp_port: int,
    tcp_port: int,
    socket_path: Path,
    mgmt_port: int,
    carbon_port: int | None,
    dump_messages: bool,
    flush_interval_ms: int,
) -> str:
    config: dict[str, Any] = {
        "servers": [
            {"server": "./servers/udp", "address": HOST, "port": udp_port},
            {"server": "./servers/tcp", "address": HOST, "port": tcp_port},
            {"server": "./servers/tcp", "socket": str(socket_path)},
        ],
        "mgmt_address": HOST,
        "mgmt_port": mgmt_port,
        "flushInterval": flush_interval_ms,
        "dumpMessages": dump_messages,
        # A metric that got nothing during a flush is not sent again: each whisper point is then
        # what a run sent, and Carbon is not kept busy by the names of earlier tests.
        "deleteIdleStats": True,
    }
    if carbon_port is None:
        config["backends"] = ["./backends/console"]
    else:
        config.update(backends=["./backends/graphite"], graphiteHost=HOST, graphitePort=carbon_port)
    return f"// Written by {__name__} for one test session.\n({json.dumps(config, indent=2)})\n"


@contextlib.contextmanager
def statsd_daemon(
    workdir: Path,
    *,
    carbon_port: int | None = None,
    udp_port: int | None = None,
    dump_messages: bool = True,
    flush_interval_ms: int = FLUSH_INTERVAL_MS,
) -> Iterator[StatsdDaemon]:
    """Start a StatsD daemon with UDP, TCP and Unix socket servers; stop it after the block.

    Args:
        workdir: A folder of its own for the config, the socket and the log.
        carbon_port: Carbon's line receiver: flush there (Graphite backend); without it the
            console backend is used.
        udp_port: The UDP port (default: a free one).
        dump_messages: Log every line received (what :meth:`StatsdDaemon.received` reads);
            off for a benchmark, where logging would slow the daemon down.
        flush_interval_ms: How often the daemon flushes (and resets its counters).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    tcp_port, mgmt_port = _free_ports(2)
    port = udp_port if udp_port is not None else free_port(socket.SOCK_DGRAM)
    socket_path = workdir / "statsd.sock"
    config = workdir / "statsd-config.js"
    config.write_text(
        _statsd_config(
            port, tcp_port, socket_path, mgmt_port, carbon_port, dump_messages, flush_interval_ms
        )
    )
    log = workdir / "statsd.log"
    process = _Process(
        "statsd", [NODE, str(STATSD_JS), str(config)], log, dict(os.environ), workdir
    )
    try:
        daemon = StatsdDaemon(HOST, port, tcp_port, socket_path, mgmt_port, log, process.pid)
        _wait_until(
            "the StatsD daemon",
            lambda: daemon.mgmt("health") == "health: up" and socket_path.exists(),
            process,
            _START_TIMEOUT,
        )
        yield daemon
    finally:
        process.stop()


# -- Carbon and graphite-web ---------------------------------------------------------------------

_CARBON_CONF = """\
[cache]
STORAGE_DIR = {storage}/
LOCAL_DATA_DIR = {whisper}/
WHITELISTS_DIR = {storage}/lists/
CONF_DIR = {conf}/
LOG_DIR = {storage}/log/
PID_DIR = {storage}/
ENABLE_LOGROTATION = False
USER =
DATABASE = whisper
MAX_CACHE_SIZE = inf
# Every point of a test is written at once and every new name gets its file at once.
MAX_UPDATES_PER_SECOND = inf
MAX_CREATES_PER_MINUTE = inf
MIN_TIMESTAMP_RESOLUTION = 1
LINE_RECEIVER_INTERFACE = {host}
LINE_RECEIVER_PORT = {line_port}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = {host}
PICKLE_RECEIVER_PORT = {pickle_port}
CACHE_QUERY_INTERFACE = {host}
CACHE_QUERY_PORT = {query_port}
USE_FLOW_CONTROL = True
LOG_UPDATES = False
LOG_CREATES = False
LOG_LISTENER_CONN_SUCCESS = False
CACHE_WRITE_STRATEGY = sorted
WHISPER_AUTOFLUSH = False
WHISPER_FALLOCATE_CREATE = True
ENABLE_TAGS = False
CARBON_METRIC_INTERVAL = 0
"""

_STORAGE_SCHEMAS = """\
[all]
pattern = .*
retentions = 1s:1h
"""

_GRAPHITE_SETTINGS = """\
# graphite-web settings for one test session (GRAPHITE_SETTINGS_MODULE).
SECRET_KEY = "hookline-integration-tests"
ALLOWED_HOSTS = ["*"]
TIME_ZONE = "UTC"
GRAPHITE_ROOT = "/usr/share/graphite-web"
STATIC_ROOT = "/usr/share/graphite-web/static"
CONF_DIR = {conf!r}
STORAGE_DIR = {storage!r}
WHISPER_DIR = {whisper!r}
LOG_DIR = {logs!r}
INDEX_FILE = {index!r}
LOG_ROTATION = False
DEFAULT_XFILES_FACTOR = 0
FUNCTION_PLUGINS = []
# Points Carbon holds but has not written yet are read from its cache.
CARBONLINK_HOSTS = ["{host}:{query_port}:a"]
# Nothing cached: a test reads what a run has just sent.
DEFAULT_CACHE_DURATION = 0
FIND_CACHE_DURATION = 0
DATABASES = {{
    "default": {{"NAME": {database!r}, "ENGINE": "django.db.backends.sqlite3"}}
}}
"""

_GRAPHITE_WSGI = """\
# graphite-web behind gunicorn. Debian's graphite/wsgi.py checks whitenoise's version and fails
# on the packaged one, so the application is wrapped here.
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "graphite.settings")

from django.core.wsgi import get_wsgi_application
from whitenoise import WhiteNoise

application = WhiteNoise(get_wsgi_application(), root={static!r}, prefix="static/")
"""

# Reads whisper files with Debian's Python: JSON [[path, from, until], ...] on stdin, JSON
# [[[timestamp, value], ...], ...] on stdout (only the points that hold a value).
_WHISPER_READER = textwrap.dedent(
    """
    import json, sys, whisper
    out = []
    for path, start, until in json.load(sys.stdin):
        try:
            (first, last, step), values = whisper.fetch(path, start, until)
        except FileNotFoundError:
            out.append(None)
            continue
        out.append([[first + i * step, v] for i, v in enumerate(values) if v is not None])
    json.dump(out, sys.stdout)
    """
)


@dataclass
class Graphite:
    """A running Carbon (carbon-cache) and graphite-web.

    Attributes:
        carbon_port: Carbon's line receiver (what the StatsD daemon flushes to).
        whisper_dir: Where Carbon writes ``.wsp`` files, one per metric path.
        url: graphite-web's address.
        pids: Carbon's and gunicorn's process ids.
    """

    carbon_port: int
    whisper_dir: Path
    url: str
    pids: list[int] = field(default_factory=list)

    @property
    def render_url(self) -> str:
        """The render API: what a Grafana Graphite data source sends panel targets to."""
        return f"{self.url}/render"

    def whisper_file(self, metric: str) -> Path:
        """The file of ``metric`` (a dotted Graphite path)."""
        return self.whisper_dir.joinpath(*metric.split(".")).with_suffix(".wsp")

    def fetch(
        self, metric: str, since: float, until: float | None = None
    ) -> list[tuple[int, float]]:
        """The (timestamp, value) points of ``metric`` from its whisper file ([] if none)."""
        return self.fetch_many([metric], since, until)[metric]

    def fetch_many(
        self, metrics: list[str], since: float, until: float | None = None
    ) -> dict[str, list[tuple[int, float]]]:
        """:meth:`fetch` for several metrics with one run of the system Python."""
        until = until if until is not None else time.time() + 1
        request = [[str(self.whisper_file(m)), int(since) - 1, int(until) + 1] for m in metrics]
        reader = subprocess.run(
            [SYSTEM_PYTHON, "-c", _WHISPER_READER],
            input=json.dumps(request), capture_output=True, text=True, env=_system_env(),
            check=True,
        )  # fmt: skip
        answers = json.loads(reader.stdout)
        return {
            metric: [(int(t), float(v)) for t, v in (points or [])]
            for metric, points in zip(metrics, answers, strict=True)
        }

    def wait_for_metrics(
        self,
        metrics: list[str],
        since: float,
        ready: Callable[[dict[str, list[tuple[int, float]]]], bool] | None = None,
        timeout: float = 30.0,
    ) -> dict[str, list[tuple[int, float]]]:
        """Wait until every metric has a point since ``since`` in its whisper file (and
        ``ready`` holds, if given); return the points. Carbon writes a few seconds after the
        daemon's flush."""
        deadline = time.monotonic() + timeout
        while True:
            points = self.fetch_many(metrics, since)
            done = all(points[m] for m in metrics) and (ready is None or ready(points))
            if done or time.monotonic() > deadline:
                return points
            time.sleep(0.5)

    def render(self, target: str, since: float, until: float | None = None) -> list[dict[str, Any]]:
        """``target`` through the render API as JSON: one ``{"target", "datapoints"}`` per
        series ([] when it matches nothing)."""
        body = self._render(target, since, until, "json")
        series: list[dict[str, Any]] = json.loads(body)
        return series

    def render_png(
        self, targets: list[str], since: float, until: float | None = None, **params: str
    ) -> bytes:
        """A PNG graph of ``targets`` drawn by graphite-web."""
        return self._render(targets, since, until, "png", **params)

    def _render(
        self,
        target: str | list[str],
        since: float,
        until: float | None,
        fmt: str,
        **params: str,
    ) -> bytes:
        until = until if until is not None else time.time() + 2
        query: list[tuple[str, str]] = [
            ("target", t) for t in ([target] if isinstance(target, str) else target)
        ]
        query += [
            ("from", str(int(since) - 2)),
            ("until", str(int(until) + 2)),
            ("format", fmt),
            *params.items(),
        ]
        url = f"{self.render_url}?{urllib.parse.urlencode(query)}"
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")[-2000:]
            raise AssertionError(
                f"graphite-web answered {error.code} to {url}:\n{detail}"
            ) from error


@contextlib.contextmanager
def carbon_and_graphite_web(workdir: Path) -> Iterator[Graphite]:
    """Start carbon-cache and graphite-web (gunicorn) on free ports; stop them after."""
    storage = workdir / "storage"
    whisper = storage / "whisper"
    conf = workdir / "conf"
    logs = storage / "log"
    for folder in (whisper, conf, logs / "webapp", storage / "lists"):
        folder.mkdir(parents=True, exist_ok=True)
    line_port, pickle_port, query_port, web_port = _free_ports(4)
    (conf / "carbon.conf").write_text(
        _CARBON_CONF.format(
            storage=storage,
            whisper=whisper,
            conf=conf,
            host=HOST,
            line_port=line_port,
            pickle_port=pickle_port,
            query_port=query_port,
        )
    )
    (conf / "storage-schemas.conf").write_text(_STORAGE_SCHEMAS)
    (conf / "storage-aggregation.conf").write_text("[default]\npattern = .*\nxFilesFactor = 0\n")
    (conf / "hookline_graphite_settings.py").write_text(
        _GRAPHITE_SETTINGS.format(
            conf=str(conf),
            storage=str(storage),
            whisper=f"{whisper}/",
            logs=str(logs / "webapp"),
            index=str(storage / "index"),
            host=HOST,
            query_port=query_port,
            database=str(storage / "graphite.db"),
        )
    )
    (conf / "hookline_graphite_wsgi.py").write_text(
        _GRAPHITE_WSGI.format(static=str(GRAPHITE_STATIC))
    )
    web_env = _system_env(
        PYTHONPATH=str(conf),
        GRAPHITE_SETTINGS_MODULE="hookline_graphite_settings",
        DJANGO_SETTINGS_MODULE="graphite.settings",
    )
    processes: list[_Process] = []
    try:
        carbon = _Process(
            "carbon-cache",
            [
                SYSTEM_PYTHON, CARBON_CACHE, f"--config={conf / 'carbon.conf'}",
                f"--pidfile={storage / 'carbon-cache.pid'}", f"--logdir={logs}", "--nodaemon",
                "start",
            ],
            workdir / "carbon.out", _system_env(), workdir,
        )  # fmt: skip
        processes.append(carbon)
        subprocess.run(
            [SYSTEM_PYTHON, GRAPHITE_MANAGE, "migrate", "--noinput"],
            env=web_env, cwd=conf, check=True, capture_output=True,
        )  # fmt: skip
        web = _Process(
            "graphite-web",
            [
                SYSTEM_PYTHON, GUNICORN, "--bind", f"{HOST}:{web_port}", "--workers", "2",
                "--timeout", "60", "--chdir", str(conf), "hookline_graphite_wsgi:application",
            ],
            workdir / "graphite-web.log", web_env, conf,
        )  # fmt: skip
        processes.append(web)
        graphite = Graphite(line_port, whisper, f"http://{HOST}:{web_port}", [carbon.pid, web.pid])
        _wait_until("carbon-cache", lambda: _tcp_open(line_port), carbon, _START_TIMEOUT)
        _wait_until(
            "graphite-web",
            lambda: graphite.render("no.such.metric", time.time() - 60) == [],
            web,
            _START_TIMEOUT,
        )
        yield graphite
    finally:
        for process in reversed(processes):
            process.stop()


# -- the whole stack -----------------------------------------------------------------------------


@dataclass
class StatsdGraphite:
    """StatsD -> Carbon -> graphite-web, running.

    Attributes:
        statsd: The daemon (UDP :attr:`port`, TCP, Unix socket, management port).
        graphite: Carbon and graphite-web (whisper files, render API).
    """

    statsd: StatsdDaemon
    graphite: Graphite

    @property
    def host(self) -> str:
        """Where everything listens."""
        return self.statsd.host

    @property
    def port(self) -> int:
        """The daemon's UDP port."""
        return self.statsd.port

    @property
    def whisper_dir(self) -> Path:
        """Carbon's whisper files."""
        return self.graphite.whisper_dir

    @property
    def render_url(self) -> str:
        """graphite-web's render API."""
        return self.graphite.render_url


@contextlib.contextmanager
def statsd_graphite_stack(workdir: Path) -> Iterator[StatsdGraphite]:
    """Start Carbon, graphite-web and a StatsD daemon flushing to Carbon; stop all after."""
    with (
        carbon_and_graphite_web(workdir / "graphite") as graphite,
        statsd_daemon(workdir / "statsd", carbon_port=graphite.carbon_port) as daemon,
    ):
        yield StatsdGraphite(daemon, graphite)


@pytest.fixture(scope="session")
def statsd_graphite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StatsdGraphite]:
    """The StatsD/Carbon/graphite-web stack, started once per test session (skipped when not
    installed, failing instead under CI)."""
    require(missing())
    with statsd_graphite_stack(tmp_path_factory.mktemp("statsd-graphite")) as stack:
        yield stack


@pytest.fixture(scope="session")
def statsd_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StatsdDaemon]:
    """A StatsD daemon alone (console backend), started once per test session: for tests that
    read what the daemon received (:meth:`StatsdDaemon.received`) and need no Graphite."""
    require(missing_daemon())
    with statsd_daemon(tmp_path_factory.mktemp("statsd-console")) as daemon:
        yield daemon


_SAFE_PREFIX = re.compile(r"[^a-z0-9_]")


def unique_prefix(label: str) -> str:
    """A metric prefix no other test of the session uses (whisper files are per name)."""
    return f"t{int(time.time() * 1000) % 10**9}_{_SAFE_PREFIX.sub('_', label.lower())}"[:60]
