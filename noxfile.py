"""Every check a person or CI runs on hookline: `nox` runs the default ones, `nox --list` shows all.

Plugins are discovered, never listed: every folder `plugins/<name>/` with a pyproject.toml is a
plugin distribution and is installed, type-checked, tested and built by the sessions below.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nox
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

if sys.version_info >= (3, 11):
    import tomllib
else:  # nox itself depends on tomli there
    import tomli as tomllib

nox.needs_version = ">=2024.3.2"  # the first release that knows the "uv|virtualenv" fallback
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = [
    "lint",
    "types",
    "tests",
    "legacy_great_expectations",
    "wheelhouse",
    "kedro_parity",
    "kedro_bridge",
]
# uv installs without compiling bytecode, unlike pip: where Python may not write bytecode
# itself (PYTHONDONTWRITEBYTECODE, a read-only site-packages), every run would compile every
# import from source again. Set here, every uv command of every session inherits it, those of
# _side_environment included; setdefault leaves UV_COMPILE_BYTECODE=0 to whoever sets it.
os.environ.setdefault("UV_COMPILE_BYTECODE", "1")

ROOT = Path(__file__).resolve().parent
CORE = ROOT / "core"
FIXTURE_PLUGINS_DIR = ROOT / "tests" / "fixtures" / "plugins"


def _distributions(parent: Path) -> list[Path]:
    """Folders directly under ``parent`` that hold a pyproject.toml, in a stable order."""
    return sorted(p.parent for p in parent.glob("*/pyproject.toml"))


def _project(folder: Path) -> dict[str, Any]:
    with (folder / "pyproject.toml").open("rb") as f:
        project: dict[str, Any] = tomllib.load(f)["project"]
    return project


PLUGINS = _distributions(ROOT / "plugins")
FIXTURE_PLUGINS = _distributions(FIXTURE_PLUGINS_DIR)


def _with_test_extra(plugin: Path) -> str:
    """``plugin[test]`` when the plugin declares a ``test`` extra (what its tests need beyond
    its own dependencies: servers' client libraries, numpy, ...), else the plugin alone."""
    extras = _project(plugin).get("optional-dependencies", {})
    return f"{plugin}[test]" if "test" in extras else str(plugin)


def _editable(*specs: Path | str) -> list[str]:
    """``-e spec`` for each folder (or ``folder[extra]``)."""
    return [arg for spec in specs for arg in ("-e", str(spec))]


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff's lint rules and its formatter over the whole repository, and the import contracts
    of pyproject.toml's [tool.importlinter] (which package may import which)."""
    session.install("ruff>=0.8", "import-linter>=2.1")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # import-linter reads the sources without importing them: it only needs to find the
    # packages, so they are put on the path rather than installed with their dependencies.
    sources = [CORE / "src", *(p / "src" for p in PLUGINS)]
    session.run("lint-imports", env={"PYTHONPATH": os.pathsep.join(map(str, sources))})


@nox.session
def types(session: nox.Session) -> None:
    """mypy --strict over the core and every plugin, against their installed dependencies."""
    # One install command, so that a plugin's dependency on `hookline` is met by the local core
    # and never looked up on an index.
    session.install(
        *_editable(f"{CORE}[pandas,dask,report,port]", *PLUGINS),
        "mypy>=1.11",
        "types-PyYAML",
        "pandas-stubs",
    )
    # The folders are passed explicitly (not left to [tool.mypy] files) because mypy fails on a
    # glob that matches nothing, which `plugins/*/src` does until the first plugin lands.
    sources = [CORE / "src", *(p / "src" for p in PLUGINS)]
    session.run("mypy", *(str(s.relative_to(ROOT)) for s in sources))


@nox.session
def tests(session: nox.Session) -> None:
    """The test suite (benchmarks excluded), with every plugin and the fixture plugins installed."""
    # The fixture plugins are installed as real distributions (not editable) so their entry
    # points are read from installed metadata exactly as a user's plugin would be. The example
    # is installed for the benchmark harness's test, which runs its node functions.
    session.install(
        *_editable(f"{CORE}[pandas,dask,report,port]", *map(_with_test_extra, PLUGINS), EXAMPLE),
        *(str(p) for p in FIXTURE_PLUGINS),
        "pytest>=8.1",
        "hypothesis",
    )
    _install_services(session)
    # pytest exits with 5 when it collected no test. nox fails a session on any non-zero exit
    # and that is deliberate: a suite that silently runs nothing must not look green.
    # Arguments after `--` replace the default path: `nox -s tests -- tests/core -k catalog`.
    # Tests of great_expectations 0.15.x run in legacy_great_expectations, those of Kedro in
    # kedro_bridge, not here.
    session.run("pytest", "-m", "not legacy_gx and not kedro", *(session.posargs or ["tests"]))


@nox.session
def legacy_great_expectations(session: nox.Session) -> None:
    """hookline-great-expectations on great_expectations 0.15.50, the release that still has
    both APIs of Kedro's data validation examples (the tests marked legacy_gx)."""
    # 0.15.50 needs pydantic 1 and mlflow 3 needs pydantic 2: this environment has only the
    # core, this plugin and great_expectations (with what it pulls in). 0.15.50 imports
    # pkg_resources without depending on setuptools, which dropped it in release 81.
    plugin = ROOT / "plugins" / "hookline-great-expectations"
    session.install(
        *_editable(CORE, plugin), "great_expectations==0.15.50", "setuptools<81", "pytest>=8.1"
    )
    session.run(
        "pytest", "-m", "legacy_gx", *(session.posargs or ["tests/plugins/great_expectations"])
    )


SERVICE_SETUP_DIR = ROOT / "tests" / "integration" / "setup"


def _install_services(session: nox.Session) -> None:
    """Run every ``tests/integration/setup/*.sh``: each installs (from Debian or npm) a server the
    integration tests start, such as the StatsD daemon and Graphite. Each script is idempotent
    and quick when its server is already there, and says so and does nothing when it cannot
    install (not root); the tests that need that server then skip, except under CI=true, where
    they fail."""
    for script in sorted(SERVICE_SETUP_DIR.glob("*.sh")):
        session.run("bash", str(script), external=True)


@nox.session
def wheelhouse(session: nox.Session) -> None:
    """Build every wheel, then install the core and each plugin extra as a user would, fresh."""
    session.install("build[uv]")
    wheelhouse_dir = Path(session.create_tmp()).resolve() / "wheelhouse"
    # Start empty: an old wheel of another version would let a broken build go unnoticed.
    shutil.rmtree(wheelhouse_dir, ignore_errors=True)
    for folder in (CORE, *PLUGINS):
        session.run(
            "python", "-m", "build", "--wheel", "--installer=uv",
            "--outdir", str(wheelhouse_dir), str(folder),
        )  # fmt: skip

    # Canonical distribution name -> version, read off the wheels (versions may be dynamic).
    local = dict(parse_wheel_filename(w.name)[:2] for w in wheelhouse_dir.glob("*.whl"))
    # Pin every local distribution to the version just built, so that pip can never prefer a
    # release of the same name from an index over the wheel in the wheelhouse.
    constraints = wheelhouse_dir / "constraints.txt"
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in local.items()))

    core = _project(CORE)

    checks: list[_FreshInstall] = [_FreshInstall(core["name"])]
    for extra, requirements in core.get("optional-dependencies", {}).items():
        names = (canonicalize_name(Requirement(r).name) for r in requirements)
        plugins = [name for name in names if name.startswith("hookline-")]
        if not plugins:
            continue  # not a plugin extra (pandas, dask)
        missing = [name for name in plugins if name not in local]
        if missing:
            session.log(f"skipping [{extra}]: no folder under plugins/ for {', '.join(missing)}")
        elif plugins == [KEDRO_BRIDGE]:
            # The bridge is a Kedro plugin: installed next to Kedro, `kedro info` lists it by
            # its package's name.
            checks.append(
                _FreshInstall(
                    f"{core['name']}[{extra}]", (KEDRO,), ("kedro", "info"), ("hookline_kedro",)
                )
            )
        else:
            checks.append(
                _FreshInstall(f"{core['name']}[{extra}]", (), ("hookline", "hooks"), tuple(plugins))
            )

    for check in checks:
        _check_fresh_install(session, wheelhouse_dir, constraints, check)


#: The distribution of the Kedro bridge, and the Kedro it is tested with.
KEDRO_BRIDGE = "hookline-kedro"
KEDRO = "kedro==1.7.*"


@dataclass(frozen=True)
class _FreshInstall:
    """What the wheelhouse session installs in a fresh venv, and how it checks the result.

    Attributes:
        requirement: ``hookline`` or ``hookline[<extra>]``, installed from the wheelhouse.
        next_to: What a user has installed besides (Kedro, for the bridge), from the index.
        listing: The command whose output must name each of ``expected``.
        expected: The names the listing must show.
    """

    requirement: str
    next_to: tuple[str, ...] = ()
    listing: tuple[str, ...] = ()
    expected: tuple[str, ...] = ()


def _check_fresh_install(
    session: nox.Session, wheelhouse_dir: Path, constraints: Path, check: _FreshInstall
) -> None:
    """``pip install`` the requirement of ``check`` into a new venv; `hookline` must run and
    the listing command must name what ``check`` expects."""
    requirement = check.requirement
    session.log(f"fresh install of {requirement!r}")
    with tempfile.TemporaryDirectory(prefix="hookline-wheelhouse-") as tmp:
        venv = Path(tmp) / "venv"
        bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
        # The variables of nox's own venv would leak into the user's shell we imitate here.
        env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH"}}

        def run(*args: str) -> str:
            # Run from the empty temp dir so nothing in the repository can be imported by accident.
            proc = subprocess.run(
                args, cwd=tmp, env=env, capture_output=True, text=True, check=False
            )
            output = proc.stdout + proc.stderr
            if proc.returncode != 0:
                session.error(
                    f"{requirement}: `{' '.join(args)}` exited with {proc.returncode}:\n{output}"
                )
            return output

        session.run("python", "-m", "venv", str(venv))
        run(
            str(bin_dir / "python"), "-m", "pip", "install", "--disable-pip-version-check",
            "--find-links", str(wheelhouse_dir), "--constraint", str(constraints), requirement,
            *check.next_to,
        )  # fmt: skip
        hookline = str(bin_dir / "hookline")
        session.log(run(hookline, "--version").strip())
        if check.expected:
            command, *args = check.listing
            shown = f"`{' '.join(check.listing)}`"
            listing = run(str(bin_dir / command), *args)
            for name in check.expected:
                if name not in listing:
                    session.error(f"{requirement}: {shown} does not list {name}:\n{listing}")
            session.log(f"{shown} lists {', '.join(check.expected)}")


EXAMPLE = ROOT / "example_project"


@nox.session
def example(session: nox.Session) -> None:
    """The README's first command: install hookline, every plugin and the example project,
    generate the example's data if it is missing, run the whole pipeline, say where to look.

    Arguments after `--` go to `hookline run`, e.g. `nox -s example -- --env strict`."""
    session.install(*_editable(f"{CORE}[pandas]", *PLUGINS, EXAMPLE))
    session.chdir(EXAMPLE)
    if not (EXAMPLE / "data" / "01_raw" / "companies.csv").exists():
        session.run("python", "-m", "spaceflights.data_generator")
    try:
        session.run("hookline", "run", *session.posargs)
    except nox.command.CommandFailed:
        # A failed run (`-- --env strict`) is recorded too: say where, then fail the session.
        _where_to_look(session)
        session.error("hookline run failed: its error is above")
    _where_to_look(session)


def _where_to_look(session: nox.Session) -> None:
    """Print where the example's run can be seen, for each plugin that is installed."""
    hookline = Path(session.bin) / "hookline"
    plugins = {p.name for p in PLUGINS}
    project = EXAMPLE.relative_to(ROOT)
    session.log("Where to look:")
    if "hookline-mlflow" in plugins:
        session.log(
            f"  MLflow (run, parameters, metrics, model, chart), the UI on {project}/mlflow.db:\n"
            f"      cd {project} && {hookline} mlflow ui\n"
            "      then open http://127.0.0.1:5000, experiment 'spaceflights'"
        )
    if "hookline-statsd" in plugins:
        grafana = Path("plugins", "hookline-statsd", "grafana")
        session.log(
            "  StatsD (node and dataset timings, sizes, memory), sent over UDP to "
            "localhost:8125 with the prefix 'hookline':\n"
            f"      Grafana: cd {grafana} && docker compose up -d, run `nox -s example` again, "
            f"open http://localhost:3000, dashboard 'hookline pipelines' ({grafana}/dashboard.json)"
            "\n      or Graphite's render API: http://localhost:8080/render?target=aliasByNode("
            "stats.timers.hookline.node.*.duration.mean,-3)&from=-15min"
        )
    if "hookline-great-expectations" in plugins:
        docs = project / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
        session.log(f"  Great Expectations Data Docs (every validation of the run): {docs}")
    if "hookline-memory" in plugins:
        session.log("  memory: the 'Memory:' lines and the Measurements table of the run above")
    session.log(f"  the chart: {project}/data/08_reporting/price_chart.png")


KEDRO_DATASETS = (
    "kedro-datasets[pandas-csvdataset,pandas-parquetdataset,pickle-pickledataset,json-jsondataset]"
)


@nox.session
def bench(session: nox.Session) -> None:
    """hookline against Kedro, and every issue's benchmark (tests/benchmarks/run.py, which
    runs the others); posargs go to it, e.g. `-- --quick` or `-- --case spaceflights`."""
    # Kedro is installed here and nowhere else, so no other session can import it by accident;
    # 1.7 is the release issue 2 quotes its Kedro figures for. kedro-datasets gives the Kedro
    # project of the spaceflights case the example's dataset types; the example brings the node
    # functions (and scikit-learn, matplotlib); Dask is for parallel.py's DaskRunner.
    session.install(*_editable(f"{CORE}[pandas,dask]", EXAMPLE), "kedro==1.7.*", KEDRO_DATASETS)
    args = list(session.posargs)
    if PLUGINS:
        # Issue 2's `hookline --help` target is "with all plugins installed", but the plugins'
        # dependencies would slow Kedro down too (MLflow brings Flask, and Kedro's dynaconf
        # imports its Flask support when Flask is importable: `kedro --version` goes from
        # about 0.4 s to 1.5 s). So the plugins get an environment of their own, without
        # Kedro, whose `hookline` the harness uses for that target and whose Python runs the
        # plugins' own benchmark scripts (their [test] extras hold what those need: the
        # seeds' libraries, GX 1.x, numpy; pytest for the real servers' helpers).
        plugins_bin = _side_environment(
            session,
            "with-plugins",
            [*_editable(f"{CORE}[pandas]", *map(_with_test_extra, PLUGINS)), "pytest>=8.1"],
        )
        # The seed-hooks case runs the seeds under Kedro and hookline in one environment,
        # which therefore has both, every plugin and the seeds' libraries; not the bridge,
        # which would bring hookline's plugins into the Kedro runs the seeds are timed in.
        seed_plugins = [p for p in PLUGINS if p.name != KEDRO_BRIDGE]
        seed_bin = _side_environment(
            session,
            "seed-hooks",
            [
                *_editable(f"{CORE}[pandas]", *map(_with_test_extra, seed_plugins)),
                "kedro==1.7.*",
                KEDRO_DATASETS,
                "pytest>=8.1",
            ],
        )
        args = [
            "--hookline-with-plugins", str(plugins_bin / "hookline"),
            "--plugins-python", str(plugins_bin / "python"),
            "--seed-python", str(seed_bin / "python"),
            *args,
        ]  # fmt: skip
    # The real StatsD daemon (npm) for the seed-hooks case and statsd_plugin.py; idempotent.
    session.run("bash", str(SERVICE_SETUP_DIR / "statsd-graphite.sh"), external=True)
    session.run("python", "tests/benchmarks/run.py", *args)


@nox.session
def kedro_parity(session: nox.Session) -> None:
    """The same hook classes under Kedro 1.7 (their Kedro import line) and under hookline
    (only that line changed), in one scenario project each: what the hooks recorded must
    match; and a spaceflights-shaped Kedro project run by Kedro, ported by `hookline
    port-kedro` and run by hookline with every runner: same outputs, nodes and datasets
    (tests/kedro_parity/). Arguments after `--` replace the default path."""
    # Kedro, kedro-datasets and the core alone: no plugin, so nothing but the hooks under
    # test runs on either side, and Kedro never enters the core's `tests` environment.
    # The spaceflights project (tests/kedro_parity/spaceflights) also needs port-kedro's
    # libraries, the Dask runner, kedro-datasets' ExcelDataset and TextDataset, and its model.
    session.install(
        *_editable(f"{CORE}[pandas,dask,port]"),
        "kedro==1.7.*",
        KEDRO_DATASETS,
        "kedro-datasets[pandas-exceldataset,text-textdataset]",
        "scikit-learn",
        "pytest>=8.1",
    )
    session.run(
        "pytest", *(session.posargs or ["tests/kedro_parity"]),
        env={"KEDRO_DISABLE_TELEMETRY": "true"},
    )  # fmt: skip


def _side_environment(session: nox.Session, name: str, requirements: list[str]) -> Path:
    """A virtual environment of the session's own (under its tmp folder) with
    ``requirements`` installed; returns its folder of commands."""
    venv = Path(session.create_tmp()).resolve() / name
    bin_dir = venv / ("Scripts" if sys.platform == "win32" else "bin")
    if shutil.which("uv"):
        session.run("uv", "venv", "--quiet", "--allow-existing", str(venv), external=True)
        session.run(
            "uv", "pip", "install", "--quiet", "--python", str(bin_dir / "python"),
            *requirements, external=True,
        )  # fmt: skip
    else:
        session.run("python", "-m", "venv", str(venv))
        session.run(
            str(bin_dir / "python"), "-m", "pip", "install", "--quiet",
            "--disable-pip-version-check", *requirements, external=True,
        )  # fmt: skip
    return bin_dir


def _install_kedro_with_every_plugin(session: nox.Session) -> None:
    """Kedro 1.7 with hookline[kedro,mlflow,...] (the bridge and every plugin) and the example.

    Kedro is installed here (and in bench) only. What a Kedro user installs,
    hookline[kedro,mlflow,...], comes from the repository's folders, editable, in one command
    (so the extras' plugins are the local ones), as the tests session installs them: building
    the wheelhouse again would double the session's time, and the wheelhouse session already
    installs each extra from wheels. The example brings the node functions.
    """
    extras = "pandas,kedro,mlflow,memory,statsd,great-expectations"
    session.install(
        *_editable(f"{CORE}[{extras}]", *map(_with_test_extra, PLUGINS), EXAMPLE),
        KEDRO,
        KEDRO_DATASETS,
        "pytest>=8.1",
    )


@nox.session
def kedro_bridge(session: nox.Session) -> None:
    """hookline's plugins inside `kedro run` (plugins/hookline-kedro): a project made with
    `kedro new`, run under Kedro's three runners against a real `mlflow server`, the StatsD
    daemon with Graphite and a GX context (tests/kedro_bridge)."""
    _install_kedro_with_every_plugin(session)
    session.run("bash", str(SERVICE_SETUP_DIR / "statsd-graphite.sh"), external=True)
    session.run("pytest", "-m", "kedro", *(session.posargs or ["tests/kedro_bridge"]))


@nox.session
def kedro_bridge_bench(session: nox.Session) -> None:
    """What hookline-kedro adds to each node of `kedro run` with every plugin installed but
    switched off, side by side with plain Kedro (tests/benchmarks/kedro_bridge_overhead.py;
    posargs go to it). Its own session: it needs Kedro, the bridge and every plugin in one
    environment, which no case of `bench` has."""
    _install_kedro_with_every_plugin(session)
    session.run("python", "tests/benchmarks/kedro_bridge_overhead.py", *session.posargs)
