"""A TCP relay that adds a fixed one-way delay, to stand in for a wide-area network on loopback.

The diagnosis runs against remote servers in real life, where waiting dominates; on a
two-core loopback the servers' own CPU work does. The relay lets a benchmark measure the
runner's parallelism under realistic round trips. Bytes pass through untouched (TLS included).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from multiprocessing.connection import Connection

from tests.support.silent import _ThreadedServer


class LatencyRelay(_ThreadedServer):
    """Listens on (host, port) and relays to (host, target_port), delaying each chunk."""

    def __init__(self, host: str, target_port: int, one_way_s: float, port: int = 0) -> None:
        super().__init__(host, port)
        self.target_port = target_port
        self.one_way_s = one_way_s

    def handle(self, conn: socket.socket) -> None:
        try:
            upstream = socket.create_connection((self.host, self.target_port), timeout=5)
        except OSError:
            return
        with self._lock:
            self._conns.append(upstream)
        self._start_thread(self._pump, upstream, conn)
        self._pump(conn, upstream)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        source.settimeout(0.1)
        while not self._stop.is_set():
            try:
                chunk = source.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not chunk:
                break
            time.sleep(self.one_way_s)
            try:
                sink.sendall(chunk)
            except OSError:
                break
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@contextmanager
def relay_pair(ipv4: str, ipv6: str, target_port: int, one_way_s: float) -> Iterator[int]:
    """Relays on one port number for both families (clients try both addresses of a name)."""
    for _ in range(20):
        with ExitStack() as stack:
            first = stack.enter_context(LatencyRelay(ipv4, target_port, one_way_s))
            try:
                stack.enter_context(LatencyRelay(ipv6, target_port, one_way_s, port=first.port))
            except OSError:
                continue
            yield first.port
            return
    raise RuntimeError("no port free on both families")


def _serve(ipv4: str, ipv6: str, targets: list[tuple[int, float]], conn: Connection) -> None:
    with ExitStack() as stack:
        conn.send([stack.enter_context(relay_pair(ipv4, ipv6, port, delay)) for port, delay in targets])
        with contextlib.suppress(EOFError, OSError):
            conn.recv()  # until the parent says stop, or is gone


@contextmanager
def relay_process(ipv4: str, ipv6: str, targets: Sequence[tuple[int, float]]) -> Iterator[list[int]]:
    """A relay pair per (target port, one-way delay), served by a child process; yields their
    ports in order. Apart from the process under test, so the relays' threads take none of its
    GIL or CPU time: the network they stand in for costs the watcher nothing either."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    child = context.Process(target=_serve, args=(ipv4, ipv6, list(targets), theirs), daemon=True)
    child.start()
    try:
        started = time.monotonic()
        while not ours.poll(0.2):
            if not child.is_alive() or time.monotonic() - started > 60:
                raise RuntimeError("the latency relays did not start")
        yield ours.recv()
    finally:
        with contextlib.suppress(OSError):
            ours.send(None)
        child.join(30)
        if child.is_alive():
            child.kill()
            child.join()
