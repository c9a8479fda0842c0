"""TLS, implicit or by STARTTLS: version, cipher, chain trust, host name, expiry.

Trust is the system store plus `[diagnostics] ca_file`; the name checked is the
configured host name, whatever address we connected to. When verification fails the
certificate is fetched again without verification (a second, short connection), only to
say *what* is wrong with it: expired on which date, issued for which names, by whom.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import ssl
from dataclasses import dataclass, replace

from cryptography import x509
from cryptography.x509.oid import NameOID

from ..model import Security, Status
from .base import (
    CheckResult,
    Details,
    Failure,
    Kind,
    Params,
    Step,
    Timer,
    failure_for,
    params,
)
from .clients import open_adapter
from .session import Need, Session, Stage

WEAK_PROTOCOLS = frozenset({"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"})
MAX_NAMES = 8


@dataclass(frozen=True)
class TlsDetails(Details):
    ip: str | None = None
    starttls: bool = False
    starttls_offered: bool | None = None
    verified: bool = False
    tls_version: str | None = None
    cipher: str | None = None
    cipher_bits: int | None = None
    subject: str | None = None
    issuer: str | None = None
    names: tuple[str, ...] = ()
    not_before: str | None = None
    not_after: str | None = None
    days_left: int | None = None


def _first(name: x509.Name, *oids: x509.ObjectIdentifier) -> str | None:
    for oid in oids:
        values = name.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return None


def certificate_facts(der: bytes, now: dt.datetime) -> TlsDetails:
    """What a certificate says, for people: subject, issuer, names, validity, days left."""
    cert = x509.load_der_x509_certificate(der)
    names: list[str] = []
    with contextlib.suppress(x509.ExtensionNotFound):
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [*san.get_values_for_type(x509.DNSName), *map(str, san.get_values_for_type(x509.IPAddress))]
    not_after = cert.not_valid_after_utc
    return TlsDetails(
        subject=_first(cert.subject, NameOID.COMMON_NAME),
        issuer=_first(cert.issuer, NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME),
        names=tuple(names[:MAX_NAMES]),
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=not_after.isoformat(),
        days_left=(not_after - now).days,
    )


def judge(details: TlsDetails, warning_days: int) -> tuple[Status, str, Params]:
    """Verdict on a verified connection: weak protocol, expiring soon, or fine (pure)."""
    values = params(
        tls_version=details.tls_version, cipher=details.cipher, days_left=details.days_left,
        not_after=(details.not_after or "")[:10] or None, issuer=details.issuer,
    )
    if details.tls_version in WEAK_PROTOCOLS:
        return Status.ERROR, "tls.weak_protocol", values
    if details.days_left is not None and details.days_left < warning_days:
        return Status.WARNING, "tls.expiring_soon", values
    return Status.OK, "tls.ok", values


def _connection_facts(sock: ssl.SSLSocket, base: TlsDetails) -> TlsDetails:
    cipher = sock.cipher()
    der = sock.getpeercert(binary_form=True)
    facts = certificate_facts(der, dt.datetime.now(dt.UTC)) if der else TlsDetails()
    return replace(
        facts, ip=base.ip, starttls=base.starttls, starttls_offered=base.starttls_offered, verified=True,
        tls_version=sock.version(), cipher=cipher[0] if cipher else None, cipher_bits=cipher[2] if cipher else None,
    )


def _peek_certificate(session: Session) -> TlsDetails | None:
    """Fetch the certificate once more without verifying it, to describe the failure."""
    t = session.target
    if session.ip is None:
        return None
    sock: socket.socket | None = None
    adapter = None
    try:
        timeout = session.attempt.begin(Step.TLS_HANDSHAKE)
        sock = socket.create_connection((session.ip, t.port), timeout=timeout)
        session.attempt.track(sock)
        if t.security is Security.TLS:
            sock = session.toolkit.unverified.wrap_socket(sock, server_hostname=t.hostname)
        else:
            adapter = open_adapter(t.protocol, t.hostname, t.port, sock, implicit_tls=False)
            adapter.starttls(session.toolkit.unverified)
            sock = adapter.sock
        der = sock.getpeercert(binary_form=True) if isinstance(sock, ssl.SSLSocket) else None
        return certificate_facts(der, dt.datetime.now(dt.UTC)) if der else None
    except Exception:
        return None
    finally:
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()


def _failure_params(failure: Failure, facts: TlsDetails | None, hostname: str) -> Params:
    values = dict(failure.params)
    if facts is not None:
        values.update(
            params(
                not_after=(facts.not_after or "")[:10] or None,
                not_before=(facts.not_before or "")[:10] or None,
                days_ago=-facts.days_left if facts.days_left is not None and facts.days_left < 0 else None,
                names=", ".join(facts.names) or facts.subject,
                issuer=facts.issuer,
            )
        )
    values["expected_name"] = hostname
    return params(**values)


def _failed(session: Session, exc: BaseException, step: Step, timer: Timer, base: TlsDetails) -> CheckResult:
    failure = failure_for(exc, step)
    session.tls_blocker = failure.code
    facts = None
    if failure.code.startswith("tls.") and failure.code != "tls.handshake_failed":
        facts = _peek_certificate(session)
    details = replace(facts, ip=base.ip, starttls=base.starttls, starttls_offered=base.starttls_offered) \
        if facts is not None else base
    values = _failure_params(failure, facts, session.target.hostname)
    return session.result(STAGE, failure.status, failure.code, values, timer.ms, details)


def _success(session: Session, sock: ssl.SSLSocket, timer: Timer, base: TlsDetails) -> CheckResult:
    details = _connection_facts(sock, base)
    session.secure = True
    status, code, values = judge(details, session.toolkit.options.cert_expiry_warning_days)
    return session.result(STAGE, status, code, values, timer.ms, details)


def run_implicit(session: Session) -> tuple[CheckResult, ...]:
    """Port 993/995/465 style: the handshake comes first, before any greeting."""
    timer = Timer()
    assert session.sock is not None
    base = TlsDetails(ip=session.ip)
    try:
        session.attempt.begin(Step.TLS_HANDSHAKE, session.sock)
        wrapped = session.toolkit.tls.wrap_socket(session.sock, server_hostname=session.target.hostname)
    except Exception as exc:
        with contextlib.suppress(OSError):
            session.sock.close()
        return (_failed(session, exc, Step.TLS_HANDSHAKE, timer, base),)
    session.sock = wrapped
    session.attempt.track(wrapped)
    return (_success(session, wrapped, timer, base),)


def run_starttls(session: Session) -> tuple[CheckResult, ...]:
    """Port 143/110/587 style: STARTTLS offered, then the handshake, then the capabilities
    again (what the server said before TLS no longer counts)."""
    timer = Timer()
    adapter = session.adapter
    assert adapter is not None
    offered = adapter.starttls_offered(session.capabilities)
    base = TlsDetails(ip=session.ip, starttls=True, starttls_offered=offered)
    if not offered:
        session.tls_blocker = "starttls.missing"
        return (session.result(STAGE, Status.ERROR, "starttls.missing", params(), timer.ms, base),)
    try:
        session.attempt.begin(Step.STARTTLS, adapter.sock)
        adapter.starttls(session.toolkit.tls)
    except Exception as exc:
        return (_failed(session, exc, Step.STARTTLS, timer, base),)
    wrapped = adapter.sock
    session.attempt.track(wrapped)
    assert isinstance(wrapped, ssl.SSLSocket)
    result = _success(session, wrapped, timer, base)
    try:
        session.attempt.begin(Step.CAPABILITIES, wrapped)
        session.capabilities = adapter.capabilities()
    except Exception as exc:
        session.secure = False
        failure = failure_for(exc, Step.CAPABILITIES)
        session.tls_blocker = failure.code
        return (session.result(STAGE, failure.status, failure.code, failure.params, timer.ms, result.data),)
    return (result,)


def run_plain(session: Session) -> tuple[CheckResult, ...]:
    """A server configured without TLS: say whether it could do better (STARTTLS)."""
    timer = Timer()
    adapter = session.adapter
    assert adapter is not None
    offered = adapter.starttls_offered(session.capabilities)
    details = TlsDetails(ip=session.ip, starttls_offered=offered)
    session.tls_blocker = "tls.plain_configured"
    if offered:
        return (session.result(STAGE, Status.WARNING, "tls.plain_configured", params(), timer.ms, details),)
    return (session.result(STAGE, Status.ERROR, "starttls.missing", params(), timer.ms, details),)


STAGE = Stage(name="tls", kind=Kind.TLS, needs=Need.CONNECTION, run=run_implicit)
STARTTLS_STAGE = Stage(name="tls", kind=Kind.TLS, needs=Need.GREETING, run=run_starttls)
PLAIN_STAGE = Stage(name="tls", kind=Kind.TLS, needs=Need.GREETING, run=run_plain)
