"""A look-alike domain must not collect a customer's password (issue 16, item 1).

The attack: with `mail.%EMAILDOMAIN%` and MX matching, someone registers a domain whose MX
points at the hoster's MX, and points `mail.<that domain>` at a server of their own with a
valid certificate. A diagnosis of `alice@<that domain>` would then log in there. The
provider's `login_networks` say where its own mailboxes are; a templated host elsewhere is
checked but gets no password (`auth.not_attempted_foreign_host`).

Real Dovecot on 127.0.0.41 plays the attacker's server (a trusted certificate for the
look-alike names); its own log is the witness of every login attempt."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from autoconfig.model import Status
from tests.diagnostics_helpers import HOST, by_id, diagnose, dovecot_servers, make, raw_config
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, DovecotServer, DovecotSpec
from tests.support.fixtures import serve_dovecots

LOOKALIKE = "examp1e.test"  # the attacker's domain
CUSTOMER = "customer.test"  # a real customer domain whose mail host sits in our network
FOREIGN_IP = "127.0.0.41"
TEMPLATED = "mail.%EMAILDOMAIN%"


@pytest.fixture(scope="module")
def foreign_dovecot(test_ca: TestCA, dns_server: KnotServer) -> Iterator[DovecotServer]:
    """A Dovecot with a valid certificate for both names, and the two zones: MX at our host."""
    names = [f"mail.{LOOKALIKE}", f"mail.{CUSTOMER}"]
    spec = DovecotSpec(name="lookalike", listen=(FOREIGN_IP,), hostname=names[0], cert=test_ca.issue(names))
    for servers in serve_dovecots("Dovecot (look-alike host)", {"lookalike": spec}):
        for domain in (LOOKALIKE, CUSTOMER):
            dns_server.set_zone(domain, f"@ MX 10 {HOST}.\nmail A {FOREIGN_IP}\n")
        yield servers["lookalike"]
        for domain in (LOOKALIKE, CUSTOMER):
            dns_server.remove_zone(domain)


def _config(instance: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path,
            login_networks: list[str] | None) -> object:
    raw = raw_config(dovecot_servers(instance, TEMPLATED), ca=test_ca, knot=dns_server, domains=["example.test"])
    provider = raw["provider"][0]
    provider["username"] = "%EMAILLOCALPART%@example.test"  # one mailbox, reached from any domain
    if login_networks is not None:
        provider["login_networks"] = login_networks
    return make(raw, tmp_path)


def _logins(instance: DovecotServer, since: int) -> list[str]:
    """The log lines that name a user (a login, or a failed attempt) written after offset `since`."""
    text = instance.log_path.read_text(encoding="utf-8", errors="replace")[since:]
    return [line for line in text.splitlines() if re.search(r"user=<[^>]|Login:", line)]


def _log_size(instance: DovecotServer) -> int:
    return len(instance.log_path.read_text(encoding="utf-8", errors="replace"))


@pytest.mark.parametrize("login_networks", [None, ["127.0.0.2/32", "2001:db8::/32"]],
                         ids=["no login_networks", "elsewhere"])
def test_a_lookalike_domain_gets_no_password(foreign_dovecot: DovecotServer, test_ca: TestCA,
                                             dns_server: KnotServer, tmp_path: Path,
                                             login_networks: list[str] | None) -> None:
    # Given the attacker's server outside the provider's login networks (or none configured)
    config = _config(foreign_dovecot, test_ca, dns_server, tmp_path, login_networks)
    since = _log_size(foreign_dovecot)
    # When the customer is sent to diagnose alice@<look-alike> and types the real password
    report = diagnose(config, f"alice@{LOOKALIKE}", ALICE.password)
    checks = by_id(report)
    # Then no login reached that server: its own log shows none
    assert _logins(foreign_dovecot, since) == []
    auth = {i: c for i, c in checks.items() if i.endswith("-auth")}
    assert len(auth) == 6
    for check_id, check in auth.items():
        assert (check.check.status, check.check.code) == (Status.SKIPPED, "auth.not_attempted_foreign_host"), check_id
        assert FOREIGN_IP in check.message and f"mail.{LOOKALIKE}" in check.message
        assert check.remedy
    # and everything else was still checked: TCP and TLS fine, the server answered
    for check_id, check in checks.items():
        if check_id.endswith(("-tls", "-greeting", "-tcp-ipv4")):
            assert check.check.status is Status.OK, (check_id, check.message)


def test_italian_words_for_the_foreign_host(foreign_dovecot: DovecotServer, test_ca: TestCA,
                                           dns_server: KnotServer, tmp_path: Path) -> None:
    config = _config(foreign_dovecot, test_ca, dns_server, tmp_path, None)
    report = diagnose(config, f"alice@{LOOKALIKE}", ALICE.password, protocols=["imap"], lang="it")
    auth = [c for c in report.checks if c.check.id.endswith("-auth")]
    assert auth and all("La password non è stata inviata" in c.message for c in auth)


def test_a_templated_host_inside_the_login_networks_gets_a_normal_login(
    foreign_dovecot: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given the same server, now inside the provider's login networks (its mailbox host)
    config = _config(foreign_dovecot, test_ca, dns_server, tmp_path, ["127.0.0.40/29"])
    since = _log_size(foreign_dovecot)
    # When a customer of a domain served by MX diagnoses their account
    report = diagnose(config, f"alice@{CUSTOMER}", ALICE.password, protocols=["imap"])
    # Then the login is tried and works, and Dovecot logged it, from the address checked
    codes = {c.check.id: c.check.code for c in report.checks if c.check.id.endswith("-auth")}
    assert set(codes.values()) == {"auth.ok"}, codes
    logins = [line for line in _logins(foreign_dovecot, since) if "Login: user=<alice@example.test>" in line]
    assert logins and all(f"lip={FOREIGN_IP}" in line for line in logins)
