"""The fixture servers behave as the diagnostics tests assume: real TLS, logins, folders,
quota, POP3, submission AUTH, DNS answers, Redis, and the hand-written misbehaving ports.

If one of these fails, the diagnostics tests built on it would test nothing.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import poplib
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import dns.message
import dns.query
import dns.rcode
import dns.resolver
import pytest
import redis
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import (
    ALICE,
    BRUNO,
    FULL,
    SPECIAL_USE,
    UNSUBSCRIBED_FOLDER,
    DovecotServer,
)
from tests.support.fixtures import DovecotFaults
from tests.support.ports import free_ports
from tests.support.process import ServerStartError
from tests.support.redis import RedisServer
from tests.support.silent import CountingServer, GarbageServer, SilentServer

HOSTNAME = "mail.example.test"


@pytest.fixture(scope="module")
def tls(test_ca: TestCA) -> ssl.SSLContext:
    """What a careful client uses: verification on, trusting only the test root."""
    return ssl.create_default_context(cafile=str(test_ca.ca_file))


@contextlib.contextmanager
def imap(
    server: DovecotServer,
    ctx: ssl.SSLContext | None,
    host: str | None = None,
    service: str = "imaps",
) -> Iterator[IMAPClient]:
    """IMAP over implicit TLS (or on the clear for ``service="imap"``), verifying the
    certificate against the dialled IP; always closes the socket."""
    client = IMAPClient(
        host or server.host_ip,
        server.ports[service],
        ssl=service == "imaps",
        ssl_context=ctx,
        timeout=5,
    )
    try:
        yield client
    finally:
        try:
            client.logout()  # closes the socket on success
        except Exception:
            with contextlib.suppress(OSError):
                client.shutdown()


def handshake_error(host: str, port: int, ctx: ssl.SSLContext, name: str) -> ssl.SSLCertVerificationError:
    """Do a TLS handshake expecting a verification failure, and return it."""
    with (
        socket.create_connection((host, port), timeout=5) as raw,
        pytest.raises(ssl.SSLCertVerificationError) as failure,
        ctx.wrap_socket(raw, server_hostname=name),
    ):
        pass
    return failure.value


# -- the test CA ---------------------------------------------------------------------------


def _verify(test_ca: TestCA, cert_path: Path, name: str) -> None:
    leaf, *chain = x509.load_pem_x509_certificates(cert_path.read_bytes())
    store = verification.Store([test_ca.root_cert])
    verifier = verification.PolicyBuilder().store(store).build_server_verifier(x509.DNSName(name))
    verifier.verify(leaf, chain)


def test_ca_issues_a_chain_that_verifies_against_the_root_only(test_ca: TestCA) -> None:
    # Given a leaf issued for two names, RSA this time
    cert_path, key_path = test_ca.issue(["a.example.test", "b.example.test"], key_type="rsa")
    # Then the file holds leaf + intermediate and verifies for both names
    assert len(x509.load_pem_x509_certificates(cert_path.read_bytes())) == 2
    _verify(test_ca, cert_path, "a.example.test")
    _verify(test_ca, cert_path, "b.example.test")
    assert b"PRIVATE KEY" in key_path.read_bytes()
    with pytest.raises(verification.VerificationError):
        _verify(test_ca, cert_path, "c.example.test")


def test_ca_expired_and_self_signed_do_not_verify(test_ca: TestCA) -> None:
    expired, _ = test_ca.expired(["x.example.test"])
    selfsigned, _ = test_ca.self_signed(["x.example.test"])
    leaf = x509.load_pem_x509_certificates(expired.read_bytes())[0]
    assert leaf.not_valid_after_utc < dt.datetime.now(dt.UTC)
    for path in (expired, selfsigned):
        with pytest.raises(verification.VerificationError):
            _verify(test_ca, path, "x.example.test")


def test_ca_signing_cert_signs_cms_with_its_chain(test_ca: TestCA) -> None:
    # Given the profile-signing certificate
    signing = test_ca.issue_signing()
    cert = x509.load_pem_x509_certificate(signing.cert_path.read_bytes())
    key = serialization.load_pem_private_key(signing.key_path.read_bytes(), password=None)
    chain = x509.load_pem_x509_certificates(signing.chain_path.read_bytes())
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert chain == [test_ca.intermediate_cert]
    # When it signs a payload as CMS SignedData (DER), chain included
    builder = pkcs7.PKCS7SignatureBuilder().set_data(b"<plist/>")
    builder = builder.add_signer(cert, key, hashes.SHA256())  # type: ignore[arg-type]
    for extra in chain:
        builder = builder.add_certificate(extra)
    der = builder.sign(serialization.Encoding.DER, [])
    # Then the SignedData carries the signer and the intermediate
    assert set(pkcs7.load_der_pkcs7_certificates(der)) == {cert, *chain}


# -- healthy Dovecot -----------------------------------------------------------------------


def test_imaps_login_and_folders(dovecot_healthy: DovecotServer, tls: ssl.SSLContext) -> None:
    with imap(dovecot_healthy, tls) as client:
        # When alice logs in over verified implicit TLS
        client.login(ALICE.address, ALICE.password)
        folders = {name: flags for flags, _delim, name in client.list_folders()}
        subscribed = {name for _flags, _delim, name in client.list_sub_folders()}
        # Then the special-use folders carry their flags
        for name, flag in SPECIAL_USE.items():
            assert flag.encode() in folders[name]
        # And one folder exists that a subscribed-only client would hide
        assert UNSUBSCRIBED_FOLDER in folders
        assert UNSUBSCRIBED_FOLDER not in subscribed
        assert {"INBOX", *SPECIAL_USE} <= subscribed
        # And EXAMINE shows the INBOX read-only with unseen messages
        info = client.select_folder("INBOX", readonly=True)
        assert info[b"EXISTS"] == ALICE.inbox_count
        assert len(client.search(["UNSEEN"])) == ALICE.inbox_unseen


def test_imap_refuses_login_before_starttls(dovecot_healthy: DovecotServer, tls: ssl.SSLContext) -> None:
    with imap(dovecot_healthy, None, service="imap") as client:
        # Given a plaintext connection from 127.0.0.1 to 127.0.0.2
        caps = client.capabilities()
        assert b"STARTTLS" in caps
        assert b"LOGINDISABLED" in caps
        with pytest.raises(LoginError, match="PRIVACYREQUIRED"):
            client.login(ALICE.address, ALICE.password)
        # When the client upgrades with STARTTLS, Then login works
        client.starttls(tls)
        client.login(ALICE.address, ALICE.password)
        assert client.noop()


def test_imaps_over_ipv6(dovecot_healthy: DovecotServer, tls: ssl.SSLContext) -> None:
    assert "::1" in dovecot_healthy.spec.listen
    with imap(dovecot_healthy, tls, host="::1") as client:
        client.login(ALICE.address, ALICE.password)
        assert client.noop()


def test_non_ascii_password_with_authenticate_plain(dovecot_healthy: DovecotServer, tls: ssl.SSLContext) -> None:
    with imap(dovecot_healthy, tls) as client:
        # SASL PLAIN carries the password as UTF-8
        client.plain_login(BRUNO.address, BRUNO.password)
        assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == BRUNO.inbox_count


def test_wrong_password_fails(dovecot_healthy: DovecotServer, tls: ssl.SSLContext) -> None:
    with imap(dovecot_healthy, tls) as client, pytest.raises(LoginError):
        client.login(ALICE.address, "wrong-password")


def test_quota_nearly_full_and_low(dovecot_healthy: DovecotServer, tls: ssl.SSLContext) -> None:
    for user, low, high in ((FULL, 92, 99), (ALICE, 0, 1)):
        with imap(dovecot_healthy, tls) as client:
            client.login(user.address, user.password)
            _roots, quotas = client.get_quota_root("INBOX")
            (storage,) = [q for q in quotas if q.resource.upper() == "STORAGE"]
            assert low <= 100 * storage.usage / storage.limit <= high, (user, storage)


def test_pop3_stls_and_pop3s(dovecot_healthy: DovecotServer, tls: ssl.SSLContext) -> None:
    server = dovecot_healthy
    # STLS on the 110-style port: USER is offered only after TLS
    pop = poplib.POP3(server.host_ip, server.ports["pop3"], timeout=5)
    try:
        assert "STLS" in pop.capa()
        assert "USER" not in pop.capa()
        pop.stls(tls)
        assert "UIDL" in pop.capa()
        pop.user(ALICE.address)
        pop.pass_(ALICE.password)
        count, _size = pop.stat()
        assert count == ALICE.inbox_count
        assert len(pop.uidl()[1]) == ALICE.inbox_count
        pop.quit()
    finally:
        pop.close()
    # Implicit TLS on the 995-style port
    pops = poplib.POP3_SSL(server.host_ip, server.ports["pop3s"], context=tls, timeout=5)
    try:
        pops.user(BRUNO.address)
        pops.pass_(BRUNO.password)
        assert pops.stat()[0] == BRUNO.inbox_count
        pops.quit()
    finally:
        pops.close()


def test_submission_auth_after_starttls(dovecot_healthy: DovecotServer, tls: ssl.SSLContext) -> None:
    server = dovecot_healthy
    with smtplib.SMTP(server.host_ip, server.ports["submission"], timeout=5) as smtp:
        smtp.ehlo("probe.test")
        assert smtp.has_extn("starttls")
        assert not smtp.has_extn("auth")  # no AUTH offered on the clear
        smtp.starttls(context=tls)
        smtp.ehlo("probe.test")
        assert "PLAIN" in smtp.esmtp_features["auth"].split()
        code, _ = smtp.login(ALICE.address, ALICE.password)
        assert code == 235


def _auth_plain(smtp: smtplib.SMTP, address: str, password: str) -> tuple[int, bytes]:
    """SASL PLAIN with a UTF-8 password: smtplib.login() only takes ASCII ones."""
    token = base64.b64encode(b"\0" + address.encode() + b"\0" + password.encode("utf-8"))
    return smtp.docmd("AUTH", "PLAIN " + token.decode("ascii"))


def test_submissions_auth_plain_non_ascii(dovecot_healthy: DovecotServer, tls: ssl.SSLContext) -> None:
    server = dovecot_healthy
    with smtplib.SMTP_SSL(server.host_ip, server.ports["submissions"], context=tls, timeout=5) as smtp:
        smtp.ehlo("probe.test")
        assert _auth_plain(smtp, BRUNO.address, BRUNO.password)[0] == 235
    with smtplib.SMTP_SSL(server.host_ip, server.ports["submissions"], context=tls, timeout=5) as smtp:
        smtp.ehlo("probe.test")
        assert _auth_plain(smtp, ALICE.address, "wrong-password")[0] == 535


def test_dovecot_logs_no_passwords(dovecot_healthy: DovecotServer, tls: ssl.SSLContext) -> None:
    # Given logins with every known password
    for user in (ALICE, BRUNO, FULL):
        with imap(dovecot_healthy, tls) as client:
            client.plain_login(user.address, user.password)
    # Then the log shows the logins but no password
    log = dovecot_healthy.log_text()
    assert f"user=<{ALICE.address}>" in log
    for user in (ALICE, BRUNO, FULL):
        assert user.password not in log


# -- Dovecot faults ------------------------------------------------------------------------


def test_fault_certificates(dovecot_faults: DovecotFaults, tls: ssl.SSLContext) -> None:
    cases = {
        "expired": "certificate has expired",
        "wrong_name": "Hostname mismatch",
        "self_signed": "self-signed certificate",
    }
    for name, reason in cases.items():
        server = dovecot_faults[name]
        error = handshake_error(server.host_ip, server.ports["imaps"], tls, server.hostname)
        assert reason in error.verify_message, (name, error.verify_message)


def test_fault_no_tls(dovecot_faults: DovecotFaults) -> None:
    server = dovecot_faults.no_tls
    assert set(server.ports) == {"imap", "pop3", "submission"}
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host_ip, server.closed_ports["imaps"]), timeout=5).close()
    with imap(server, None, service="imap") as client:
        caps = client.capabilities()
        assert b"STARTTLS" not in caps
        assert b"LOGINDISABLED" not in caps
        # The server would take a password on the wire: only the probe's rule stops it.
        client.login(ALICE.address, ALICE.password)


def test_fault_no_pop3(dovecot_faults: DovecotFaults, tls: ssl.SSLContext) -> None:
    server = dovecot_faults.no_pop3
    assert "pop3" not in server.ports
    for service in ("pop3", "pop3s"):
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((server.host_ip, server.closed_ports[service]), timeout=5).close()
    with imap(server, tls) as client:
        client.login(ALICE.address, ALICE.password)


def test_fault_limited_second_login(dovecot_faults: DovecotFaults, tls: ssl.SSLContext) -> None:
    server = dovecot_faults.limited
    # Given alice holds one IMAP session
    with imap(server, tls) as first:
        first.login(ALICE.address, ALICE.password)
        # When she logs in again at the same time, Then the server refuses with [LIMIT]
        with imap(server, tls) as second, pytest.raises(LoginError, match=r"\[LIMIT\]"):
            second.login(ALICE.address, ALICE.password)


def test_fault_limited_refuses_plaintext_login(dovecot_faults: DovecotFaults) -> None:
    server = dovecot_faults.limited
    with imap(server, None, service="imap") as client:
        assert b"LOGINDISABLED" in client.capabilities()


# -- Knot DNS ------------------------------------------------------------------------------


def _resolver(server: KnotServer) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    host, port = server.nameserver.rsplit(":", 1)
    resolver.nameservers = [host]
    resolver.port = int(port)
    resolver.lifetime = 3
    return resolver


def test_dns_answers_and_replaces_zones(dns_server: KnotServer) -> None:
    # Given a zone with MX, SRV, A, AAAA, CNAME and TXT
    dns_server.set_zone(
        "support-test.example",
        """
        @            MX    10 mail
        @            TXT   "v=spf1 -all"
        mail         A     127.0.0.2
        mail         AAAA  ::1
        autoconfig   CNAME mail
        _imaps._tcp  SRV   0 1 993 mail
        """,
    )
    resolver = _resolver(dns_server)
    # Then the answers are Knot's
    mx = resolver.resolve("support-test.example", "MX")
    assert [(r.preference, r.exchange.to_text()) for r in mx] == [(10, "mail.support-test.example.")]
    srv = resolver.resolve("_imaps._tcp.support-test.example", "SRV")
    assert [(r.port, r.target.to_text()) for r in srv] == [(993, "mail.support-test.example.")]
    assert [r.address for r in resolver.resolve("autoconfig.support-test.example", "A")] == ["127.0.0.2"]
    assert [r.address for r in resolver.resolve("mail.support-test.example", "AAAA")] == ["::1"]
    # When the zone is replaced, Then the old records are gone at once
    dns_server.set_zone("support-test.example", "@ MX 20 other.invalid.")
    mx = resolver.resolve("support-test.example", "MX")
    assert [r.exchange.to_text() for r in mx] == ["other.invalid."]
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve("mail.support-test.example", "A")
    # When it is removed, Then Knot refuses the name
    dns_server.remove_zone("support-test.example")
    response = dns.query.udp(
        dns.message.make_query("support-test.example.", "MX"),
        "127.0.0.1",
        port=dns_server.port,
        timeout=3,
    )
    assert response.rcode() == dns.rcode.REFUSED


def test_dns_rejects_a_broken_zone_with_knots_reason(dns_zones: Callable[[str, str], None]) -> None:
    # A CNAME beside other data is invalid: set_zone fails at once with Knot's reason
    with pytest.raises(RuntimeError, match="CNAME"):
        dns_zones("broken-test.example", "@ CNAME elsewhere.invalid.\n@ A 127.0.0.9")


# -- Redis and the hand-written servers ----------------------------------------------------


def test_redis_answers(redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(redis_server.url, socket_timeout=3)
    try:
        assert client.ping() is True
        client.set("support-test", "1")
        assert client.get("support-test") == b"1"
    finally:
        client.close()


def test_silent_server_never_speaks(silent_server: SilentServer) -> None:
    with (
        socket.create_connection(silent_server.address, timeout=0.3) as sock,
        pytest.raises(TimeoutError),
    ):
        sock.recv(1)


def test_garbage_server_greets_with_garbage(garbage_server: GarbageServer) -> None:
    with socket.create_connection(garbage_server.address, timeout=3) as sock:
        assert sock.recv(100) == b"HTTP/1.0 400 garbage\r\n"
        sock.settimeout(0.2)
        with pytest.raises(TimeoutError):  # then it stays open, saying nothing
            sock.recv(1)


def test_counting_server_counts(counting_server: CountingServer) -> None:
    assert counting_server.connections == 0
    with socket.create_connection(counting_server.address, timeout=3) as sock:
        assert sock.recv(1) == b""
    assert counting_server.connections == 1


# -- a port taken between picking and binding ---------------------------------------------


@contextlib.contextmanager
def _taken_ports(count: int) -> Iterator[list[int]]:
    """Ports on 127.0.0.1 held by listening sockets of this test (another server's, say)."""
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            sock.listen()
            ports.append(sock.getsockname()[1])
        yield ports


def test_a_server_whose_port_was_taken_starts_again_on_a_fresh_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a port that another server takes after ours picked it
    with _taken_ports(1) as [taken]:
        picks = iter([[taken]])
        monkeypatch.setattr("tests.support.redis.free_ports", lambda *a, **k: next(picks, None) or free_ports(1))
        # When Redis starts
        with RedisServer() as server:
            # Then it came up on another port, and answers there
            assert server.port != taken
            assert redis.Redis(host=server.host, port=server.port).ping()


def test_a_server_that_cannot_bind_fails_with_its_own_words(monkeypatch: pytest.MonkeyPatch) -> None:
    with _taken_ports(3) as taken:
        picks = iter([[port] for port in taken])
        monkeypatch.setattr("tests.support.redis.free_ports", lambda *a, **k: next(picks))
        with pytest.raises(ServerStartError, match="in use"):
            RedisServer().start()
