"""Sending to the daemon: the host looked up once with a deadline, and the ``statsd`` client's
UDP, TCP and Unix socket clients and their pipelines, adapted in three ways:

- they are given the address the lookup found, so the client never looks a host up itself
  (``statsd.StatsClient`` calls ``getaddrinfo`` when it is built, ``TCPStatsClient`` at each
  connect: with slow DNS, either would stall a run);
- a socket error is raised instead of dropped (``StatsClient`` swallows them), so that the
  plugin can warn once; the UDP socket is connected, so a daemon that is not running shows as
  ``ConnectionRefusedError`` on the next send instead of silence;
- pipelines may end each line with DogStatsD tags (``|#node:x,dataset:y``), which the
  ``statsd`` package does not offer.

This module imports ``statsd``; the hooks import it only when a run starts.
"""

from __future__ import annotations

import socket
import threading
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

import statsd
from statsd.client.stream import StreamPipeline
from statsd.client.udp import Pipeline

from hookline_statsd.config import StatsdConfig

#: (address family, socket address) as ``socket.getaddrinfo`` gives them.
Address = tuple[int, Any]


class Batch(Protocol):
    """The pipeline of one thread: metrics are added, then sent together by :meth:`send`."""

    #: DogStatsD tags added to every line from now on (``"|#node:x"``), or ``""``.
    suffix: str

    def timing(self, stat: str, delta: float, rate: float = 1) -> None:
        """Add a timer value, in milliseconds."""

    def incr(self, stat: str, count: int = 1, rate: float = 1) -> None:
        """Add to a counter."""

    def gauge(self, stat: str, value: float, rate: float = 1, delta: bool = False) -> None:
        """Set a gauge."""

    def send(self) -> None:
        """Send what was added, in as few packets as fit."""


class Client(Protocol):
    """What the hooks need of a client."""

    def pipeline(self) -> Batch:
        """A new, empty pipeline."""

    def close(self) -> None:
        """Release the socket."""


def resolve(config: StatsdConfig) -> Address | None:
    """Look the daemon's host up once, giving up after ``config.resolve_timeout`` seconds.

    Returns:
        The address to send to, or ``None`` for the Unix socket transport (nothing to look up).

    Raises:
        TimeoutError: If the lookup did not answer in time. It goes on in a daemon thread, and
            a later call for the same host and port waits for that lookup rather than
            starting another: a DNS that never answers costs one thread, not one per run.
        OSError: If the host is unknown (``socket.gaierror``).
    """
    if config.transport == "unix":
        return None
    family = socket.AF_INET6 if config.ipv6 else socket.AF_INET
    kind = socket.SOCK_DGRAM if config.transport == "udp" else socket.SOCK_STREAM
    try:
        # An address literal needs no lookup: answered at once, no thread.
        found = socket.getaddrinfo(config.host, config.port, family, kind, 0, socket.AI_NUMERICHOST)
        return found[0][0], found[0][4]
    except socket.gaierror:
        pass
    lookup = _Lookup.pending_or_new((config.host, config.port, family, kind))
    if not lookup.done.wait(config.resolve_timeout):
        raise TimeoutError(
            f"looking up {config.host!r} took more than {config.resolve_timeout:g} s"
        )
    if lookup.error is not None:
        raise lookup.error
    assert lookup.found is not None
    return lookup.found[0][0], lookup.found[0][4]


class _Lookup:
    """One ``getaddrinfo`` call in a daemon thread, shared by every run that needs its answer
    while it is pending."""

    #: The lookups not answered yet, by (host, port, family, socket type).
    _pending: ClassVar[dict[tuple[str, int, int, int], _Lookup]] = {}
    _pending_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, key: tuple[str, int, int, int]) -> None:
        self.key = key
        self.done = threading.Event()
        self.found: list[Any] | None = None
        self.error: BaseException | None = None

    @classmethod
    def pending_or_new(cls, key: tuple[str, int, int, int]) -> _Lookup:
        """The lookup of ``key`` still going on, or a new one, started."""
        with cls._pending_lock:
            lookup = cls._pending.get(key)
            if lookup is None:
                lookup = cls._pending[key] = cls(key)
                try:
                    threading.Thread(
                        target=lookup._run, name="hookline-statsd-resolve", daemon=True
                    ).start()
                except BaseException:
                    # No thread (the process is out of them): no lookup for later runs to
                    # wait for either.
                    del cls._pending[key]
                    raise
        return lookup

    def _run(self) -> None:
        host, port, family, kind = self.key
        try:
            self.found = socket.getaddrinfo(host, port, family, kind)
        except BaseException as error:  # handed to the waiting thread
            self.error = error
        finally:
            with self._pending_lock:
                # Answered: the next run looks the host up afresh.
                del self._pending[self.key]
            self.done.set()


def create_client(config: StatsdConfig, address: Address | None, prefix: str) -> Client:
    """A client for ``config.transport`` sending to ``address`` (from :func:`resolve`).

    Nothing is connected yet: TCP and Unix sockets connect at the first send.
    """
    client: Client
    if config.transport == "udp":
        assert address is not None
        client = _UDPClient(address, prefix, config.max_udp_size)
    elif config.transport == "tcp":
        assert address is not None
        client = _TCPClient(address, prefix, config.timeout)
    else:
        assert config.socket_path is not None
        client = _UnixClient(config.socket_path, prefix, config.timeout)
    return client


class _Lines:
    """``timing``, ``incr`` and ``gauge`` of a pipeline in one step each, ending every line with
    :attr:`suffix` (DogStatsD tags).

    The lines are those the ``statsd`` client writes (``%0.6f|ms``, ``%s|c``, ``%s|g``); the
    client takes five calls per metric to write one, which a node's seven metrics would pay on
    the hot path. A sample rate below 1 (the hooks never use one) goes through the client.
    """

    #: DogStatsD tags added to every line from now on (``"|#node:x"``), or ``""``.
    suffix = ""
    _stats: deque[str]
    _prefix: str | None

    def __init__(self, client: Any) -> None:
        super().__init__(client)  # type: ignore[call-arg]
        self._head = f"{self._prefix}." if self._prefix else ""

    def timing(self, stat: str, delta: float, rate: float = 1) -> None:
        if rate != 1:
            super().timing(stat, delta, rate)  # type: ignore[misc]
            return
        self._stats.append(f"{self._head}{stat}:{delta:0.6f}|ms{self.suffix}")

    def incr(self, stat: str, count: int = 1, rate: float = 1) -> None:
        if rate != 1:
            super().incr(stat, count, rate)  # type: ignore[misc]
            return
        self._stats.append(f"{self._head}{stat}:{count}|c{self.suffix}")

    def gauge(self, stat: str, value: float, rate: float = 1, delta: bool = False) -> None:
        if rate != 1:
            super().gauge(stat, value, rate, delta)  # type: ignore[misc]
            return
        head = self._head
        if value < 0 and not delta:
            # "name:-5|g" would mean "subtract 5": set 0 first, then subtract.
            self._stats.append(f"{head}{stat}:0|g{self.suffix}")
        sign = "+" if delta and value >= 0 else ""
        self._stats.append(f"{head}{stat}:{sign}{value}|g{self.suffix}")

    def _after(self, data: str | None) -> None:
        # What the client's own methods (a sample rate below 1) hand over.
        if data is not None:
            self._stats.append(data + self.suffix)


class _TaggedPipeline(_Lines, Pipeline):  # type: ignore[misc]
    """The UDP pipeline: lines joined into packets shorter than ``max_udp_size`` bytes."""

    _maxudpsize: int

    def _send(self) -> None:
        # A node's lines nearly always fit one packet: one join instead of the client's
        # line-by-line loop, which it still does when they do not.
        joined = "\n".join(self._stats)
        if len(joined) < self._maxudpsize:
            self._stats.clear()
            self._client._send(joined)
        else:
            super()._send()


class _TaggedStreamPipeline(_Lines, StreamPipeline):  # type: ignore[misc]
    """The TCP/Unix pipeline: lines sent on the stream, one per line."""


class _UDPClient(statsd.StatsClient):  # type: ignore[misc]
    """``statsd.StatsClient`` on a connected socket to a known address, raising its errors."""

    def __init__(self, address: Address, prefix: str, max_udp_size: int) -> None:
        family, sockaddr = address
        self._addr = sockaddr
        self._sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            # Connected: the kernel reports an ICMP "port unreachable" (no daemon) as
            # ConnectionRefusedError on a later send, and sends skip the per-packet route
            # lookup.
            self._sock.connect(sockaddr)
        except BaseException:
            # No route (ENETUNREACH for IPv6 without one), a broadcast address: no client,
            # so nobody else would ever close the socket.
            self._sock.close()
            raise
        self._prefix = prefix
        self._maxudpsize = max_udp_size

    def _send(self, data: str) -> None:
        self._sock.send(data.encode("ascii"))

    def pipeline(self) -> _TaggedPipeline:
        return _TaggedPipeline(self)


class _StreamSending:
    """Sends of several threads on one stream must not interleave; a lock orders them."""

    _sock: socket.socket | None
    connect: Callable[[], None]

    def _init_lock(self) -> None:
        self._lock = threading.Lock()

    def _send(self, data: str) -> None:
        payload = data.encode("ascii") + b"\n"
        with self._lock:
            if self._sock is None:
                self.connect()
            assert self._sock is not None
            self._sock.sendall(payload)


def _connected_stream(family: int, address: Any, timeout: float) -> socket.socket:
    """A stream socket connected to ``address``, or the error of connecting (the socket then
    closed: the statsd clients' own ``connect`` keeps a socket that failed to connect, and
    the next send would fail on it with a less telling error)."""
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except BaseException:
        sock.close()
        raise
    return sock


class _TCPClient(_StreamSending, statsd.TCPStatsClient):  # type: ignore[misc]
    """``statsd.TCPStatsClient`` connecting to a known address, safe to share by threads."""

    def __init__(self, address: Address, prefix: str, timeout: float) -> None:
        self._family, self._sockaddr = address
        super().__init__(prefix=prefix, timeout=timeout)
        self._init_lock()

    def connect(self) -> None:
        self._sock = _connected_stream(self._family, self._sockaddr, self._timeout)

    def pipeline(self) -> _TaggedStreamPipeline:
        return _TaggedStreamPipeline(self)


class _UnixClient(_StreamSending, statsd.UnixSocketStatsClient):  # type: ignore[misc]
    """``statsd.UnixSocketStatsClient``, safe to share by threads."""

    def __init__(self, socket_path: str, prefix: str, timeout: float) -> None:
        super().__init__(socket_path, prefix=prefix, timeout=timeout)
        self._init_lock()

    def connect(self) -> None:
        self._sock = _connected_stream(socket.AF_UNIX, self._socket_path, self._timeout)

    def pipeline(self) -> _TaggedStreamPipeline:
        return _TaggedStreamPipeline(self)
