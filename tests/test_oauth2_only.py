"""A mail server that takes only OAuth2 tokens: a real Dovecot with `auth_mechanisms = oauthbearer
xoauth2`. The diagnosis logs in with the password methods only, and says `auth.oauth2_only`
instead of a wrong password or a disabled account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from autoconfig.messages import words
from autoconfig.model import Status
from tests.diagnostics_helpers import address_records, diagnose, dovecot_servers, make, raw_config
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, DovecotServer, DovecotSpec

IP, HOST = "127.0.0.51", "oauth.example.test"


@pytest.fixture(scope="module")
def oauth2_dovecot(test_ca: TestCA) -> Iterator[DovecotServer]:
    spec = DovecotSpec(name="oauth2-only", listen=(IP,), hostname=HOST, cert=test_ca.issue([HOST, IP]),
                       auth_mechanisms="oauthbearer xoauth2")
    with DovecotServer(spec) as server:
        yield server


def test_a_server_that_takes_only_oauth2_gets_auth_oauth2_only(
    oauth2_dovecot: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given the account's servers accept only OAUTHBEARER and XOAUTH2
    dns_server.set_zone("example.test", "@ MX 10 mail\n" + address_records() + f"\noauth A {IP}")
    servers = [s for s in dovecot_servers(oauth2_dovecot, HOST) if s["security"] == "tls"]
    # When the helpdesk diagnoses it with the customer's password
    report = diagnose(make(raw_config(servers, ca=test_ca, knot=dns_server), tmp_path), ALICE.address,
                      ALICE.password)
    # Then each login check, IMAP, POP3 and SMTP, says the server wants OAuth2, not that the password is wrong
    logins = {c.check.id: c for c in report.checks if c.check.id.endswith("-auth")}
    assert logins, [c.check.id for c in report.checks]
    for check in logins.values():
        assert (check.check.status, check.check.code) == (Status.ERROR, "auth.oauth2_only"), check.check.id
        assert "OAUTHBEARER" in check.message and "OAuth2" in check.message
        assert check.remedy and "PLAIN" in check.remedy
    assert {i.split("-")[0] for i in logins} == {"imap", "pop3", "smtp"}
    # And the words exist in both languages
    assert "solo l'accesso con OAuth2" in words("auth.oauth2_only", "it", {"host": HOST, "mechanisms": "X"}).message
