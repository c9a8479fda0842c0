"""Finished words: every outcome code rendered in every language with every data shape the
probes produce for it. A message fails on a `{field}` left unfilled, an exception class name
("(OSError)"), or a library's English sentence inside Italian; the library's detail stays in
the check's parameters for staff, the words say something plain.

The shapes come from the code that makes them: the exception table swept over every
exception kind and step, the skip reasons of `Session.blocker`, the pure judges (quota,
folders, sync, TLS failure parameters), and, where a probe builds its parameters inline
(login, runner, greeting, TCP, DNS), the table below, which mirrors those call sites.
"""

from __future__ import annotations

import errno
import imaplib
import itertools
import poplib
import re
import smtplib
import socket
import ssl
import string
from collections.abc import Iterator, Mapping
from pathlib import Path

import dns.exception
import dns.resolver
import pytest

from autoconfig.messages import CATALOGUE, LANGUAGES, REASON_WORDS, words
from autoconfig.model import Protocol, Security
from autoconfig.probes.base import (
    BudgetExhausted,
    Cancelled,
    Step,
    UnexpectedReply,
    failure_for,
)
from autoconfig.probes.folders import SYNC_CAPABILITIES
from autoconfig.probes.quota import judge, measure
from autoconfig.probes.session import Need, Session, Target
from autoconfig.probes.tls import TlsDetails, _failure_params

Shape = Mapping[str, object]
# What Session.result adds to every server check (ip: once the session has an address).
BASE: Shape = {"host": "mail.example.com", "port": 993, "protocol": "imap", "ip": "192.0.2.1"}
NO_ADDRESS_YET: Shape = {"host": "mail.example.com", "port": 993, "protocol": "imap"}
REPLY = "[AUTHENTICATIONFAILED] Authentication failed."


def _cert_error(code: int, message: str) -> ssl.SSLCertVerificationError:
    exc = ssl.SSLCertVerificationError(1, f"[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: {message}")
    exc.verify_code = code
    exc.verify_message = message
    return exc


EXCEPTIONS: tuple[BaseException, ...] = (
    TimeoutError("timed out"), TimeoutError(), dns.exception.Timeout(), BudgetExhausted(Step.LOGIN), Cancelled(),
    _cert_error(10, "certificate has expired"), _cert_error(9, "certificate is not yet valid"),
    _cert_error(62, "hostname mismatch"), _cert_error(19, "self-signed certificate in certificate chain"),
    _cert_error(66, "EE certificate key too weak"), _cert_error(67, "CA certificate key too weak"),
    _cert_error(68, "CA signature digest algorithm too weak"),
    ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
    ssl.SSLError(1, "[SSL: TLSV1_ALERT_PROTOCOL_VERSION] tlsv1 alert protocol version"),
    dns.resolver.NXDOMAIN(), dns.resolver.NoAnswer(), dns.resolver.NoNameservers(), dns.exception.DNSException(),
    ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
    imaplib.IMAP4.abort("socket error: EOF"), imaplib.IMAP4.abort("unexpected response: b'HTTP/1.0 400'"),
    ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), BrokenPipeError(errno.EPIPE, "Broken pipe"),
    EOFError(), smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
    imaplib.IMAP4.error("BAD unknown command"), imaplib.IMAP4.error(), poplib.error_proto(b"-ERR no"),
    smtplib.SMTPResponseException(500, b"Line too long."), UnexpectedReply("HTTP/1.0 400 garbage"),
    UnicodeDecodeError("ascii", b"* OK \xff", 5, 6, "ordinal not in range(128)"),
    ssl.SSLEOFError(), ssl.SSLZeroReturnError(),
    OSError(errno.EHOSTUNREACH, "No route to host"), OSError(errno.EIO, "Input/output error"), OSError(),
    ValueError("a bug of ours"),
)
_TLS_STEPS = (Step.TLS_HANDSHAKE, Step.STARTTLS)
FACTS = TlsDetails(not_after="2026-01-01T00:00:00Z", not_before="2025-01-01T00:00:00Z", days_left=-30,
                   names=("mail.example.com",), subject="mail.example.com", issuer="Example CA")


def _failure_shapes() -> Iterator[tuple[str, Shape]]:
    for exc, step in itertools.product(EXCEPTIONS, Step):
        failure = failure_for(exc, step)
        if failure.code.startswith("tls."):
            if step not in _TLS_STEPS:
                continue  # TLS codes reach a report through the TLS stage, with its parameters
            yield failure.code, {**BASE, **_failure_params(failure, FACTS, "mail.example.com")}
            continue
        yield failure.code, {**(NO_ADDRESS_YET if step is Step.RESOLVE else BASE), **failure.params}


def _blocker_shapes() -> Iterator[tuple[str, Shape]]:
    target = Target(0, "imap-993", Protocol.IMAP, "mail.example.com", 993, Security.TLS, "alice@example.com", False)
    states = [
        {"adapter": None, "tls_blocker": "tls.expired", "sock": None},
        {"adapter": None, "tls_blocker": None, "sock": None},
        {"adapter": None, "tls_blocker": None, "sock": socket.socket()},
        {"adapter": object(), "tls_blocker": None, "sock": None, "password": None},
        {"adapter": object(), "tls_blocker": None, "sock": None},
    ]
    for state in states:
        session = Session(target, None, None, state.pop("password", object()), None, None, None)  # type: ignore[arg-type]
        for name, value in state.items():
            setattr(session, name, value)
        for need in Need:
            blocked = session.blocker(need)
            if blocked is not None:
                yield blocked[0], {**NO_ADDRESS_YET, **blocked[1]}
        if session.sock is not None:
            session.sock.close()


def _judge_shapes() -> Iterator[tuple[str, Shape]]:
    for quotas in ([], [("STORAGE", 50, 100)], [("STORAGE", 95, 100)], [("STORAGE", 99, 100)],
                   [("MESSAGE", 95, 100)], [("STORAGE", 10, 0)]):
        _status, code, values = judge(measure("", quotas), 90)
        yield code, {**BASE, **values}
    counts = {"folders": 7, "messages": 12, "unseen": 2}
    yield "imap.folders_ok", {**BASE, **counts}
    yield "imap.special_use_missing", {**BASE, **counts, "missing": "Junk"}
    yield "imap.special_use_missing", {**BASE, **counts, "missing": "Junk", "by_name": "Junk: Spam"}
    yield "imap.unsubscribed_folders", {**BASE, "count": 1, "folders": "Progetti"}
    yield "imap.subscriptions_ok", {**BASE, **counts}
    yield "imap.quota_unsupported", dict(BASE)
    for offered, missing in ((", ".join(SYNC_CAPABILITIES), "—"), ("UIDPLUS", "IDLE, MOVE"), ("—", "IDLE")):
        yield "imap.sync_ok", {**BASE, "offered": offered, "missing": missing}
        yield "imap.no_push", {**BASE, "offered": offered, "missing": missing}


# Shapes a probe builds inline, as its call site writes them.
INLINE: tuple[tuple[str, Shape], ...] = (
    # login.py
    ("auth.skipped", {}),
    ("auth.not_attempted_foreign_host", {"ip": "198.51.100.7"}),
    ("auth.plaintext_refused", {"blocked_by": "imap-143-tls"}),
    ("auth.not_attempted_insecure", {"blocked_by": "imap-143-tls"}),
    ("auth.not_attempted_insecure", {"blocked_by": "imap-143-tls", "cause": "tls.expired"}),
    ("auth.disabled", {"reply": "LOGINDISABLED"}),
    ("smtp.auth_not_offered", {"reply": "CAPA"}),
    *((code, {"reply": REPLY, "username": "alice@example.com"}) for code in (
        "auth.failed", "auth.disabled", "auth.plaintext_refused", "auth.unavailable", "auth.too_many_connections",
        "smtp.auth_failed")),
    ("auth.ok", {"username": "alice@example.com", "mechanism": "PLAIN"}),
    ("auth.oauth2_only", {"mechanisms": "OAUTHBEARER XOAUTH2"}),
    ("smtp.auth_ok", {"username": "alice@example.com", "mechanism": "LOGIN"}),
    ("auth.slowed", {"seconds": 4}),
    ("skip.credentials_refused", {"blocked_by": "imap-993-auth"}),
    ("skip.login_slowed", {"blocked_by": "imap-993-auth"}),
    ("skip.no_login", {"blocked_by": "imap-993-auth", "cause": "auth.failed"}),
    ("skip.no_login", {"blocked_by": "imap-993-auth"}),
    ("skip.no_password", {}),
    # mailbox.py
    ("pop3.mailbox_ok", {"messages": 3, "size_mb": 0.1}),
    ("pop3.uidl_missing", {"messages": 3, "size_mb": 0.1}),
    # greeting.py, tcp.py
    ("proto.ok", {"banner": "* OK Dovecot ready."}),
    ("proto.greeting_refused", {"received": "* BYE go away"}),
    ("net.ok", {"ip": "192.0.2.1", "family": "ipv4", "ms": 12}),
    ("net.private_address_refused", {"ip": "10.0.0.1", "family": "ipv4", "range": "private-use"}),
    # the runner (probes/__init__.py) and the resolver root cause (probes/dns.py)
    *(("diag.cut_short", {"step": str(step)}) for step in Step),
    ("diag.cut_short", {"step": "discovery"}),
    ("skip.budget", {}),
    ("skip.resolver_down", {"blocked_by": "dns-resolver", "reason": "timeout"}),
    ("starttls.missing", {}),
    ("tls.plain_configured", {}),
    # a report stored before tls.weak_key said its weakness in words
    ("tls.weak_key", {"reason": "EE certificate key too weak"}),
)

# Discovery (autoconfig/discovery.py): every step's `reason` token under every discovery code,
# with the parameters the tokens take (probes/web.py's why_params, the judges' own).
DISCOVERY_BASE: Shape = {"url": "https://autoconfig.example.com/mail/config-v1.1.xml",
                         "name": "autoconfig.example.com", "service": "autoconfig.hoster.test",
                         "via": "https://autoconfig.hoster.test/mail/config-v1.1.xml",
                         "found": "imap.other.test:993", "expected": "mail.example.com:993"}
REASON_PARAMS: Shape = {"host": "autoconfig.example.com", "ip": "10.0.0.1", "port": 443, "http_status": 404,
                        "target": "http://autoconfig.example.com/", "count": 5, "size_kb": 64}
DISCOVERY: tuple[tuple[str, Shape], ...] = tuple(
    (code, {**DISCOVERY_BASE, **REASON_PARAMS, "reason": token})
    for code in sorted(c for c in CATALOGUE if c.startswith("discovery.")) for token in sorted(REASON_WORDS))
_SOURCES = Path(__file__).resolve().parent.parent / "autoconfig"
# The tokens the code writes: `why="…"`/`reason="…"` keywords, _Stop's third argument, the
# judges' helpers, signing's chain_trusted, and web.py's certificate reasons (cert_<tls>).
_TOKEN_SITES = re.compile(
    r'(?:\bwhy=|\breason=|_Stop\(\s*"\w+",\s*f?"(?:[^"\\]|\\.)*",\s*|return False, |'
    r'_skipped\([^,]+,\s*|Status\.\w+,\s*"[^"]*",\s*|\{"reason":\s*|else\s+)"(\w+)"|"(\w+)"(?= if lk\.)')
DNS_INLINE: tuple[tuple[str, Shape], ...] = (
    ("dns.resolver_down", {"name": "example.com", "rtype": "*", "nameservers": "127.0.0.1"}),
    *(("dns.lookup_failed", {"name": "example.com", "rtype": "MX", "reason": reason, "expected": "10 mx.example.com."})
      for reason in ("timeout", "SERVFAIL", "Connection refused", "LifetimeTimeout")),
)


def shapes() -> list[tuple[str, Shape]]:
    found = [*_failure_shapes(), *_blocker_shapes(), *_judge_shapes(),
             *((code, {**BASE, **shape}) for code, shape in INLINE), *DNS_INLINE, *DISCOVERY]
    unique: dict[tuple[str, tuple[tuple[str, str], ...]], Shape] = {}
    for code, shape in found:
        unique[(code, tuple(sorted((k, str(v)) for k, v in shape.items())))] = shape
    return [(code, shape) for (code, _), shape in unique.items()]


SHAPES = shapes()
UNFILLED = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z0-9]*(?:Error|Exception|Timeout|Exhausted|Cancelled|Reply)\b")
# Text a server wrote, quoted as such, may be in any language.
QUOTED = re.compile(r"«[^»]*»|“[^”]*”")
# English words of library messages ("Connection reset by peer", "the DNS servers failed to
# answer", "certificate has expired", "timed out") that no Italian sentence contains.
ENGLISH = re.compile(
    r"\b(the|failed|timed|timeout|connection|refused|reset|peer|does|exist|records|answer|unknown|wrong|"
    r"version|number|certificate|unable|broken|pipe|closed|error|unexpectedly|route|input|output)\b",
    re.IGNORECASE,
)


def _fields(code: str) -> set[str]:
    found: set[str] = set()
    for lang in LANGUAGES:
        text = CATALOGUE[code][lang]
        for template in (text.message, text.remedy or ""):
            found |= {name for _lit, name, _spec, _conv in string.Formatter().parse(template) if name}
    return found


def test_the_sweep_reaches_the_codes_the_probes_emit() -> None:
    reached = {code for code, _shape in SHAPES}
    assert reached <= set(CATALOGUE), reached - set(CATALOGUE)
    # every login, skip, network and diagnosis code, and the new ones of this issue
    for family in ("auth.", "skip.", "net.", "diag.", "pop3.", "imap."):
        assert {c for c in CATALOGUE if c.startswith(family)} <= reached, family


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize(("code", "shape"), SHAPES, ids=[f"{c}:{'-'.join(sorted(s))}" for c, s in SHAPES])
def test_every_shape_renders_finished_words(code: str, shape: Shape, lang: str) -> None:
    text = words(code, lang, shape)
    for part in (text.message, text.remedy or ""):
        assert not UNFILLED.search(part), (code, lang, part)
        assert not CLASS_NAME.search(part), (code, lang, part)
        if lang == "it":
            assert not ENGLISH.search(QUOTED.sub("", part)), (code, part)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_code_renders_when_its_fields_are_given(code: str, lang: str) -> None:
    text = words(code, lang, {name: "x" for name in _fields(code)})
    assert not UNFILLED.search(text.message + (text.remedy or "")), code


def test_library_detail_stays_for_staff() -> None:
    # Given the errors people saw as "(OSError)" and "(the DNS servers failed to answer)"
    reset = failure_for(ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), Step.STATUS)
    other = failure_for(OSError(errno.EIO, "Input/output error"), Step.LOGIN)
    silent = failure_for(dns.resolver.NoNameservers(), Step.RESOLVE)
    # Then the words are plain in both languages, and the library's detail is in the parameters
    assert other.params["reason"] == "Input/output error"
    for failure in (reset, other, silent):
        for lang in LANGUAGES:
            message = words(failure.code, lang, {**BASE, **failure.params}).message
            assert "Input/output" not in message and "OSError" not in message and "failed to answer" not in message
    assert words("net.error", "it", {**BASE, **other.params}).message == \
        "Errore di rete con mail.example.com porta 993 (fase: accesso)."


def test_every_reason_token_the_discovery_code_writes_has_words() -> None:
    # Given the tokens discovery's code writes into a step's `reason`
    written: set[str] = set()
    for name in ("discovery.py", "probes/web.py", "signing.py"):
        for found in _TOKEN_SITES.findall((_SOURCES / name).read_text(encoding="utf-8")):
            written |= {token for token in found if token}
    from autoconfig.probes.web import _VERIFY_REASONS
    written |= {f"cert_{tls}" for tls in (*_VERIFY_REASONS.values(), "untrusted")}
    # Then each one is said in every language (the sweep above renders them under every code)
    assert {"redirect_loop", "http_status", "time_ran_out", "unusable_document", "no_trusted_root",
            "ispdb", "dns_failed", "cert_expired"} <= written
    assert written <= set(REASON_WORDS), written - set(REASON_WORDS)
    assert all(set(said) == set(LANGUAGES) for said in REASON_WORDS.values())


def test_discovery_words_keep_the_token_for_staff_and_say_it_in_the_language() -> None:
    shape = {**DISCOVERY_BASE, "reason": "redirect_loop", "target": "https://loop.example.com/"}
    assert words("discovery.redirect_refused", "it", shape).message == (
        "Non segue il rinvio di https://autoconfig.example.com/mail/config-v1.1.xml: "
        "un giro di rinvii che torna a https://loop.example.com/.")
    english = words("discovery.redirect_refused", "en", shape).message
    assert "a redirect loop back to https://loop.example.com/" in english
    german = words("discovery.not_found", "de", {**shape, "reason": "http_status", "http_status": 404})
    assert "the server answers HTTP 404" in german.message  # German falls back to English
    assert shape["reason"] == "redirect_loop"


def test_a_weak_key_says_which_weakness_in_plain_words() -> None:
    failure = failure_for(_cert_error(68, "CA signature digest algorithm too weak"), Step.TLS_HANDSHAKE)
    assert failure.params["reason"] == "CA signature digest algorithm too weak"  # for staff
    message = words(failure.code, "it", {**BASE, **failure.params}).message
    assert "algoritmo troppo debole" in message and "digest" not in message


def test_one_unsubscribed_folder_is_singular() -> None:
    assert words("imap.unsubscribed_folders", "it", {"count": 1, "folders": "Progetti"}).message.startswith(
        "Una cartella esiste sul server ma non è sottoscritta")
    assert words("imap.unsubscribed_folders", "en", {"count": 1, "folders": "Progetti"}).message.startswith(
        "One folder exists on the server but is not subscribed")
    assert words("imap.unsubscribed_folders", "en", {"count": 2, "folders": "A, B"}).message.startswith(
        "2 folders exist")
