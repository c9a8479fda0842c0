"""What sync depends on: the IMAP capabilities clients sync with (and `imap.no_push` without
IDLE), the POP3 mailbox's count, size and UIDL, and how long a first full download takes
at the customer's connectivity, in Italian and English."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from autoconfig.advice import Answers, Facts, first_download, recommend
from autoconfig.diagnose import DiagnosisRequest, Diagnostician
from autoconfig.model import Protocol, Secret, Status
from autoconfig.recommendation import explain
from tests.diagnostics_helpers import by_id, diagnostician, dovecot_servers, make, raw_config
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, DovecotServer, DovecotSpec
from tests.support.fixtures import serve_dovecots

HOST = "mail.sync.test"
IP = "127.0.0.143"
NO_IDLE_HOST = "noidle.sync.test"
NO_IDLE_IP = "127.0.0.142"
# What a server without push offers after login (Dovecot's own list minus IDLE and friends).
NO_IDLE_CAPABILITIES = "IMAP4rev1 LITERAL+ SASL-IR NAMESPACE UIDPLUS SPECIAL-USE QUOTA"


@pytest.fixture(scope="module")
def sync_servers(test_ca: TestCA, dns_server: KnotServer) -> Iterator[tuple[DovecotServer, DovecotServer]]:
    """Dovecot as it comes, and one whose capabilities after login lack IDLE and friends."""
    specs = {
        "plain": DovecotSpec(name="sync", listen=(IP,), hostname=HOST, cert=test_ca.issue([HOST, IP])),
        "no_idle": DovecotSpec(name="no-idle", listen=(NO_IDLE_IP,), hostname=NO_IDLE_HOST,
                               cert=test_ca.issue([NO_IDLE_HOST, NO_IDLE_IP]), imap_capability=NO_IDLE_CAPABILITIES),
    }
    dns_server.set_zone("sync.test", f"mail A {IP}\nnoidle A {NO_IDLE_IP}\n")
    for servers in serve_dovecots("Dovecot (sync facts)", specs):
        yield servers["plain"], servers["no_idle"]


def _owner(server: DovecotServer, host: str, test_ca: TestCA, dns_server: KnotServer, tmp: Path) -> Diagnostician:
    return diagnostician(make(raw_config(dovecot_servers(server, host), ca=test_ca, knot=dns_server), tmp))


def test_the_report_shows_what_sync_depends_on(
    sync_servers: tuple[DovecotServer, DovecotServer], test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given Dovecot, which offers push and the rest
    owner = _owner(sync_servers[0], HOST, test_ca, dns_server, tmp_path)
    # When Alice's account is diagnosed, in English, on a metered connection
    request = DiagnosisRequest(ALICE.address, Secret(ALICE.password), lang="en",
                               answers=Answers(connectivity="metered"))
    report = owner.start(request).run()
    checks = by_id(report)
    # Then the sync check lists every capability clients sync with
    sync = checks["imap-sync"].check
    assert (sync.status, sync.code) == (Status.OK, "imap.sync_ok")
    assert all(getattr(sync.data, name) for name in
               ("idle", "condstore", "qresync", "uidplus", "move", "special_use", "namespace"))
    assert checks["imap-folders"].check.data.sync == sync.data
    # And the POP3 mailbox check has the count, the size and whether messages can stay on the server
    mailbox = checks["pop3-mailbox"].check.data
    assert mailbox.messages == ALICE.inbox_count and mailbox.size_bytes > 0 and mailbox.uidl is True
    # And the recommendation says how long the first download takes on her connection
    download = report.recommendation.first_download
    assert download is not None and download.code == "advice.download.metered"
    assert download.text.startswith("The first full download (the headers of ")
    assert download.text.endswith("takes less than a minute on a metered connection.")


def test_without_idle_new_mail_shows_late(
    sync_servers: tuple[DovecotServer, DovecotServer], test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given a server whose capabilities after login lack IDLE, CONDSTORE, QRESYNC and MOVE
    owner = _owner(sync_servers[1], NO_IDLE_HOST, test_ca, dns_server, tmp_path)
    # When the account is diagnosed in Italian
    report = owner.start(DiagnosisRequest(ALICE.address, Secret(ALICE.password), (Protocol.IMAP,), "it")).run()
    sync = by_id(report)["imap-sync"]
    # Then it is a warning that new mail shows up late, with what the server does offer
    assert (sync.check.status, sync.check.code) == (Status.WARNING, "imap.no_push")
    assert sync.check.data.idle is False and sync.check.data.uidplus is True
    assert "IDLE" in sync.message and "ritardo" in sync.message and "UIDPLUS, SPECIAL-USE, NAMESPACE" in sync.message
    assert sync.check.data.missing == ("IDLE", "CONDSTORE", "QRESYNC", "MOVE")


@pytest.mark.parametrize(
    ("protocol", "facts", "connectivity", "lang", "expected"),
    [
        # 1.2 GB by POP3 at a metered 4 Mbit/s: 40 minutes
        (Protocol.POP3, Facts(pop3_mailbox_bytes=1_200_000_000, pop3_messages=9000), "metered", "en",
         "The first full download (9000 whole messages, 1144 MB) takes about 40 minutes on a metered connection."),
        (Protocol.POP3, Facts(pop3_mailbox_bytes=1_200_000_000, pop3_messages=9000), "metered", "it",
         "Il primo scaricamento completo (9000 messaggi interi, 1144 MB) richiede circa 40 minuti con una "
         "connessione a consumo."),
        # the same mailbox by IMAP: headers only
        (Protocol.IMAP, Facts(imap_messages=9000, quota_used_bytes=1_200_000_000), "metered", "en",
         "The first full download (the headers of 9000 messages) takes about 2 minutes on a metered connection."),
        # a slow line, POP3 measured by IMAP quota only: hours
        (Protocol.POP3, Facts(quota_used_bytes=2_000_000_000, imap_messages=100), "poor", "it",
         "Il primo scaricamento completo (100 messaggi interi, 1907 MB) richiede circa 4 ore con una "
         "connessione lenta."),
        # not answered: a good connection is assumed
        (Protocol.IMAP, Facts(imap_messages=10), None, "en",
         "The first full download (the headers of 10 messages) takes less than a minute on a good connection."),
    ],
)
def test_first_download_estimate_in_words(
    protocol: Protocol, facts: Facts, connectivity: str | None, lang: str, expected: str
) -> None:
    answers = Answers(connectivity=connectivity, devices=1, offline_access=protocol is Protocol.POP3)  # type: ignore[arg-type]
    advice = recommend(answers, facts)
    assert advice.protocol is protocol
    recommendation = explain(advice, lang, None)
    assert recommendation.first_download is not None
    assert recommendation.first_download.text == expected


def test_no_measurement_no_estimate() -> None:
    assert first_download(Protocol.IMAP, Answers(), Facts()) is None
    assert explain(recommend(Answers(devices=2)), "en", None).first_download is None
