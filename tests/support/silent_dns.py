"""A nameserver that never answers: a UDP socket on 127.0.0.1:0 that swallows queries.

Like a firewall that drops port 53, or a DNS server that hangs. The kernel queues the
datagrams and nobody reads them, so no thread is needed; ``__exit__`` closes the socket.
"""

from __future__ import annotations

import socket
from types import TracebackType
from typing import Self


class SilentNameserver:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self._sock: socket.socket | None = None

    @property
    def nameserver(self) -> str:
        """The ``[dns] nameservers`` form, like ``127.0.0.1:PORT``."""
        return f"{self.host}:{self.port}"

    def __enter__(self) -> Self:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.host, 0))
        self._sock = sock
        self.port = sock.getsockname()[1]
        return self

    def queries(self) -> int:
        """How many queries arrived since the last call (they are read and dropped)."""
        assert self._sock is not None, "not started"
        count = 0
        self._sock.setblocking(False)
        try:
            while True:
                self._sock.recv(4096)
                count += 1
        except BlockingIOError:
            return count
        finally:
            self._sock.setblocking(True)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
