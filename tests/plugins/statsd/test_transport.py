"""The three transports against the real daemon, DogStatsD tags, and batching: one packet per
node (the client's pipeline), never one per metric."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest
import statsd

from hookline import DataCatalog, SequentialRunner, ThreadRunner, node, pipeline
from hookline.datasets import AbstractDataset, MemoryDataset
from hookline.runner import AbstractRunner
from hookline_statsd import StatsdConfig, StatsdHooks
from hookline_statsd.transport import create_client
from tests.integration.servers.statsd_graphite import HOST, StatsdDaemon
from tests.support import SteppedClock

from .conftest import hooks_for, manager_with, parse, totals, wait_for_lines
from .pipelines import identity, keep_even, make_frame, names_of

PIPE = pipeline(
    [
        node(make_frame, "params:rows", "frame", name="make_frame"),
        node(keep_even, "frame", "even", name="keep_even"),
        node(names_of, "even", "names", name="names_of"),
    ]
)


def run(hooks: StatsdHooks, runner: AbstractRunner | None = None) -> None:
    catalog = DataCatalog({"params:rows": MemoryDataset(6)})
    (runner or SequentialRunner()).run(PIPE, catalog, manager_with(hooks), "sid")


@pytest.mark.parametrize("transport", ["udp", "tcp", "unix"])
def test_every_transport_delivers_the_same_metrics(
    transport: str, statsd_console: StatsdDaemon, prefix: str
) -> None:
    # ThreadRunner: two threads share the stream of tcp and unix.
    run(
        hooks_for(statsd_console, prefix, transport=transport),
        ThreadRunner(max_workers=2),
    )

    lines = wait_for_lines(
        statsd_console,
        prefix,
        lambda lines: totals(lines, "c").get("run.__default__.nodes_completed") == 3,
    )
    assert statsd_console.bad_lines_seen() == 0
    assert sorted({name for name, _, _ in parse(lines)}) == sorted(
        {
            "dataset.params-rows.load_duration",
            "dataset.params-rows.bytes",
            *(
                f"node.{n}.{m}"
                for n in ("make_frame", "keep_even", "names_of")
                for m in ("duration", "success")
            ),
            *(
                f"dataset.{d}.{f}"
                for d in ("frame", "even")
                for f in ("rows", "columns", "bytes", "load_duration", "save_duration")
            ),
            "dataset.names.length",
            "dataset.names.bytes",
            "dataset.names.save_duration",
            "run.__default__.nodes_completed",
        }
    )
    # Sizes at each save and again at each load: 30 lines in all.
    assert len(lines) == 30


def test_tags_name_pipeline_node_dataset_and_session(
    statsd_console: StatsdDaemon, prefix: str
) -> None:
    hooks = hooks_for(statsd_console, prefix, tags=("pipeline", "node", "dataset", "session"))
    catalog = DataCatalog({"params:rows": MemoryDataset(6)})

    SequentialRunner().run(PIPE, catalog, manager_with(hooks), "2026-11-22T10.20.30.123Z")

    lines = wait_for_lines(
        statsd_console,
        prefix,
        lambda lines: totals(lines, "c").get("run.__default__.nodes_completed") == 3,
    )
    assert statsd_console.bad_lines_seen() == 0
    by_name = {line.split(":")[0]: line for line in lines}
    # No session outside a session: the session tag is left out, not sent empty.
    assert by_name["dataset.params-rows.bytes"] == (
        "dataset.params-rows.bytes:28|g|#pipeline:__default__,node:make_frame,dataset:params-rows"
    )
    assert by_name["node.keep_even.duration"].endswith("|ms|#pipeline:__default__,node:keep_even")


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    """A plain UDP socket standing where the daemon would, to count the packets sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((HOST, 0))
        sock.settimeout(1.0)
        yield sock


def packets(sock: socket.socket) -> list[bytes]:
    received = []
    while True:
        try:
            received.append(sock.recv(65536))
        except TimeoutError:
            return received


def test_each_node_is_one_packet(receiver: socket.socket) -> None:
    port = receiver.getsockname()[1]
    hooks = StatsdHooks(StatsdConfig(host=HOST, port=port, prefix="batch"))
    chain = pipeline([node(identity, f"d{i}", f"d{i + 1}", name=f"n{i}") for i in range(5)])

    SequentialRunner().run(chain, DataCatalog({"d0": MemoryDataset(1)}), manager_with(hooks))

    sent = packets(receiver)
    assert len(sent) == 5
    for index, packet in enumerate(sent):
        names = [line.split(b":")[0].decode() for line in packet.split(b"\n")]
        assert names == [
            f"batch.dataset.d{index}.load_duration",
            f"batch.dataset.d{index}.bytes",
            f"batch.node.n{index}.duration",
            f"batch.dataset.d{index + 1}.save_duration",
            f"batch.dataset.d{index + 1}.bytes",
            f"batch.node.n{index}.success",
            "batch.run.__default__.nodes_completed",
        ]


class SlowDataset(AbstractDataset):
    """Holds one value; each load and save takes ``seconds`` on ``clock``."""

    def __init__(self, data: Any, clock: SteppedClock, seconds: float) -> None:
        self.data, self.clock, self.seconds = data, clock, seconds

    def load(self) -> Any:
        self.clock.advance(self.seconds)
        return self.data

    def save(self, data: Any) -> None:
        self.clock.advance(self.seconds)
        self.data = data

    def exists(self) -> bool:
        return True

    def describe(self) -> dict[str, Any]:
        return {"seconds": self.seconds}


def test_durations_are_read_from_the_clock(receiver: socket.socket) -> None:
    port = receiver.getsockname()[1]
    clock = SteppedClock()
    hooks = StatsdHooks(StatsdConfig(host=HOST, port=port, prefix="clock"), clock=clock)

    def quarter_of_a_second(x: int) -> int:
        clock.advance(0.25)
        return x

    catalog = DataCatalog(
        {"a": SlowDataset(1, clock, seconds=0.125), "b": SlowDataset(0, clock, seconds=0.5)}
    )
    hooks.before_pipeline_run({"pipeline_name": "timed"}, PIPE)
    SequentialRunner().run(
        pipeline([node(quarter_of_a_second, "a", "b", name="n")]), catalog, manager_with(hooks)
    )
    clock.advance(1.0)
    hooks.after_pipeline_run()

    timers = {
        name: float(value)
        for packet in packets(receiver)
        for name, value, kind in parse(line.decode() for line in packet.split(b"\n"))
        if kind == "ms"
    }
    assert timers == {
        "clock.dataset.a.load_duration": 125.0,
        "clock.node.n.duration": 250.0,
        "clock.dataset.b.save_duration": 500.0,
        "clock.run.timed.duration": 1875.0,
    }


def test_a_batch_larger_than_max_udp_size_is_split(receiver: socket.socket) -> None:
    port = receiver.getsockname()[1]
    hooks = StatsdHooks(StatsdConfig(host=HOST, port=port, prefix="batch", max_udp_size=128))
    chain = pipeline([node(identity, "a", "b", name="n")])

    SequentialRunner().run(chain, DataCatalog({"a": MemoryDataset(1)}), manager_with(hooks))

    sent = packets(receiver)
    assert len(sent) > 1
    assert all(len(packet) < 128 for packet in sent)
    lines = [line for packet in sent for line in packet.split(b"\n")]
    assert len(lines) == 7


def test_the_pipeline_writes_the_lines_the_statsd_client_writes(receiver: socket.socket) -> None:
    # hookline-statsd formats lines itself (one step per metric); the statsd client's own
    # pipeline, sent to the same socket, is the reference.
    host, port = receiver.getsockname()
    ours = create_client(
        StatsdConfig(host=host, port=port), (socket.AF_INET, (host, port)), "p"
    ).pipeline()
    reference = statsd.StatsClient(host, port, prefix="p", maxudpsize=1432).pipeline()
    for batch in (ours, reference):
        batch.timing("t", 12.5)
        batch.timing("t", 3)
        batch.incr("c")
        batch.incr("c", 4)
        batch.gauge("g", 7)
        batch.gauge("g", 0.25)
        batch.gauge("g", 2, delta=True)
        batch.gauge("g", -3, delta=True)
        batch.send()

    mine, theirs = packets(receiver)
    assert mine == theirs
    assert mine.split(b"\n")[:3] == [b"p.t:12.500000|ms", b"p.t:3.000000|ms", b"p.c:1|c"]


def test_a_negative_gauge_is_set_not_subtracted(receiver: socket.socket) -> None:
    host, port = receiver.getsockname()
    batch = create_client(
        StatsdConfig(host=host, port=port), (socket.AF_INET, (host, port)), "p"
    ).pipeline()
    batch.suffix = "|#node:n"
    batch.gauge("g", -2.5)
    batch.send()

    # StatsD reads "g:-2.5|g" as "subtract 2.5": 0 first, then the delta; both lines tagged.
    assert packets(receiver) == [b"p.g:0|g|#node:n\np.g:-2.5|g|#node:n"]


def open_descriptors() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_a_udp_socket_that_cannot_connect_is_closed(receiver: socket.socket) -> None:
    port = receiver.getsockname()[1]
    before = open_descriptors()

    # A broadcast address without SO_BROADCAST: connect() is refused, as it is with
    # ENETUNREACH for an IPv6 address on a machine with no IPv6 route.
    with pytest.raises(PermissionError) as caught:
        create_client(StatsdConfig(port=port), (socket.AF_INET, ("255.255.255.255", port)), "p")

    # The traceback still holds the half-made client: its socket must be closed already.
    assert caught.value is not None
    assert open_descriptors() == before
