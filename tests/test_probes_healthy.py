"""A healthy account on a real Dovecot (IMAP, POP3, submission; TLS and STARTTLS; IPv4
and IPv6) with correct DNS in Knot: every check is ok, and the facts are measured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from autoconfig.diagnose import Diagnostician, Report
from autoconfig.model import Status
from autoconfig.probes.base import Kind
from tests.diagnostics_helpers import (
    by_id,
    diagnose,
    diagnostician,
    dovecot_servers,
    make,
    publish_example_zone,
    raw_config,
)
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, BRUNO, FULL, UNSUBSCRIBED_FOLDER, DovecotServer


@pytest.fixture(scope="module")
def healthy(
    dovecot_healthy: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Diagnostician]:
    config = make(raw_config(dovecot_servers(dovecot_healthy), ca=test_ca, knot=dns_server),
                  Path(tmp_path_factory.mktemp("healthy")))
    publish_example_zone(dns_server, config)
    yield diagnostician(config)


@pytest.fixture(scope="module")
def alice_report(healthy: Diagnostician) -> Report:
    return diagnose(healthy, ALICE.address, ALICE.password)


def test_healthy_account_yields_only_ok(alice_report: Report) -> None:
    # Given a correct server and DNS, When alice is diagnosed with her password
    # (the fixture's domain publishes no autoconfig names: discovery is judged in test_discovery_*)
    not_ok = {c.check.id: c.check.code for c in alice_report.checks
              if c.check.status is not Status.OK and c.check.kind is not Kind.DISCOVERY}
    # Then the only remark is the fixture's deliberately unsubscribed folder
    assert not_ok == {"imap-subscriptions": "imap.unsubscribed_folders"}
    assert UNSUBSCRIBED_FOLDER in by_id(alice_report)["imap-subscriptions"].message
    assert alice_report.status is Status.WARNING


def test_every_configured_server_is_checked_in_a_stable_order(
    alice_report: Report, dovecot_healthy: DovecotServer
) -> None:
    ids = [c.check.id for c in alice_report.checks]
    imaps = dovecot_healthy.ports["imaps"]
    expected_head = [f"imap-{imaps}-tcp-ipv6", f"imap-{imaps}-tcp-ipv4", f"imap-{imaps}-tls",
                     f"imap-{imaps}-greeting", f"imap-{imaps}-auth"]
    first = ids.index(expected_head[0])
    assert ids[first:first + 5] == expected_head
    assert ids[0] == "dns-mx"
    for kind in ("tcp", "tls", "auth", "folders", "quota", "mailbox", "dns"):
        assert any(c.check.kind == kind for c in alice_report.checks), kind
    assert {"imap-folders", "imap-subscriptions", "imap-quota", "pop3-mailbox"} <= set(ids)
    assert len(ids) == len(set(ids))


def test_both_address_families_are_checked_separately(alice_report: Report, dovecot_healthy: DovecotServer) -> None:
    checks = by_id(alice_report)
    port = dovecot_healthy.ports["pop3"]
    v4, v6 = checks[f"pop3-{port}-tcp-ipv4"].check, checks[f"pop3-{port}-tcp-ipv6"].check
    assert (v4.data.ip, v6.data.ip) == ("127.0.0.2", "::1")
    assert v4.code == v6.code == "net.ok"


def test_tls_facts_are_reported(alice_report: Report, dovecot_healthy: DovecotServer) -> None:
    tls = by_id(alice_report)[f"imap-{dovecot_healthy.ports['imap']}-tls"].check
    assert tls.data.starttls and tls.data.verified
    assert tls.data.tls_version in ("TLSv1.2", "TLSv1.3")
    assert tls.data.days_left > 21 and "mail.example.test" in tls.data.names


def test_folders_quota_and_pop3_mailbox_are_measured(alice_report: Report) -> None:
    checks = by_id(alice_report)
    folders = checks["imap-folders"].check.data
    assert dict(folders.special_use) == {"Sent": "Sent", "Drafts": "Drafts", "Trash": "Trash", "Junk": "Junk"}
    assert folders.inbox_messages == ALICE.inbox_count
    assert folders.unseen == ALICE.inbox_unseen
    assert checks["imap-quota"].check.code == "imap.quota_ok"
    mailbox = checks["pop3-mailbox"].check.data
    assert mailbox.messages == ALICE.inbox_count and mailbox.uidl and mailbox.size_bytes > 0


def test_dns_records_that_are_right_are_ok(alice_report: Report) -> None:
    dns_codes = {c.check.id: c.check.code for c in alice_report.checks if c.check.kind == "dns"}
    assert dns_codes["dns-mx"] == "dns.mx_ok"
    assert dns_codes["dns-srv-imaps"] == "dns.srv_ok"
    assert dns_codes["dns-autoconfig"] == "dns.autoconfig_ok"


def test_messages_and_remedies_in_the_request_language(healthy: Diagnostician) -> None:
    report = diagnose(healthy, ALICE.address, ALICE.password, protocols=["imap"], lang="it")
    subs = by_id(report)["imap-subscriptions"]
    assert "non è sottoscritta" in subs.message and "Progetti" in subs.message and subs.remedy  # one folder: singular
    assert all(c.check.protocol in (None, "imap") for c in report.checks)


def test_non_ascii_password_logs_in_everywhere(healthy: Diagnostician) -> None:
    # bruno's password is "pässwörd-Ünïcode-€": only SASL PLAIN in UTF-8 carries it
    report = diagnose(healthy, BRUNO.address, BRUNO.password)
    auth = {c.check.id: c.check.code for c in report.checks if c.check.kind == "auth"}
    assert len(auth) == 6
    assert set(auth.values()) == {"auth.ok", "smtp.auth_ok"}


def test_nearly_full_mailbox_is_a_warning_with_the_percentage(healthy: Diagnostician) -> None:
    report = diagnose(healthy, FULL.address, FULL.password, protocols=["imap"])
    quota = by_id(report)["imap-quota"]
    assert quota.check.code == "imap.quota_high" and quota.check.status is Status.WARNING
    assert 94 <= quota.check.data.percent <= 96
    assert "95" in quota.message
    assert report.recommendation is not None
    assert any(c.code == "advice.caution.imap_quota_high" for c in report.recommendation.cautions)


def test_without_password_login_folders_and_quota_are_skipped(healthy: Diagnostician) -> None:
    report = diagnose(healthy, ALICE.address)
    checks = by_id(report)
    auth = [c.check for c in report.checks if c.check.kind == "auth"]
    assert {a.code for a in auth} == {"auth.skipped"} and {a.status for a in auth} == {Status.SKIPPED}
    for check_id in ("imap-folders", "imap-quota", "pop3-mailbox"):
        assert checks[check_id].check.status is Status.SKIPPED
        assert checks[check_id].check.code == "skip.no_password"


def test_wrong_password_is_auth_failed_by_response_code(healthy: Diagnostician) -> None:
    report = diagnose(healthy, ALICE.address, "not-her-password", protocols=["imap", "smtp"])
    auth = [c.check.code for c in report.checks if c.check.kind == "auth"]
    # One refusal per protocol; the other ports do not try the same password again
    assert set(auth) == {"auth.failed", "skip.credentials_refused", "smtp.auth_failed"}
    assert auth.count("auth.failed") == 1 and auth.count("smtp.auth_failed") == 1
    assert by_id(report)["imap-folders"].check.code == "skip.no_login"
