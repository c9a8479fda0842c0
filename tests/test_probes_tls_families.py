"""TLS on both address families: a host whose A and AAAA records lead to servers with
different certificates (an AAAA left pointing at an old machine) is reported, naming the
family and what is wrong there; a host with the same certificate on both stays ok.

Real Dovecots on 127.0.0.x and ::1 (one instance per host, a certificate per listen
address), names in a Knot zone, certificates from the test CA."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autoconfig.diagnose import Report
from autoconfig.model import Status
from autoconfig.probes.tls import AddressTls, compare
from tests.diagnostics_helpers import address_records, by_id, diagnose, dovecot_servers, make, raw_config
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, SPLIT_ADDRESSES, DovecotServer, split_records, split_specs
from tests.support.fixtures import serve_dovecots

ZONE = "families.test"
TLS_SERVICES = ("imaps", "imap", "pop3s", "pop3", "submissions", "submission")
PROTOCOL_OF = {"imaps": "imap", "imap": "imap", "pop3s": "pop3", "pop3": "pop3",
               "submissions": "smtp", "submission": "smtp"}


@pytest.fixture(scope="module")
def split_hosts(test_ca: TestCA, dns_server: KnotServer) -> Iterator[dict[str, DovecotServer]]:
    """The split Dovecots, booted together, and their zone; fails loudly, never skips."""
    for servers in serve_dovecots("Dovecot (split instances)", split_specs(test_ca)):
        dns_server.set_zone(ZONE, split_records())
        yield servers
        dns_server.remove_zone(ZONE)


def _diagnose(instance: DovecotServer, hostname: str, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path,
              lang: str = "en") -> Report:
    raw = raw_config(dovecot_servers(instance, hostname), ca=test_ca, knot=dns_server)
    return diagnose(make(raw, tmp_path), ALICE.address, ALICE.password, lang=lang)


def _tls_checks(report: Report, instance: DovecotServer) -> dict[str, Any]:
    checks = by_id(report)
    return {svc: checks[f"{PROTOCOL_OF[svc]}-{instance.ports[svc]}-tls"] for svc in TLS_SERVICES}


def _split(name: str, split_hosts: dict[str, DovecotServer]) -> tuple[DovecotServer, str, str]:
    ip, hostname, _family, _how = SPLIT_ADDRESSES[name]
    return split_hosts[name], hostname, ip


def test_same_certificate_on_both_families_stays_ok(dovecot_healthy: DovecotServer, test_ca: TestCA,
                                                     dns_server: KnotServer, tmp_path: Path) -> None:
    # Given the healthy server: one certificate on 127.0.0.2 and on ::1
    dns_server.set_zone("example.test", "@ MX 10 mail\n" + address_records())
    # When the account is diagnosed
    report = _diagnose(dovecot_healthy, "mail.example.test", test_ca, dns_server, tmp_path)
    # Then every TLS check is fine, and says it saw the same certificate on both addresses
    for svc, check in _tls_checks(report, dovecot_healthy).items():
        assert (check.check.status, check.check.code) == (Status.OK, "tls.ok"), (svc, check.message)
        addresses = check.check.data.addresses
        assert [(a.family, a.ip, a.verified) for a in addresses] == [("ipv6", "::1", True),
                                                                     ("ipv4", "127.0.0.2", True)]
        assert addresses[0].fingerprint == addresses[1].fingerprint
    assert not [c.check.id for c in report.checks if c.check.status is Status.ERROR]


def test_expired_certificate_on_ipv4_only_is_an_error_naming_ipv4(
    split_hosts: dict[str, DovecotServer], test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given a host whose IPv6 address has a valid certificate and whose IPv4 one an expired one
    instance, hostname, ip = _split("ipv4_expired", split_hosts)
    # When the account is diagnosed (the session prefers IPv6, where all is well)
    report = _diagnose(instance, hostname, test_ca, dns_server, tmp_path)
    # Then every TLS check (implicit and STARTTLS) names IPv4, its address and the expiry
    for svc, check in _tls_checks(report, instance).items():
        c = check.check
        assert (c.status, c.code) == (Status.ERROR, "tls.family_failed"), (svc, c.code, check.message)
        assert c.params["family"] == "IPv4" and c.params["other_family"] == "IPv6"
        assert f"Over IPv4 ({ip})" in check.message and "expired" in check.message
        assert f"A record of {hostname}" in check.remedy
        this, other = c.data.addresses
        assert (this.family, this.verified) == ("ipv6", True)
        assert (other.family, other.ip, other.verified, other.code) == ("ipv4", ip, False, "tls.expired")
        assert other.fingerprint and other.fingerprint != this.fingerprint
    # And the session went on over IPv6: the login worked there
    auth = {c.check.id: c.check.code for c in report.checks if c.check.kind == "auth"}
    assert set(auth.values()) == {"auth.ok", "smtp.auth_ok"}, auth
    assert report.status is Status.ERROR


def test_expired_certificate_on_ipv6_only_is_an_error_naming_ipv6(
    split_hosts: dict[str, DovecotServer], test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given the real-world case: the AAAA leads to a server with an expired certificate
    instance, hostname, ip = _split("ipv6_expired", split_hosts)
    # When diagnosed in Italian
    report = _diagnose(instance, hostname, test_ca, dns_server, tmp_path, lang="it")
    # Then TLS names IPv6 as the family that fails, and says IPv4 works
    for svc, check in _tls_checks(report, instance).items():
        c = check.check
        assert (c.status, c.code) == (Status.ERROR, "tls.family_failed"), (svc, c.code, check.message)
        assert "Via IPv6 (::1)" in check.message and f"via IPv4 ({ip}) funziona" in check.message
        assert f"record AAAA di {hostname}" in check.remedy
        assert c.params["cause"] == "tls.expired"
        assert [a.verified for a in c.data.addresses] == [False, True]
    # And no password went over the connection whose certificate failed
    checks = by_id(report)
    port = instance.ports["imaps"]
    assert checks[f"imap-{port}-greeting"].check.code == "skip.tls_failed"
    assert checks[f"imap-{instance.ports['imap']}-auth"].check.code == "auth.not_attempted_insecure"
    assert "Login: user=<" not in instance.log_text()


def test_different_valid_certificate_on_ipv4_is_a_warning(
    split_hosts: dict[str, DovecotServer], test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given a host presenting two different certificates, both valid, on IPv4 and IPv6
    instance, hostname, ip = _split("ipv4_other", split_hosts)
    # When diagnosed
    report = _diagnose(instance, hostname, test_ca, dns_server, tmp_path)
    # Then TLS warns that the addresses differ (clients still connect), naming IPv4
    for svc, check in _tls_checks(report, instance).items():
        c = check.check
        assert (c.status, c.code) == (Status.WARNING, "tls.family_mismatch"), (svc, c.code, check.message)
        assert f"different certificate over IPv4 ({ip}) than over IPv6 (::1)" in check.message
        assert c.params["not_after"] in check.message and check.remedy
        this, other = c.data.addresses
        assert this.verified and other.verified and this.fingerprint != other.fingerprint
    assert {c.check.code for c in report.checks if c.check.kind == "auth"} == {"auth.ok", "smtp.auth_ok"}
    assert report.status is Status.WARNING


def test_other_family_not_checked_in_time_is_not_blamed_on_the_server() -> None:
    # Given a verified handshake, and the other family's cut short by the budget
    this = AddressTls("ipv6", "::1", True, fingerprint="AA")
    cut = AddressTls("ipv4", "192.0.2.1", False, code="diag.cut_short", reason="tls_handshake")
    # Then the families are not said to disagree (the check keeps its own verdict)
    assert compare(this, cut) is None
    # While a real failure there is an error naming that family
    bad = AddressTls("ipv4", "192.0.2.1", False, code="tls.untrusted", reason="self-signed certificate")
    verdict = compare(this, bad)
    assert verdict is not None and verdict[:2] == (Status.ERROR, "tls.family_failed")
    assert verdict[2]["family"] == "IPv4" and verdict[2]["record"] == "A"
