"""A real PostgreSQL on loopback: a private cluster (initdb in a temporary folder) run as an
unprivileged user, on a free port, with no Unix socket, for the reports database.

initdb and postgres refuse to run as root; as root the fixture runs them as `nobody`
(setpriv), otherwise as the user running the tests. Debian's `postgresql` package provides
the binaries; nothing of the system's own clusters is used or touched.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from tests.support.ports import free_ports
from tests.support.process import ManagedProcess, PortedService, tail

START_TIMEOUT_S = 20.0
UNPRIVILEGED = "nobody"


def _bin(name: str) -> str:
    """The newest installed major version's binary (Debian keeps them per version)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise FileNotFoundError(f"{name} not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return found[-1]


def _as_unprivileged(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["setpriv", f"--reuid={UNPRIVILEGED}", "--regid=nogroup", "--clear-groups", "--", *argv]


class PostgresServer(PortedService):
    """``postgres`` on ``host`` at a free port; ``.url`` is its ``postgres`` database as
    superuser ``postgres`` (trust authentication, loopback only)."""

    def __init__(self, host: str = "127.0.0.1", *, durable: bool = False) -> None:
        self.host = host
        self.port = 0
        self.startup_s = 0.0
        self.durable = durable  # False: no fsync (tests); True: as shipped (benchmarks)
        self.dir = Path(tempfile.mkdtemp(prefix="postgres-"))
        self.data = self.dir / "data"
        self.log_path = self.dir / "postgres.log"
        self._process: ManagedProcess | None = None
        self._keep_port = False
        self._initdb()

    def _initdb(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, UNPRIVILEGED, "nogroup")
        argv = [_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                "--no-locale", "--no-sync"]
        done = subprocess.run(_as_unprivileged(argv), capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")

    def url_for(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{database}"

    @property
    def url(self) -> str:
        return self.url_for()

    def __repr__(self) -> str:
        return f"PostgresServer({self.url})"

    def create_database(self) -> str:
        """A new empty database on this server; its URL."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url_for(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url_for(name)

    def _launch(self) -> ManagedProcess:
        if not self._keep_port:
            self.port = free_ports(1, (self.host,))[0]
        options = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": "",
            "max_connections": "200",
            "shared_buffers": "64MB",
        }
        if not self.durable:
            options |= {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
        argv = [_bin("postgres"), "-D", str(self.data), *(a for k, v in options.items() for a in ("-c", f"{k}={v}"))]
        return ManagedProcess(_as_unprivileged(argv), self.log_path)

    def _ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline and self._process is not None and self._process.alive():
            try:
                with psycopg.connect(self.url_for(), connect_timeout=1):
                    return True
            except psycopg.OperationalError:
                time.sleep(0.1)
        return False

    def _log_text(self) -> str:
        return tail(self.log_path)

    def _start_failure(self) -> str:
        return (
            f"postgres did not accept connections on {self.host}:{self.port} within {START_TIMEOUT_S:.0f}s.\n"
            f"--- {self.log_path} ---\n{tail(self.log_path)}"
        )

    def pause(self) -> None:
        """Stop the server, keeping its data: the database 'goes away' (start() brings it back)."""
        if self._process is not None:
            self._process.stop()
            self._process = None

    def resume(self) -> None:
        """Start again on the same port, with the same data, after pause()."""
        self._keep_port = True
        try:
            self._process = self._launch()
            if not self._ready():
                raise RuntimeError(self._start_failure())
        finally:
            self._keep_port = False

    def stop(self) -> None:
        self.pause()
        shutil.rmtree(self.dir, ignore_errors=True)
