"""What one benchmark run was asked to do: which tools, how many repetitions, how big."""

from __future__ import annotations

from dataclasses import dataclass

#: Pipeline sizes of the per-node case, smallest first (issue 2 quotes 100 and 10,000).
FULL_SIZES = (100, 1_000, 10_000)

#: Sizes of a ``--quick`` run. 10,000 stays in: it is the size the flatness target is about,
#: and a hookline run of it takes well under a second.
QUICK_SIZES = (100, 1_000, 10_000)

#: Kedro's per-node cost grows with pipeline size (one run of 5,000 nodes takes about a
#: minute, one of 10,000 about four), so by default it is measured up to this size only.
DEFAULT_KEDRO_MAX_NODES = 5_000

#: ... and up to this size in a ``--quick`` run, which must stay a matter of seconds.
QUICK_KEDRO_MAX_NODES = 1_000


@dataclass(frozen=True)
class BenchConfig:
    """Options shared by every case.

    Attributes:
        quick: A smoke run: one repetition, fewer calls; the figures are not worth quoting.
        with_kedro: Whether to measure Kedro next to hookline (``--no-kedro`` turns it off).
        repeats: Repetitions per measurement; ``None`` means the case's own default.
        kedro_max_nodes: The largest pipeline Kedro is run on in the per-node case;
            ``None`` means the default (smaller when quick), see :meth:`kedro_cap`.
        plugins_hookline: The ``hookline`` command of an environment with every plugin
            installed, for issue 2's ``--help`` target; ``None`` when there is none.
        plugins_python: The Python of that environment, which runs the plugins' own
            benchmark scripts; ``None`` when there is none.
        seed_python: The Python of an environment with Kedro, every plugin and the seeds'
            libraries, which runs the seed-hooks case; ``None`` when there is none.
    """

    quick: bool = False
    with_kedro: bool = True
    repeats: int | None = None
    kedro_max_nodes: int | None = None
    plugins_hookline: str | None = None
    plugins_python: str | None = None
    seed_python: str | None = None

    @property
    def tools(self) -> tuple[str, ...]:
        """The tools measured, hookline first."""
        return ("hookline", "kedro") if self.with_kedro else ("hookline",)

    def sizes(self) -> tuple[int, ...]:
        """Pipeline sizes of the per-node case."""
        return QUICK_SIZES if self.quick else FULL_SIZES

    def kedro_cap(self) -> int:
        """The largest pipeline Kedro runs in the per-node case."""
        if self.kedro_max_nodes is not None:
            return self.kedro_max_nodes
        return QUICK_KEDRO_MAX_NODES if self.quick else DEFAULT_KEDRO_MAX_NODES

    def repeats_for(self, default: int) -> int:
        """Repetitions of one measurement: ``--repeats``, else 1 when quick, else ``default``."""
        if self.repeats is not None:
            return self.repeats
        return 1 if self.quick else default
