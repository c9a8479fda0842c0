"""The faults users meet, each on a real (mis)configured Dovecot or a misbehaving port:
every one yields its SPEC code, and the checks behind it are skipped with the reason."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imapclient import IMAPClient

from autoconfig.model import Status
from tests.diagnostics_helpers import (
    address_records,
    by_id,
    diagnose,
    dovecot_servers,
    make,
    raw_config,
    server,
)
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, FAULT_ADDRESSES
from tests.support.fixtures import DovecotFaults
from tests.support.silent import GarbageServer, SilentServer


@pytest.fixture(scope="module", autouse=True)
def fault_zone(dns_server: KnotServer) -> None:
    dns_server.set_zone("example.test", "@ MX 10 mail\n" + address_records())


def _host(fault: str) -> str:
    return FAULT_ADDRESSES[fault][1]


def _run(raw: dict, tmp_path: Path, password: str | None = ALICE.password, **kw: object):  # type: ignore[no-untyped-def]
    return diagnose(make(raw, tmp_path), ALICE.address, password, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fault", "code"),
    [("expired", "tls.expired"), ("wrong_name", "tls.hostname_mismatch"), ("self_signed", "tls.untrusted")],
)
def test_certificate_faults_have_their_code_and_no_password_is_sent(
    fault: str, code: str, dovecot_faults: DovecotFaults, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given a server whose certificate is bad, on an implicit-TLS and a STARTTLS port
    instance = dovecot_faults[fault]
    servers = dovecot_servers(instance, _host(fault))
    # When the account is diagnosed with its password (IMAP only)
    report = _run(raw_config(servers, ca=test_ca, knot=dns_server), tmp_path, protocols=["imap"])
    checks = by_id(report)
    for svc in ("imaps", "imap"):
        prefix = f"imap-{instance.ports[svc]}"
        # Then TLS says what is wrong, and the login was not attempted
        assert checks[f"{prefix}-tls"].check.code == code
        assert checks[f"{prefix}-auth"].check.code in ("auth.not_attempted_insecure", "skip.tls_failed")
    tls = checks[f"imap-{instance.ports['imaps']}-tls"]
    assert checks[f"imap-{instance.ports['imaps']}-greeting"].check.code == "skip.tls_failed"
    assert checks[f"imap-{instance.ports['imap']}-auth"].check.code == "auth.not_attempted_insecure"
    assert checks["imap-folders"].check.status is Status.SKIPPED
    assert report.status is Status.ERROR
    assert tls.remedy
    assert "Logged in" not in instance.log_text()  # the server never saw a login


def test_expired_certificate_says_when(dovecot_faults: DovecotFaults, test_ca: TestCA, dns_server: KnotServer,
                                       tmp_path: Path) -> None:
    instance = dovecot_faults.expired
    servers = dovecot_servers(instance, _host("expired"))
    report = _run(raw_config(servers, ca=test_ca, knot=dns_server), tmp_path, protocols=["imap"])
    tls = by_id(report)[f"imap-{instance.ports['imaps']}-tls"]
    assert tls.check.data.days_left < 0
    assert tls.check.params["not_after"] in tls.message


def test_wrong_name_says_which_names_the_certificate_has(dovecot_faults: DovecotFaults, test_ca: TestCA,
                                                         dns_server: KnotServer, tmp_path: Path) -> None:
    instance = dovecot_faults.wrong_name
    servers = dovecot_servers(instance, _host("wrong_name"))
    report = _run(raw_config(servers, ca=test_ca, knot=dns_server), tmp_path, protocols=["pop3"])
    tls = by_id(report)[f"pop3-{instance.ports['pop3s']}-tls"]
    assert "other.invalid" in tls.message and _host("wrong_name") in tls.message


def test_server_without_tls(dovecot_faults: DovecotFaults, test_ca: TestCA, dns_server: KnotServer,
                            tmp_path: Path) -> None:
    # Given a server with ssl = no that would even accept a plaintext login
    instance = dovecot_faults.no_tls
    servers = dovecot_servers(instance, _host("no_tls"))
    logged_before = len(instance.log_text())  # other tests share this instance
    report = _run(raw_config(servers, ca=test_ca, knot=dns_server), tmp_path)
    checks = by_id(report)
    for protocol, plain_svc, tls_svc in (("imap", "imap", "imaps"), ("pop3", "pop3", "pop3s"),
                                         ("smtp", "submission", "submissions")):
        plain = f"{protocol}-{instance.ports[plain_svc]}"
        implicit = f"{protocol}-{instance.closed_ports[tls_svc]}"
        # Then STARTTLS is missing, the password is withheld, and the TLS port is closed
        assert checks[f"{plain}-tls"].check.code == "starttls.missing"
        assert checks[f"{plain}-auth"].check.code == "auth.not_attempted_insecure"
        assert checks[f"{implicit}-tcp-ipv4"].check.code == "net.refused"
        assert checks[f"{implicit}-tls"].check.code == "skip.unreachable"
    assert "Login: user=<" not in instance.log_text()[logged_before:]


def test_server_with_pop3_off(dovecot_faults: DovecotFaults, test_ca: TestCA, dns_server: KnotServer,
                              tmp_path: Path) -> None:
    instance = dovecot_faults.no_pop3
    servers = dovecot_servers(instance, _host("no_pop3"))
    report = _run(raw_config(servers, ca=test_ca, knot=dns_server), tmp_path)
    checks = by_id(report)
    for svc in ("pop3", "pop3s"):
        port = instance.closed_ports[svc]
        assert checks[f"pop3-{port}-tcp-ipv4"].check.code == "net.refused"
        assert checks[f"pop3-{port}-auth"].check.code == "skip.unreachable"
    assert checks["pop3-mailbox"].check.status is Status.SKIPPED
    assert checks[f"imap-{instance.ports['imaps']}-auth"].check.code == "auth.ok"


@pytest.fixture
def busy_client(dovecot_faults: DovecotFaults, test_ca: TestCA) -> Iterator[IMAPClient]:
    """The customer's own mail client, logged in and holding the one allowed connection."""
    instance = dovecot_faults.limited
    context = ssl.create_default_context(cafile=str(test_ca.ca_file))
    client = IMAPClient(instance.host_ip, port=instance.ports["imaps"], ssl_context=context, timeout=5)
    client.login(ALICE.address, ALICE.password)
    yield client
    client.logout()


def test_one_connection_per_user_our_own_logins_take_turns(dovecot_faults: DovecotFaults, test_ca: TestCA,
                                                           dns_server: KnotServer, tmp_path: Path) -> None:
    # Given a server allowing one connection per user, and two IMAP and two POP3 ports
    instance = dovecot_faults.limited
    report = _run(raw_config(dovecot_servers(instance, _host("limited")), ca=test_ca, knot=dns_server), tmp_path)
    # Then our own probes never count as the customer's extra connection
    auth = {c.check.id: c.check.code for c in report.checks if c.check.kind == "auth"}
    assert set(auth.values()) == {"auth.ok", "smtp.auth_ok"}, report.checks


def test_too_many_connections_when_the_customer_is_connected(
    busy_client: IMAPClient, dovecot_faults: DovecotFaults, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    instance = dovecot_faults.limited
    servers = dovecot_servers(instance, _host("limited"))
    report = _run(raw_config(servers, ca=test_ca, knot=dns_server), tmp_path, protocols=["imap", "pop3"])
    checks = by_id(report)
    for svc in ("imaps", "imap"):
        auth = checks[f"imap-{instance.ports[svc]}-auth"]
        assert auth.check.code == "auth.too_many_connections", auth.check.params
    assert checks[f"pop3-{instance.ports['pop3s']}-auth"].check.code == "auth.ok"


def test_plaintext_login_refused_on_a_plain_configured_server(dovecot_faults: DovecotFaults, test_ca: TestCA,
                                                              dns_server: KnotServer, tmp_path: Path) -> None:
    # Given a server configured (wrongly) as plain, which refuses logins before STARTTLS
    instance = dovecot_faults.limited
    servers = [server("imap", _host("limited"), instance.ports["imap"], "plain"),
               server("imap", _host("limited"), instance.ports["imaps"], "tls"),
               server("smtp", _host("limited"), instance.ports["submissions"], "tls")]
    report = _run(raw_config(servers, ca=test_ca, knot=dns_server), tmp_path, protocols=["imap"])
    checks = by_id(report)
    prefix = f"imap-{instance.ports['imap']}"
    assert checks[f"{prefix}-tls"].check.code == "tls.plain_configured"
    assert checks[f"{prefix}-auth"].check.code == "auth.plaintext_refused"


def test_silent_port_times_out_within_budget(silent_server: SilentServer, test_ca: TestCA, dns_server: KnotServer,
                                             tmp_path: Path) -> None:
    dns_server.set_zone("silent.test", f"mail A {silent_server.host}")
    servers = [server("imap", "mail.silent.test", silent_server.port, "starttls"),
               server("smtp", "mail.silent.test", silent_server.port, "tls")]
    raw = raw_config(servers, ca=test_ca, knot=dns_server, domains=["silent.test"], budget_s=2, connect_timeout_s=1)
    started = time.monotonic()
    report = diagnose(make(raw, tmp_path), "someone@silent.test", "x")
    took = time.monotonic() - started
    checks = by_id(report)
    prefix = f"imap-{silent_server.port}"
    assert checks[f"{prefix}-greeting"].check.code == "net.timeout"
    assert checks[f"{prefix}-greeting"].check.params["step"] == "greeting"
    assert checks[f"smtp-{silent_server.port}-tls"].check.params["step"] == "tls_handshake"
    assert checks[f"{prefix}-tls"].check.code == "skip.no_greeting"
    assert took < 2 + 0.5


def test_port_that_speaks_garbage(garbage_server: GarbageServer, test_ca: TestCA, dns_server: KnotServer,
                                  tmp_path: Path) -> None:
    dns_server.set_zone("garbage.test", f"mail A {garbage_server.host}")
    servers = [server(p, "mail.garbage.test", garbage_server.port, "starttls") for p in ("imap", "pop3", "smtp")]
    servers.append(server("smtp", "mail.garbage.test", garbage_server.port, "tls"))
    raw = raw_config(servers, ca=test_ca, knot=dns_server, domains=["garbage.test"])
    report = diagnose(make(raw, tmp_path), "someone@garbage.test", "x")
    greetings = [c for c in report.checks if c.check.id.endswith("-greeting")]
    port = garbage_server.port
    assert [g.check.code for g in greetings[:3]] == ["proto.bad_greeting"] * 3
    assert "HTTP/1.0 400" in greetings[0].message
    tls = by_id(report)[f"smtp-{port}-2-tls"]
    assert tls.check.code == "tls.handshake_failed"
