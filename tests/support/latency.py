"""A TCP relay that adds a fixed one-way delay, to stand in for a wide-area network on loopback.

The diagnosis runs against remote servers in real life, where waiting dominates; on a
two-core loopback the servers' own CPU work does. The relay lets a benchmark measure the
runner's parallelism under realistic round trips. Bytes pass through untouched (TLS included).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from types import TracebackType
from typing import Self


class LatencyRelay:
    """Listens on (host, some port) and relays to (host, target_port), delaying each chunk."""

    def __init__(self, host: str, target_port: int, one_way_s: float, port: int = 0) -> None:
        self.host = host
        self.target_port = target_port
        self.one_way_s = one_way_s
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.socket(family, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, port))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._closed = False

    def __enter__(self) -> Self:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._closed = True
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
                upstream = socket.create_connection((self.host, self.target_port), timeout=5)
            except OSError:
                if self._closed:
                    return
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                time.sleep(self.one_way_s)
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


def relay_pair(ipv4: str, ipv6: str, target_port: int, one_way_s: float) -> tuple[LatencyRelay, LatencyRelay]:
    """Relays on the same port number for both families (clients try both addresses of a name)."""
    for _ in range(20):
        first = LatencyRelay(ipv4, target_port, one_way_s)
        try:
            second = LatencyRelay(ipv6, target_port, one_way_s, port=first.port)
        except OSError:
            first._listener.close()
            continue
        return first, second
    raise RuntimeError("no port free on both families")
