"""A real Redis on loopback for the shared rate-limit storage (``[limits] storage_uri``).

No persistence (no RDB, no AOF): every session starts empty and leaves nothing behind.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import time
from pathlib import Path

from tests.support.ports import free_ports
from tests.support.process import ManagedProcess, PortedService, tail

REDIS_SERVER = "/usr/bin/redis-server"
START_TIMEOUT_S = 10.0


def _ping(host: str, port: int) -> bool:
    """A raw RESP PING, so readiness does not depend on the redis client library."""
    try:
        with socket.create_connection((host, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer(PortedService):
    """``redis-server`` on ``host`` at a free port; ``.url`` is ``redis://HOST:PORT/0``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.startup_s = 0.0
        self.dir = Path(tempfile.mkdtemp(prefix="redis-"))
        self.log_path = self.dir / "redis.log"
        self._process: ManagedProcess | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    def __repr__(self) -> str:
        return f"RedisServer({self.url})"

    def _launch(self) -> ManagedProcess:
        self.port = free_ports(1, (self.host,))[0]
        options = {
            "bind": self.host,
            "port": str(self.port),
            "save": "",  # no RDB snapshots
            "appendonly": "no",
            "dir": str(self.dir),
            "daemonize": "no",
            "logfile": "",  # stdout, which goes to log_path
        }
        argv = [REDIS_SERVER, *(a for k, v in options.items() for a in (f"--{k}", v))]
        return ManagedProcess(argv, self.log_path)

    def _ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self._process is not None and self._process.alive():
            if _ping(self.host, self.port):
                return True
            time.sleep(0.05)
        return False

    def _log_text(self) -> str:
        return tail(self.log_path)

    def _start_failure(self) -> str:
        return (
            f"redis-server did not answer PING on {self.host}:{self.port} within {START_TIMEOUT_S:.0f}s.\n"
            f"--- {self.log_path} ---\n{tail(self.log_path)}"
        )

    def stop(self) -> None:
        if self._process is not None:
            self._process.stop()
            self._process = None
        shutil.rmtree(self.dir, ignore_errors=True)
