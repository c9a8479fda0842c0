"""Logins as the customer, on a real Dovecot whose auth penalty is on and which trusts this
service (`login_trusted_networks`): the probes announce the customer's address (IMAP ID,
POP3/SMTP XCLIENT), so Dovecot logs and penalises the customer, not the service; a wrong
password costs one failed attempt per protocol; and a login the server holds back reads as
`auth.slowed`, never as a network fault.

192.0.2.7 and 192.0.2.8 (RFC 5737 documentation addresses) travel only as data inside the
protocols: every connection goes to 127.0.0.141.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from autoconfig.cli import main
from autoconfig.diagnose import DiagnosisRequest, Report
from autoconfig.model import ClientAddress, Protocol, Secret, Status
from tests.diagnostics_helpers import by_id, diagnostician, dovecot_servers, make, raw_config
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, BRUNO, FULL, DovecotServer, DovecotSpec
from tests.support.fixtures import serve_dovecots
from tests.support.postfix import PostfixServer, ServerStartError

IP = "127.0.0.141"
HOST = "mail.penalty.test"
CUSTOMER = "192.0.2.7"
OTHER_CUSTOMER = "192.0.2.8"
SMTP_CUSTOMER = "192.0.2.9"
SMTP_HOST = "smtp.penalty.test"


@pytest.fixture(scope="module")
def penalising(test_ca: TestCA, dns_server: KnotServer) -> Iterator[DovecotServer]:
    """A Dovecot with the anvil auth penalty on, trusting 127.0.0.0/8 (where we log in from)."""
    spec = DovecotSpec(
        name="penalty", listen=(IP,), hostname=HOST, cert=test_ca.issue([HOST, IP]),
        auth_penalty=True, trusted_networks=("127.0.0.0/8",), sasl_socket=True,
    )
    dns_server.set_zone("penalty.test", f"mail A {IP}\nsmtp A {PostfixServer.host}\n")
    for servers in serve_dovecots("Dovecot (auth penalty, trusts us)", {"penalty": spec}):
        yield servers["penalty"]


@pytest.fixture(scope="module")
def postfix(penalising: DovecotServer, test_ca: TestCA) -> Iterator[PostfixServer]:
    """Debian's Postfix for submission, trusting 127.0.0.0/8 for XCLIENT, SASL through the Dovecot above."""
    server = PostfixServer(SMTP_HOST, test_ca.issue([SMTP_HOST, PostfixServer.host]),
                           penalising.sasl_socket_path, "127.0.0.0/8")
    try:
        server.start()
    except ServerStartError as exc:
        pytest.fail(f"Postfix did not start: {exc}")
    yield server
    server.stop()


def _raw(dovecot: DovecotServer, test_ca: TestCA, dns_server: KnotServer, **diagnostics: Any) -> dict[str, Any]:
    servers = dovecot_servers(dovecot, HOST)
    for entry in servers:
        entry["forward_client_address"] = True
    return raw_config(servers, ca=test_ca, knot=dns_server, **diagnostics)


def _diagnose(raw: dict[str, Any], tmp_path: Path, email: str, password: str, client: str | None,
              protocols: tuple[Protocol, ...] = ()) -> Report:
    owner = diagnostician(make(raw, tmp_path))
    request = DiagnosisRequest(email, Secret(password), protocols, lang="en",
                               client=ClientAddress(client, 50123) if client else None)
    return owner.start(request).run()


def _auth(report: Report) -> dict[str, Any]:
    return {i: c for i, c in by_id(report).items() if c.check.kind == "auth"}


def test_a_wrong_password_is_logged_and_penalised_on_the_customer_once_per_protocol(
    penalising: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given a Dovecot that trusts this service, and servers set to forward the client address
    # (generous step timeouts: on a busy machine a slow TLS handshake must not pass for a login)
    raw = _raw(penalising, test_ca, dns_server, connect_timeout_s=6, budget_s=20)
    # When a customer at 192.0.2.7 is diagnosed with a wrong password
    report = _diagnose(raw, tmp_path, BRUNO.address, "not-the-password", CUSTOMER)
    auth = _auth(report)
    # Then each protocol tried the password once: one refusal (or a login Dovecot held back,
    # once the other protocols' refusals put the customer in its penalty); the other port
    # was skipped, naming the check that stopped it
    for protocol, refused_code in (("imap", "auth.failed"), ("pop3", "auth.failed"), ("smtp", "smtp.auth_failed")):
        mine = {i: c for i, c in auth.items() if i.startswith(protocol)}
        tried = [i for i, c in mine.items() if c.check.code in (refused_code, "auth.slowed")]
        skipped = [c for c in mine.values() if c.check.code in ("skip.credentials_refused", "skip.login_slowed")]
        assert len(tried) == 1 and len(skipped) == 1, {i: c.check.code for i, c in mine.items()}
        assert skipped[0].check.status is Status.SKIPPED
        assert skipped[0].check.params["blocked_by"] == tried[0]
        assert tried[0] in skipped[0].message and "{" not in skipped[0].message
    assert "auth.failed" in {c.check.code for c in auth.values()}
    # And Dovecot logged our logins as the customer's, never as the service's
    log = penalising.log_text()
    ours = [line for line in log.splitlines() if BRUNO.address in line]
    assert any("auth failed" in line for line in ours), ours
    assert ours and all(f"rip={CUSTOMER}," in line for line in ours), ours
    # And its auth penalty counts the customer, not 127.0.0.1
    penalties = penalising.penalties()
    assert CUSTOMER in penalties and "127.0.0.1" not in penalties
    # And each login check says whether its server took the address
    forwarded = {i: c.check.data.client_address for i, c in auth.items() if c.check.data is not None}
    tried_ids = {i for i in forwarded if not auth[i].check.code.startswith("skip.")}
    by_protocol = {i.split("-")[0]: forwarded[i] for i in tried_ids}
    assert by_protocol == {"imap": "sent", "pop3": "accepted", "smtp": "accepted"}


def test_a_penalised_customer_reads_as_slowed_and_others_log_in_at_once(
    penalising: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given 192.0.2.7 in Dovecot's penalty after wrong passwords (IMAP and POP3 alike)
    raw = _raw(penalising, test_ca, dns_server, connect_timeout_s=1.5, budget_s=8)
    _diagnose(raw, tmp_path, FULL.address, "wrong-again", CUSTOMER)
    assert CUSTOMER in penalising.penalties()
    # When the same customer comes back with the right password
    slowed = _diagnose(raw, tmp_path, ALICE.address, ALICE.password, CUSTOMER)
    # Then the logins that Dovecot held back read as slowed logins, with the remedy, not as network faults
    codes = {i: c.check.code for i, c in _auth(slowed).items()}
    assert "auth.slowed" in codes.values(), codes
    assert "net.timeout" not in {c.check.code for c in slowed.checks}
    held = next(c for c in _auth(slowed).values() if c.check.code == "auth.slowed")
    assert held.check.status is Status.ERROR
    assert "wrong password" in held.message and "fail2ban" in (held.remedy or "")
    # And a customer at another address logs in at once: the penalty is not on the service
    other = _diagnose(raw, tmp_path, ALICE.address, ALICE.password, OTHER_CUSTOMER)
    assert {c.check.code for c in _auth(other).values()} == {"auth.ok", "smtp.auth_ok"}
    assert re.search(rf"Login: user=<{re.escape(ALICE.address)}>.*rip={OTHER_CUSTOMER},", penalising.log_text())


def test_without_an_address_nothing_is_announced(
    penalising: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given forwarding on, but no client address (the CLI without --client-address)
    raw = _raw(penalising, test_ca, dns_server)
    report = _diagnose(raw, tmp_path, ALICE.address, ALICE.password, None)
    # Then the logins work and each says no address was there to forward
    auth = _auth(report)
    assert {c.check.code for c in auth.values()} == {"auth.ok", "smtp.auth_ok"}
    assert {c.check.data.client_address for c in auth.values()} == {"none"}


def test_postfix_takes_the_address_by_xclient_and_its_sasl_counts_the_customer(
    penalising: DovecotServer, postfix: PostfixServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given Postfix submission (STARTTLS) trusting this service for XCLIENT, set to forward
    servers = [{"protocol": "smtp", "hostname": SMTP_HOST, "port": postfix.port, "security": "starttls",
                "forward_client_address": True},
               {"protocol": "imap", "hostname": HOST, "port": penalising.ports["imaps"], "security": "tls"}]
    raw = raw_config(servers, ca=test_ca, knot=dns_server)
    # When a customer at 192.0.2.9 is diagnosed with a wrong password
    report = _diagnose(raw, tmp_path, ALICE.address, "wrong-for-smtp", SMTP_CUSTOMER, (Protocol.SMTP,))
    auth = next(iter(_auth(report).values())).check
    # Then Postfix took the address (XCLIENT after EHLO listed it), and refused the password
    assert (auth.code, auth.data.client_address) == ("smtp.auth_failed", "accepted")
    # And the SASL login Postfix passed on counted the customer in Dovecot's penalty
    assert SMTP_CUSTOMER in penalising.penalties()
    # And with the right password, from another customer, the login works over the same path
    ok = _diagnose(raw, tmp_path, ALICE.address, ALICE.password, OTHER_CUSTOMER, (Protocol.SMTP,))
    auth = next(iter(_auth(ok).values())).check
    assert (auth.code, auth.data.client_address) == ("smtp.auth_ok", "accepted")


def test_the_cli_takes_only_an_ip_as_client_address() -> None:
    result = CliRunner().invoke(main, ["diagnose", "alice@example.test", "--client-address", "mail.example.com"])
    assert result.exit_code == 2
    assert "is not an IPv4 or IPv6 address" in result.output
