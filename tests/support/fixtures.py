"""pytest fixtures that run real servers on loopback (registered from tests/conftest.py).

Costly servers are session-scoped and shared; tests must not change their mailboxes
(our probes are read-only anyway). A server that cannot start fails the test loudly
with its own log: the tests never skip for a missing server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import NoReturn, TypeVar

import pytest
from playwright.sync_api import Browser

from tests.support.browser import chromium
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import DovecotServer, DovecotSpec, fault_specs, healthy_spec
from tests.support.postgres import PostgresServer
from tests.support.process import Service
from tests.support.redis import RedisServer
from tests.support.silent import CountingServer, GarbageServer, SilentServer

S = TypeVar("S", bound=Service)


def _fail(what: str, exc: BaseException) -> NoReturn:
    pytest.fail(f"{what} could not start: {type(exc).__name__}: {exc}", pytrace=False)


def _serve(what: str, server: S) -> Iterator[S]:
    """Start `server` for a fixture, fail the test loudly if it cannot, stop it afterwards."""
    try:
        server.start()
    except Exception as exc:
        _fail(what, exc)
    yield server
    server.stop()


class DovecotFaults:
    """The misconfigured Dovecot instances, by attribute or by ``faults["name"]``.

    expired      127.0.0.3  certificate from the test CA, right names, expired
    wrong_name   127.0.0.4  valid certificate, but for other.invalid only
    self_signed  127.0.0.5  self-signed certificate (no chain to the test CA)
    no_tls       127.0.0.6  ssl = no: imap/pop3/submission only, no STARTTLS, and
                            plaintext logins accepted (disable_plaintext_auth = no)
    no_pop3      127.0.0.7  protocols = imap submission: nothing listens on the ports in
                            ``closed_ports["pop3"]``/``["pop3s"]`` (connection refused)
    limited      127.0.0.8  mail_max_userip_connections = 1: a second concurrent IMAP login
                            of a user from one IP gets ``NO [LIMIT] Maximum number of
                            connections from user+IP exceeded``; LOGINDISABLED before STARTTLS

    Every instance has the healthy server's users and mailboxes; ``ports`` lists only
    what listens (no_tls has no imaps/pop3s/submissions).
    """

    expired: DovecotServer
    wrong_name: DovecotServer
    self_signed: DovecotServer
    no_tls: DovecotServer
    no_pop3: DovecotServer
    limited: DovecotServer

    def __init__(self, servers: dict[str, DovecotServer]) -> None:
        self.servers = servers
        for name, server in servers.items():
            setattr(self, name, server)

    def __getitem__(self, name: str) -> DovecotServer:
        return self.servers[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.servers)

    def __repr__(self) -> str:
        return f"DovecotFaults({list(self.servers)})"


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    """Root + intermediate CA; clients trust ``test_ca.ca_file``."""
    return TestCA(Path(tmp_path_factory.mktemp("ca")))


@pytest.fixture(scope="session")
def dovecot_healthy(test_ca: TestCA) -> Iterator[DovecotServer]:
    """The good server on 127.0.0.2 and ::1 (see tests/support/dovecot.py for users)."""
    yield from _serve("Dovecot (healthy)", DovecotServer(healthy_spec(test_ca)))


@pytest.fixture(scope="session")
def dovecot_faults(test_ca: TestCA) -> Iterator[DovecotFaults]:
    """All fault instances, booted together (about as fast as booting one)."""
    for servers in serve_dovecots("Dovecot (fault instances)", fault_specs(test_ca)):
        yield DovecotFaults(servers)


def serve_dovecots(what: str, specs: Mapping[str, DovecotSpec]) -> Iterator[dict[str, DovecotServer]]:
    """Boot several Dovecots together for a fixture; fail loudly if one cannot start."""
    servers = {name: DovecotServer(spec) for name, spec in specs.items()}
    try:
        for server in servers.values():
            server.launch()
        for server in servers.values():
            server.wait_ready()
    except Exception as exc:
        for server in servers.values():
            server.stop()
        _fail(what, exc)
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def dns_server() -> Iterator[KnotServer]:
    """Knot DNS on 127.0.0.1; ``set_zone`` then point ``[dns] nameservers`` at it."""
    yield from _serve("Knot DNS", KnotServer())


@pytest.fixture
def dns_zones(dns_server: KnotServer) -> Iterator[Callable[[str, str], None]]:
    """``dns_zones(origin, records)`` serves a zone for one test and removes it after."""
    origins: list[str] = []

    def set_zone(origin: str, records: str) -> None:
        origins.append(origin)
        dns_server.set_zone(origin, records)

    yield set_zone
    for origin in origins:
        dns_server.remove_zone(origin)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """Redis on 127.0.0.1 without persistence; ``redis_server.url`` for storage_uri."""
    yield from _serve("Redis", RedisServer())


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL cluster on 127.0.0.1 (as an unprivileged user); each test takes
    its own database with ``postgres_server.create_database()``."""
    yield from _serve("PostgreSQL", PostgresServer())


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty reports database: a SQLite file, then a PostgreSQL database. Tests
    taking this fixture run once against each."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reports.db'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    """A port that accepts and never speaks."""
    with SilentServer() as server:
        yield server


@pytest.fixture
def garbage_server() -> Iterator[GarbageServer]:
    """A port that greets with ``HTTP/1.0 400 garbage``."""
    with GarbageServer() as server:
        yield server


@pytest.fixture
def counting_server() -> Iterator[CountingServer]:
    """A port that counts connections; assert ``.connections == 0`` for SSRF tests."""
    with CountingServer() as server:
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium for one test module's page tests."""
    with chromium() as started:
        yield started
