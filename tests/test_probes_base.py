"""Pure parts of the probes: the one exception table, the response-code classifiers, the
TLS/quota/folder judges, the deadline and the Secret wrapper."""

from __future__ import annotations

import datetime as dt
import imaplib
import logging
import pickle
import poplib
import smtplib
import ssl
import time

import dns.exception
import dns.resolver
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from imapclient.exceptions import LoginError

from autoconfig.model import Secret, Status
from autoconfig.probes.base import BudgetExhausted, Deadline, Step, failure_for
from autoconfig.probes.clients import UnexpectedReply
from autoconfig.probes.folders import Folder, analyse
from autoconfig.probes.login import classify_imap, classify_pop3
from autoconfig.probes.quota import judge as judge_quota
from autoconfig.probes.quota import measure
from autoconfig.probes.submission import classify_smtp
from autoconfig.probes.tls import TlsDetails, certificate_facts
from autoconfig.probes.tls import judge as judge_tls
from tests.support.ca import TestCA


def _verify_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    exc = ssl.SSLCertVerificationError(1, f"certificate verify failed: {message}")
    exc.verify_code = code
    exc.verify_message = message
    return exc


@pytest.mark.parametrize(
    ("exc", "step", "code"),
    [
        (_verify_error(10, "certificate has expired"), Step.TLS_HANDSHAKE, "tls.expired"),
        (_verify_error(9, "certificate is not yet valid"), Step.STARTTLS, "tls.not_yet_valid"),
        (_verify_error(62, "Hostname mismatch"), Step.TLS_HANDSHAKE, "tls.hostname_mismatch"),
        (_verify_error(18, "self-signed certificate"), Step.TLS_HANDSHAKE, "tls.untrusted"),
        (_verify_error(20, "unable to get local issuer certificate"), Step.STARTTLS, "tls.untrusted"),
        (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), Step.TLS_HANDSHAKE,
         "tls.handshake_failed"),
        (TimeoutError("timed out"), Step.GREETING, "net.timeout"),
        (TimeoutError("timed out"), Step.LOGIN, "net.timeout"),
        (ConnectionRefusedError(111, "refused"), Step.CONNECT, "net.refused"),
        (ConnectionResetError(104, "reset"), Step.LIST, "net.connection_lost"),
        (OSError(113, "No route to host"), Step.CONNECT, "net.unreachable"),
        (imaplib.IMAP4.error("* BYE go away"), Step.GREETING, "proto.bad_greeting"),
        (imaplib.IMAP4.abort("unexpected response: b'HTTP/1.0 400'"), Step.GREETING, "proto.bad_greeting"),
        (poplib.error_proto(b"-ERR unknown"), Step.STAT, "proto.unexpected_reply"),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), Step.CAPABILITIES,
         "net.connection_lost"),
        (smtplib.SMTPResponseException(500, b"Line too long."), Step.GREETING, "proto.bad_greeting"),
        (UnexpectedReply("HTTP/1.0 400 garbage"), Step.GREETING, "proto.bad_greeting"),
        (LoginError("[UNAVAILABLE] try later"), Step.QUOTA, "proto.unexpected_reply"),
        (dns.resolver.NXDOMAIN(), Step.RESOLVE, "net.resolve_failed"),
        (dns.resolver.NoAnswer(), Step.RESOLVE, "net.resolve_failed"),
        (dns.exception.Timeout(), Step.RESOLVE, "net.resolve_failed"),
        (BudgetExhausted(Step.LOGIN), Step.LOGIN, "diag.cut_short"),
    ],
)
def test_exception_table(exc: BaseException, step: Step, code: str) -> None:
    failure = failure_for(exc, step)
    assert failure.code == code and failure.status is Status.ERROR and not failure.internal


def test_a_wrapped_timeout_is_still_a_timeout() -> None:
    # smtplib turns a socket timeout into SMTPServerDisconnected; the cause says what it was
    try:
        try:
            raise TimeoutError("timed out")
        except TimeoutError as inner:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed: timed out") from inner
    except smtplib.SMTPServerDisconnected as exc:
        assert failure_for(exc, Step.GREETING).code == "net.timeout"


def test_a_bug_of_ours_is_internal_and_logged_with_its_traceback(caplog: pytest.LogCaptureFixture) -> None:
    try:
        {}["missing"]
    except KeyError as exc:
        with caplog.at_level(logging.ERROR, logger="autoconfig.probes"):
            failure = failure_for(exc, Step.LIST)
    assert failure.code == "diag.internal_error" and failure.internal
    assert caplog.records and caplog.records[0].exc_info is not None


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("[AUTHENTICATIONFAILED] Authentication failed.", "auth.failed"),
        ("b'[AUTHENTICATIONFAILED] Falsches Passwort'", "auth.failed"),
        ("[PRIVACYREQUIRED] Plaintext authentication disallowed", "auth.plaintext_refused"),
        ("[UNAVAILABLE] Temporary authentication failure. [mail:2026-11-28]", "auth.unavailable"),
        ("[CONTACTADMIN] Account locked", "auth.disabled"),
        ("[EXPIRED] Password expired", "auth.disabled"),
        ("[LIMIT] Maximum number of connections from user+IP exceeded", "auth.too_many_connections"),
        ("Login failed", "auth.failed"),
    ],
)
def test_imap_login_replies_are_judged_by_response_code(reply: str, code: str) -> None:
    assert classify_imap(reply) == code


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("-ERR [AUTH] Authentication failed.", "auth.failed"),
        ("-ERR [SYS/TEMP] Temporary failure", "auth.unavailable"),
        ("-ERR [SYS/PERM] Account disabled", "auth.disabled"),
        ("-ERR [IN-USE] Maximum number of connections", "auth.too_many_connections"),
        ("-ERR [LOGIN-DELAY] wait", "auth.too_many_connections"),
        ("-ERR Authentication failed", "auth.failed"),
    ],
)
def test_pop3_login_replies_are_judged_by_response_code(reply: str, code: str) -> None:
    assert classify_pop3(reply) == code


@pytest.mark.parametrize(
    ("code", "reply", "expected"),
    [
        (535, "535 5.7.8 Authentication failed", "smtp.auth_failed"),
        (454, "454 4.7.0 Temporary authentication failure", "auth.unavailable"),
        (530, "530 5.7.0 Must issue a STARTTLS command first", "auth.plaintext_refused"),
        (538, "538 5.7.11 Encryption required", "auth.plaintext_refused"),
        (534, "534 5.7.9 Authentication mechanism is too weak", "auth.plaintext_refused"),
        (432, "432 4.7.12 A password transition is needed", "auth.disabled"),
        (421, "421 4.7.0 Too many connections", "auth.too_many_connections"),
        (554, "554 5.7.1 Account disabled", "auth.disabled"),
    ],
)
def test_smtp_auth_replies_are_judged_by_their_codes(code: int, reply: str, expected: str) -> None:
    assert classify_smtp(reply, code) == expected


@pytest.mark.parametrize(
    ("version", "days", "code", "status"),
    [
        ("TLSv1.3", 80, "tls.ok", Status.OK),
        ("TLSv1.2", 20, "tls.expiring_soon", Status.WARNING),
        ("TLSv1", 200, "tls.weak_protocol", Status.ERROR),
        ("TLSv1.1", 200, "tls.weak_protocol", Status.ERROR),
    ],
)
def test_tls_judge(version: str, days: int, code: str, status: Status) -> None:
    verdict = judge_tls(TlsDetails(tls_version=version, days_left=days, not_after="2027-01-01T00:00:00"), 21)
    assert verdict[:2] == (status, code)


@pytest.mark.parametrize(
    ("usage", "limit", "code"),
    [(10, 100, "imap.quota_ok"), (91, 100, "imap.quota_high"), (99, 100, "imap.quota_full"),
     (100, 100, "imap.quota_full")],
)
def test_quota_thresholds(usage: int, limit: int, code: str) -> None:
    details = measure("User quota", [("STORAGE", usage, limit)])
    assert judge_quota(details, 90)[1] == code


def test_quota_takes_the_fullest_resource_and_knows_no_limit() -> None:
    details = measure("q", [("STORAGE", 10, 100), ("MESSAGE", 95, 100)])
    assert details.percent == 95 and details.storage_limit_bytes == 100 * 1024
    assert judge_quota(measure("q", []), 90)[1] == "imap.quota_unlimited"


def test_folder_analysis_finds_missing_roles_by_name_and_hidden_folders() -> None:
    folders = [
        Folder("INBOX", None, True, True, 3, 1),
        Folder("Posta inviata", None, True, True, 5, 0),
        Folder("Drafts", "Drafts", True, True),
        Folder("Archivio", None, False, True, 7, 0),
        Folder("Vecchio", None, False, False),  # \Noselect: nothing to show
    ]
    details = analyse(folders, 3)
    assert details.missing == ("Sent", "Trash", "Junk")
    assert details.by_name == (("Sent", "Posta inviata"),)
    assert details.unsubscribed == ("Archivio",)
    assert details.messages == 15 and details.custom_folders == 2


def test_a_certificate_seen_again_counts_its_days_left_from_now(test_ca: TestCA) -> None:
    # Given a certificate that expires in 90 days, read once (the watch sees it every round)
    issued = test_ca.issue(["mail.example.test"], not_after=dt.datetime.now(dt.UTC) + dt.timedelta(days=90))
    der = x509.load_pem_x509_certificates(issued.cert_path.read_bytes())[0].public_bytes(Encoding.DER)
    now = dt.datetime.now(dt.UTC)
    first = certificate_facts(der, now)
    # When it is read again 80 days later
    later = certificate_facts(der, now + dt.timedelta(days=80))
    # Then it says 10 days left, not the 89 it said the first time, and the rest is the same
    assert (first.days_left, later.days_left) == (89, 9)
    assert (later.subject, later.names, later.not_after, later.fingerprint) == \
        (first.subject, first.names, first.not_after, first.fingerprint)


def test_deadline_cuts_step_timeouts() -> None:
    now = [100.0]
    deadline = Deadline(2.0, clock=lambda: now[0])
    assert deadline.timeout(5.0) == 2.0
    now[0] = 101.5
    assert deadline.timeout(5.0) == pytest.approx(0.5) and not deadline.expired
    now[0] = 102.0
    assert deadline.expired and deadline.timeout(5.0) == 0.0


def test_secret_never_shows_itself() -> None:
    secret = Secret("hunter2-MARKER")
    for text in (repr(secret), str(secret), f"{secret}", f"{secret!r}", format(secret, ""), repr([secret])):
        assert "MARKER" not in text
    assert secret.reveal() == "hunter2-MARKER"
    with pytest.raises(TypeError):
        pickle.dumps(secret)


def test_deadline_uses_real_time_by_default() -> None:
    deadline = Deadline(0.05)
    time.sleep(0.06)
    assert deadline.expired
