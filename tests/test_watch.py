"""autoconfig watch: what it checks (each host, port and family, with the diagnosis
probes, never a login), how rounds become incidents, the jitter, the round's budget
against a silent port, and one watcher at a time (two watchers, one killed)."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from autoconfig.config import build_config
from autoconfig.db import Database
from autoconfig.db.schema import watch_rounds
from autoconfig.model import Protocol, Provider, Security, Server
from autoconfig.watch import endpoints
from autoconfig.watch.checks import Endpoint, Round
from autoconfig.watch.incidents import advance, decide
from autoconfig.watch.runner import Watcher, first_delay, next_delay
from autoconfig.watch.store import WatchStore
from tests.diagnostics_helpers import publish_example_zone, to_toml
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import DovecotServer, healthy_spec
from tests.support.silent import SilentServer
from tests.watch_helpers import watch_config, watch_raw

AUTOCONFIG = str(Path(sys.executable).with_name("autoconfig"))
NOW = dt.datetime(2026, 12, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def dovecot(test_ca: TestCA) -> Iterator[DovecotServer]:
    """A Dovecot of this module's own: the tests here stop it."""
    with DovecotServer(healthy_spec(test_ca)) as server:
        yield server


# -- what is checked (pure) ---------------------------------------------------------------


def _provider(domains: tuple[str, ...], *servers: Server) -> Provider:
    return Provider(id="p", name="P", short_name="P", domains=domains, servers=servers)


def test_a_template_host_is_checked_for_each_served_domain_up_to_the_cap() -> None:
    # Given a template IMAP host, a fixed SMTP host and three served domains
    provider = _provider(
        ("c.example", "a.example", "b.example"),
        Server(Protocol.IMAP, "mail.%EMAILDOMAIN%", 993, Security.TLS),
        Server(Protocol.SMTP, "smtp.example.com", 465, Security.TLS),
    )
    # When the watch lists its services with a cap of two template hosts
    found = endpoints.services([provider], max_template_hosts=2)
    # Then the first two domains in name order get a host each, the fixed host one
    assert [(s.host, s.port, s.templated) for s in found] == [
        ("mail.a.example", 993, True), ("mail.b.example", 993, True), ("smtp.example.com", 465, False),
    ]


def test_a_server_named_twice_is_checked_once() -> None:
    server = Server(Protocol.IMAP, "Mail.Example.com", 993, Security.TLS)
    assert len(endpoints.services([_provider(("x.example",), server), _provider(("y.example",), server)], 10)) == 1


# -- rounds to incidents (pure) -----------------------------------------------------------


def _round(at: dt.datetime, *oks: bool) -> Round:
    families = ("ipv4", "ipv6")
    return Round(at, at, tuple(
        Endpoint("mail.example.com", 993, families[i], "imap", ok, "tls.ok" if ok else "net.refused")
        for i, ok in enumerate(oks)
    ))


def test_two_failed_rounds_open_an_incident_and_one_good_round_closes_it() -> None:
    states = advance({}, _round(NOW, True, True))
    assert decide(states, set(), 2) == ((), ())
    # One family fails once: not yet
    states = advance({s.key: s for s in states}, _round(NOW + dt.timedelta(minutes=5), False, True))
    assert decide(states, set(), 2) == ((), ())
    # Twice in a row: an incident, dated from the first failure
    states = advance({s.key: s for s in states}, _round(NOW + dt.timedelta(minutes=10), False, True))
    openings, closing = decide(states, set(), 2)
    assert [(o.host, o.port, o.code, o.since) for o in openings] == [
        ("mail.example.com", 993, "net.refused", NOW + dt.timedelta(minutes=5))
    ]
    assert closing == ()
    # Still failing: it stays open, no second incident
    states = advance({s.key: s for s in states}, _round(NOW + dt.timedelta(minutes=15), False, False))
    assert decide(states, {("mail.example.com", 993)}, 2) == ((), ())
    # One good round closes it
    states = advance({s.key: s for s in states}, _round(NOW + dt.timedelta(minutes=20), True, True))
    assert decide(states, {("mail.example.com", 993)}, 2) == ((), (("mail.example.com", 993),))


def test_the_waits_are_jittered_within_ten_percent() -> None:
    rng = random.Random(7)
    waits = [next_delay(300, 0, rng) for _ in range(200)]
    assert all(270 <= w <= 330 for w in waits)
    assert len({round(w) for w in waits}) > 20  # spread, not in step
    assert next_delay(300, 100, random.Random(1)) < 231  # the round's own time is taken off
    assert all(0 <= first_delay(300, rng) <= 30 for _ in range(50))


# -- rounds against real servers ------------------------------------------------------------


def test_a_round_checks_each_port_and_family_without_logging_in(
    dovecot: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given the watch pointed at a healthy Dovecot reachable over IPv4 and IPv6
    config = watch_config(dovecot, test_ca, dns_server, f"sqlite:///{tmp_path / 'r.db'}", tmp_path)
    watcher = Watcher(config, Database(config.reports.database_url))
    # When one round runs
    done = watcher.round()
    # Then every listener was checked over both families, TLS verified, and all are up
    seen = {(e.port, e.family): (e.ok, e.code) for e in done.endpoints}
    assert set(seen) == {(port, family) for port in dovecot.ports.values() for family in ("ipv4", "ipv6")}
    assert all(ok and code == "tls.ok" for ok, code in seen.values()), seen
    assert all(e.not_after is not None and e.not_after > dt.datetime.now(dt.UTC) for e in done.endpoints)
    # And no login was ever tried
    assert "auth" not in "".join(line for line in dovecot.log_text().splitlines() if "Login:" in line)
    assert "Login: user=" not in dovecot.log_text()
    # And the database holds the results for the other instances
    assert len(WatchStore(watcher.store.engine).snapshot().endpoints) == len(done.endpoints)


def test_a_round_against_a_silent_port_ends_within_its_budget(
    test_ca: TestCA, dns_server: KnotServer, dovecot: DovecotServer, tmp_path: Path
) -> None:
    # Given a server that accepts connections and never speaks, beside a healthy one
    with SilentServer("127.0.0.2") as silent:
        raw = watch_raw(dovecot, test_ca, dns_server, f"sqlite:///{tmp_path / 'r.db'}")
        raw["provider"][0]["server"].append(
            {"protocol": "imap", "hostname": "mail.example.test", "port": silent.port, "security": "tls"})
        raw["diagnostics"].update(budget_s=2, connect_timeout_s=2)
        config = build_config(raw, base_dir=tmp_path)
        watcher = Watcher(config, Database(config.reports.database_url))
        # When a round runs
        started = time.monotonic()
        done = watcher.round()
        took = time.monotonic() - started
    # Then it ended within its budget, the silent port down (timed out), the rest up
    assert took <= 2.0 + 0.5
    silent_ones = [e for e in done.endpoints if e.port == silent.port and e.family == "ipv4"]
    assert [(e.ok, e.code) for e in silent_ones] == [(False, "net.timeout")]
    assert all(e.ok for e in done.endpoints if e.port != silent.port)


def test_a_capped_round_checks_every_endpoint_a_few_at_a_time_in_configuration_order(
    dovecot: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given a watcher allowed two endpoints at once, after a round that made the last ones slowest
    config = watch_config(dovecot, test_ca, dns_server, f"sqlite:///{tmp_path / 'r.db'}", tmp_path,
                          max_concurrent=2)
    watcher = Watcher(config, Database(config.reports.database_url))
    first = watcher.round()
    watcher.took_ms = {e.key: 1000 + i for i, e in enumerate(first.endpoints)}
    for thread in threading.enumerate():
        if thread.name.startswith("probe"):
            thread.join(5)  # the first round's, on their way out
    # When the next round runs, with its threads counted as it goes
    in_flight: list[int] = []
    done_event = threading.Event()

    def count() -> None:
        while not done_event.wait(0.002):
            in_flight.append(sum(1 for t in threading.enumerate() if t.name.startswith("probe")))

    counter = threading.Thread(target=count)
    counter.start()
    try:
        done = watcher.round()
    finally:
        done_event.set()
        counter.join()
    # Then every endpoint was checked, never more than two at once, all up, listed as configured
    assert max(in_flight) <= 2 and len(done.endpoints) == len(first.endpoints) == 2 * len(dovecot.ports)
    assert all(e.ok for e in done.endpoints), [e for e in done.endpoints if not e.ok]
    assert [e.key for e in done.endpoints] == [e.key for e in first.endpoints]


# -- one watcher at a time ------------------------------------------------------------------


def _rounds_by(url: str) -> list[str]:
    database = Database(url)
    try:
        with database.ready().connect() as connection:
            return [row.watcher for row in connection.execute(sa.select(watch_rounds.c.watcher)
                                                               .order_by(watch_rounds.c.id))]
    finally:
        database.dispose()


def _start_watcher(config_path: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        return subprocess.Popen([AUTOCONFIG, "watch", "--config", str(config_path)],
                                stdout=output, stderr=subprocess.STDOUT)


def _wait_for(predicate: object, timeout_s: float) -> bool:
    until = time.monotonic() + timeout_s
    while time.monotonic() < until:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.2)
    return False


def test_one_watcher_runs_and_a_second_takes_over_when_the_first_is_killed(
    database_url: str, dovecot: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given two watchers started on one database (SQLite, then PostgreSQL)
    raw = watch_raw(dovecot, test_ca, dns_server, database_url, interval_s=0.3)
    raw["diagnostics"].update(budget_s=1, connect_timeout_s=1)  # the lease: 5 s
    config_path = tmp_path / "autoconfig.toml"
    config_path.write_text(to_toml(raw), encoding="utf-8")
    setup = Database(database_url)
    setup.upgrade()
    setup.dispose()
    first = _start_watcher(config_path, tmp_path / "first.log")
    second: subprocess.Popen[bytes] | None = None
    try:
        assert _wait_for(lambda: any(f":{first.pid}:" in w for w in _rounds_by(database_url)), 20), \
            (tmp_path / "first.log").read_text()
        second = _start_watcher(config_path, tmp_path / "second.log")
        time.sleep(2.5)
        # Then only the first one runs rounds
        assert not any(f":{second.pid}:" in w for w in _rounds_by(database_url))
        # When the first is killed (no clean release)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(5)
        killed_after = len(_rounds_by(database_url))
        # Then the second takes over once the lease lapses, and runs alone
        assert _wait_for(lambda: any(f":{second.pid}:" in w for w in _rounds_by(database_url)), 15), \
            (tmp_path / "second.log").read_text()
        watchers = _rounds_by(database_url)
        assert all(f":{first.pid}:" in w for w in watchers[:killed_after])
        assert all(f":{second.pid}:" in w for w in watchers[killed_after:])
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(10)
    # And a clean stop releases the lease at once
    assert second is not None and second.returncode == 0


def test_watch_once_and_maintenance_from_the_command_line(
    dovecot: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    config = watch_config(dovecot, test_ca, dns_server, url, tmp_path)
    assert config.watch.rounds_to_open == 2
    config_path = tmp_path / "autoconfig.toml"
    config_path.write_text(to_toml(watch_raw(dovecot, test_ca, dns_server, url)), encoding="utf-8")
    once = subprocess.run([AUTOCONFIG, "watch", "--once", "--config", str(config_path)],
                          capture_output=True, text=True, timeout=60)
    assert once.returncode == 0, once.stderr
    assert f"mail.example.test:{dovecot.ports['imaps']} ipv6 up tls.ok" in once.stdout
    planned = subprocess.run(
        [AUTOCONFIG, "watch", "maintenance", "mail.example.test", "--until", "2099-01-01T10:00",
         "--config", str(config_path)], capture_output=True, text=True, timeout=60)
    assert planned.returncode == 0, planned.stderr
    assert "until 2099-01-01 10:00 UTC" in planned.stdout
    database = Database(url)
    notices = WatchStore(database.ready()).snapshot().notices
    database.dispose()
    assert [(n.kind, n.host, n.port) for n in notices] == [("maintenance", "mail.example.test", None)]
    past = subprocess.run(
        [AUTOCONFIG, "watch", "maintenance", "mail.example.test", "--until", "2001-01-01T10:00",
         "--config", str(config_path)], capture_output=True, text=True, timeout=60)
    assert past.returncode == 2 and "must be in the future" in past.stderr


def test_an_endpoint_the_round_had_no_thread_for_is_not_checked_and_opens_no_incident(
    dovecot: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given a watcher allowed one endpoint at a time, whose first endpoint never speaks
    with SilentServer("127.0.0.2") as silent:
        raw = watch_raw(dovecot, test_ca, dns_server, f"sqlite:///{tmp_path / 'r.db'}", max_concurrent=1)
        raw["provider"][0]["server"].insert(
            0, {"protocol": "imap", "hostname": "mail.example.test", "port": silent.port, "security": "tls"})
        raw["diagnostics"].update(budget_s=1.5, connect_timeout_s=1.5)
        config = build_config(raw, base_dir=tmp_path)
        publish_example_zone(dns_server, config)
        watcher = Watcher(config, Database(config.reports.database_url))
        # When three rounds run, the silent server holding the only thread each time
        rounds = [watcher.round() for _ in range(3)]
    # Then the silent server is down and its incident open (two failed rounds in a row)…
    store = WatchStore(watcher.store.engine)
    assert silent.port in {port for _host, port in store.open_incidents()}
    # …and the endpoints the first round never reached are "not checked", not down…
    first = rounds[0]
    unreached = [e for e in first.endpoints if not e.checked]
    assert len(unreached) >= 10 and all(not e.ok and e.code == "skip.budget" for e in unreached)
    # …they go first in the next round, which reaches most of them…
    assert sum(not e.checked for e in rounds[1].endpoints) < len(unreached)
    # …and no incident opened but the silent server's, whose state alone is failing
    assert all(port == silent.port for _host, port in store.open_incidents())
    assert all(s.ok or s.port == silent.port for s in store.snapshot().endpoints)
