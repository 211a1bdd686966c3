"""Benchmark: hookline-great-expectations against the seed's way of validating, on GX Core 1.x.

1. A run validating ``--datasets`` datasets (default 50: one node per dataset, each reading a
   CSV of ``--rows`` rows, validated as the node's input), through a real session:

   - with no validation (the baseline);
   - with this plugin, suite style and checkpoint style (one context opened and prepared per
     run, before the first node);
   - the seed's way: the V3 DataValidationHooks of Kedro's examples ported to GX 1.x, which
     makes a new context for every dataset (``get_context`` where the seed calls
     ``DataContext()``) and runs the dataset's checkpoint with the in-memory DataFrame
     (``Checkpoint.run(batch_parameters=...)`` where the seed calls ``run_checkpoint``).

   Each configuration runs once to warm up (imports, the plugin's first preparation of the
   context, reported as "first run"), then ``--repeats`` times, interleaved; figures are
   medians. Data Docs are off, so every configuration does the same Great Expectations work
   apart from contexts. The target (issue 8): the plugin at least 3x faster than the seed.

2. The cost of one validation, side by side on the same context, ``--calls`` times each,
   interleaved: a bare ``batch_definition.get_batch(batch_parameters={"dataframe":
   df}).validate(suite)`` (validates, stores nothing); Great Expectations' own run of the same
   thing, ``ValidationDefinition.run`` (suite style) or ``Checkpoint.run`` (checkpoint style),
   both of which store the result and first re-read every object from the stores to check it
   is unchanged; and the plugin's ``before_node_run`` validating the DataFrame (the
   validation, its stored result, the figures it publishes). The target: the plugin within
   1.3x of the bare call.

Run from the repository root with hookline, hookline-great-expectations and GX Core 1.x
installed::

    python tests/benchmarks/great_expectations_plugin.py
    python tests/benchmarks/great_expectations_plugin.py --datasets 10 --repeats 1 --calls 20
"""

from __future__ import annotations

import argparse
import gc
import logging
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_RUN_RATIO = 3.0
TARGET_VALIDATION_RATIO = 1.3

#: The seed's V3 DataValidationHooks, ported to GX 1.x: same structure, a new context for
#: every dataset of every node; only the two calls that no longer exist are replaced.
SEED_WAY_HOOKS = """
import great_expectations as gx
from great_expectations.core.run_identifier import RunIdentifier

from hookline import hook_impl

CONTEXT_ROOT = {root!r}
DATASET_CHECKPOINT_MAPPING = {mapping!r}


class DataValidationHooks:
    @hook_impl
    def before_node_run(self, catalog, inputs, session_id):
        self._run_validation(catalog, inputs, session_id)

    @hook_impl
    def after_node_run(self, catalog, outputs, session_id):
        self._run_validation(catalog, outputs, session_id)

    def _run_validation(self, catalog, data, session_id):
        for dataset_name, dataset_value in data.items():
            if dataset_name not in DATASET_CHECKPOINT_MAPPING:
                continue
            data_context = gx.get_context(mode="file", context_root_dir=CONTEXT_ROOT)
            data_context.checkpoints.get(DATASET_CHECKPOINT_MAPPING[dataset_name]).run(
                batch_parameters={{"dataframe": dataset_value}},
                run_id=RunIdentifier(run_name=session_id),
            )
"""

NODES = """
def passthrough(frame):
    return len(frame)
"""

OTHER_PLUGINS = (
    "hookline-mlflow",
    "hookline-statsd",
    "hookline-memory",
    "hookline-testplugin",
    "hookline-brokenplugin",
)


def build_context(root: Path, datasets: list[str]) -> None:
    """A GX 1.x context with the suite ``frame`` and one checkpoint per dataset (over a
    dataframe asset, no actions), made through the API."""
    import great_expectations as gx
    from great_expectations import expectations as gxe

    context = gx.get_context(mode="file", project_root_dir=str(root))
    suite = context.suites.add(gx.ExpectationSuite(name="frame"))
    suite.add_expectation(gxe.ExpectColumnValuesToNotBeNull(column="id"))
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(column="value", min_value=0, max_value=1)
    )
    suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(column="id"))
    source = context.data_sources.add_pandas(name="checkpoint_frames")
    for name in datasets:
        batch = source.add_dataframe_asset(name=name).add_batch_definition_whole_dataframe("all")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"cp_{name}", data=batch, suite=suite)
        )
        context.checkpoints.add(
            gx.Checkpoint(name=f"cp_{name}", validation_definitions=[definition])
        )


def write_project(
    folder: Path, package: str, datasets: list[str], data: Path, settings: str, conf: dict[str, str]
) -> Path:
    """A project with one ``passthrough`` node per dataset."""
    source = folder / "src" / package
    source.mkdir(parents=True)
    (folder / "pyproject.toml").write_text(f'[tool.hookline]\npackage_name = "{package}"\n')
    (source / "__init__.py").write_text("")
    (source / "nodes.py").write_text(NODES)
    (source / "settings.py").write_text(settings)
    nodes = ",\n".join(
        f"        node(passthrough, {name!r}, {name + '_rows'!r}, name={'read_' + name!r})"
        for name in datasets
    )
    (source / "pipeline_registry.py").write_text(
        "from hookline import node, pipeline\n"
        f"from {package}.nodes import passthrough\n\n\n"
        "def register_pipelines():\n"
        f"    return {{'__default__': pipeline([\n{nodes},\n    ])}}\n"
    )
    catalog = "".join(
        f"{name}:\n  type: pandas.CSVDataset\n  filepath: {data / (name + '.csv')}\n"
        for name in datasets
    )
    for env in ("base", "local", *{path.split("/")[0] for path in conf}):
        (folder / "conf" / env).mkdir(parents=True, exist_ok=True)
    (folder / "conf" / "base" / "catalog.yml").write_text(catalog)
    for relative, text in conf.items():
        (folder / "conf" / relative).write_text(text)
    return folder


def plugin_config(root: Path, datasets: list[str], style: str) -> str:
    entries = "".join(
        f"  {name}:\n    {style}: {'frame' if style == 'suite' else 'cp_' + name}\n"
        f"    when: input\n"
        for name in datasets
    )
    return f"context_root_dir: {root}\ndata_docs: false\ndatasets:\n{entries}"


def time_run(project: Path, env: str | None) -> float:
    """Seconds one session run of ``project`` takes, context creation and hooks included."""
    from hookline.session import HooklineSession

    gc.collect()
    started = time.perf_counter()
    HooklineSession.create(project, env=env).run()
    return time.perf_counter() - started


def per_call(function: Callable[[], Any]) -> float:
    gc.collect()
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def validation_cost(
    root: Path, project: Path, datasets: list[str], frame: Any, calls: int, style: str
) -> dict[str, float]:
    """Median seconds of one bare ``batch.validate(suite)``, of Great Expectations' own run
    (``ValidationDefinition.run`` or ``Checkpoint.run``) and of one plugin validation (through
    its hook), on the same context, interleaved."""
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from hookline import DataCatalog, node, pipeline
    from hookline_great_expectations import GreatExpectationsHooks
    from hookline_great_expectations.config import parse_config

    config = parse_config(
        {
            "context_root_dir": str(root),
            "data_docs": False,
            "datasets": {
                datasets[0]: {style: "frame" if style == "suite" else f"cp_{datasets[0]}"}
            },
        },
        "benchmark",
    )
    hooks = GreatExpectationsHooks(config, project)
    the_node = node(len, datasets[0], "rows", name="read")
    hooks.before_pipeline_run(
        run_params={"session_id": f"bench-{style}", "project_path": str(project)},
        pipeline=pipeline([the_node]),
        catalog=DataCatalog(),
    )
    context = gx.get_context(mode="file", context_root_dir=str(root))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    suite = context.suites.get("frame")
    checkpoint = context.checkpoints.get(f"cp_{datasets[0]}")
    (definition,) = checkpoint.validation_definitions
    batch_definition = definition.batch_definition

    def bare() -> None:
        batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite)

    def gx_run() -> None:
        run_id = RunIdentifier(run_name=f"bench-gx-{style}")
        if style == "suite":
            definition.run(batch_parameters={"dataframe": frame}, run_id=run_id)
        else:
            checkpoint.run(batch_parameters={"dataframe": frame}, run_id=run_id)

    def plugin() -> None:
        hooks.before_node_run(node=the_node, inputs={datasets[0]: frame})

    kinds = {"bare": bare, "gx": gx_run, "plugin": plugin}
    for function in kinds.values():
        function()  # warm-up: first metric computations
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(calls):
        for kind, function in kinds.items():
            times[kind].append(per_call(function))
    hooks.after_pipeline_run()
    return {kind: statistics.median(samples) for kind, samples in times.items()}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=50, help="datasets validated per run")
    parser.add_argument("--rows", type=int, default=1000, help="rows of each dataset")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per configuration")
    parser.add_argument("--calls", type=int, default=50, help="timed calls per validation kind")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    import great_expectations as gx
    import numpy as np
    import pandas as pd

    if int(gx.__version__.split(".")[0]) < 1:
        print("This benchmark needs GX Core 1.x; found great_expectations", gx.__version__)
        return 2

    with tempfile.TemporaryDirectory(prefix="hookline-gx-bench-") as tmp:
        folder = Path(tmp)
        datasets = [f"frame_{i:03d}" for i in range(args.datasets)]
        data = folder / "data"
        data.mkdir()
        rng = np.random.default_rng(8)
        frame = pd.DataFrame({"id": np.arange(args.rows), "value": rng.random(args.rows)})
        for name in datasets:
            frame.to_csv(data / f"{name}.csv", index=False)
        started = time.perf_counter()
        build_context(folder, datasets)
        root = folder / "gx"
        print(
            f"(context with {len(datasets)} checkpoints made in {time.perf_counter() - started:.1f} s)"
        )

        disabled = f"DISABLE_HOOKS_FOR_PLUGINS = {OTHER_PLUGINS!r}\n"
        plugin_project = write_project(
            folder / "plugin_project",
            "plugin_bench",
            datasets,
            data,
            disabled,
            {
                "suite/great_expectations.yml": plugin_config(root, datasets, "suite"),
                "checkpoint/great_expectations.yml": plugin_config(root, datasets, "checkpoint"),
            },
        )
        seed_project = write_project(
            folder / "seed_project",
            "seed_bench",
            datasets,
            data,
            "from seed_bench.hooks import DataValidationHooks\n"
            f"DISABLE_HOOKS_FOR_PLUGINS = {(*OTHER_PLUGINS, 'hookline-great-expectations')!r}\n"
            "HOOKS = (DataValidationHooks(),)\n",
            {},
        )
        mapping = {name: f"cp_{name}" for name in datasets}
        (seed_project / "src" / "seed_bench" / "hooks.py").write_text(
            textwrap.dedent(SEED_WAY_HOOKS.format(root=str(root), mapping=mapping))
        )

        runs: dict[str, tuple[Path, str | None]] = {
            "no validation": (plugin_project, None),
            "hookline-great-expectations, suite style": (plugin_project, "suite"),
            "hookline-great-expectations, checkpoint style": (plugin_project, "checkpoint"),
            "the seed's way (a new context per dataset)": (seed_project, None),
        }
        first = {name: time_run(*where) for name, where in runs.items()}
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.repeats):
            # Interleaved, so that a slower stretch of the machine affects every configuration.
            for name, where in runs.items():
                times[name].append(time_run(*where))

        print(
            f"\n1. A run validating {len(datasets)} datasets of {args.rows} rows "
            f"(great_expectations {gx.__version__}, median of {args.repeats})"
        )
        print(f"{'configuration':<48} {'first run':>10} {'median run':>11} {'per dataset':>12}")
        medians = {name: statistics.median(samples) for name, samples in times.items()}
        baseline = medians["no validation"]
        for name in runs:
            added = (
                ""
                if name == "no validation"
                else f"{(medians[name] - baseline) / len(datasets) * 1000:.1f} ms"
            )
            print(f"{name:<48} {first[name]:>8.2f} s {medians[name]:>9.2f} s {added:>12}")
        seed = medians["the seed's way (a new context per dataset)"]
        for style in ("suite", "checkpoint"):
            ratio = seed / medians[f"hookline-great-expectations, {style} style"]
            verdict = "met" if ratio >= TARGET_RUN_RATIO else "NOT met"
            print(
                f"the seed's way takes {ratio:.1f}x as long as the plugin ({style} style); "
                f"target >= {TARGET_RUN_RATIO}x: {verdict}"
            )

        print(
            f"\n2. One validation of {args.rows} rows against 3 expectations "
            f"(median of {args.calls} calls)"
        )
        columns = ("bare validate", "GX's own run", "plugin", "plugin/bare", "GX run/bare")
        print(f"{'style':<11}" + "".join(f"{column:>15}" for column in columns))
        for style in ("suite", "checkpoint"):
            cost = validation_cost(root, plugin_project, datasets, frame, args.calls, style)
            ratio = cost["plugin"] / cost["bare"]
            cells = [f"{cost[kind] * 1000:.1f} ms" for kind in ("bare", "gx", "plugin")]
            cells += [f"{ratio:.2f}x", f"{cost['gx'] / cost['bare']:.2f}x"]
            verdict = "met" if ratio <= TARGET_VALIDATION_RATIO else "NOT met"
            print(f"{style:<11}" + "".join(f"{cell:>15}" for cell in cells) + f"  {verdict}")
        print(
            "GX's own run: ValidationDefinition.run (suite), Checkpoint.run (checkpoint); "
            f"target: plugin/bare <= {TARGET_VALIDATION_RATIO}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
