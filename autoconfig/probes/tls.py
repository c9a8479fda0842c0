"""TLS, implicit or by STARTTLS: version, cipher, chain trust, host name, expiry.

Trust is the system store plus `[diagnostics] ca_file`; the name checked is the
configured host name, whatever address we connected to. When verification fails the
certificate is fetched again without verification (a second, short connection), only to
say *what* is wrong with it: expired on which date, issued for which names, by whom.

A host with an IPv4 and an IPv6 address that both accepted TCP may be two different
servers (an AAAA record left pointing at an old machine): the session goes on over one
family only, so the other family's address gets a handshake of its own, verified the same
way, and a certificate that fails there or differs from this one is reported.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import ipaddress
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
from .clients import Adapter, open_adapter
from .session import Need, Session, Stage

WEAK_PROTOCOLS = frozenset({"SSLv2", "SSLv3", "TLSv1", "TLSv1.1"})
PASSWORD_PROTOCOLS = frozenset({"TLSv1.2", "TLSv1.3"})
# Verdicts that keep the password home, whatever else the connection offers.
WEAK_CODES = frozenset({"tls.weak_protocol", "tls.weak_cipher", "tls.weak_key"})
MAX_NAMES = 8
FAMILY_NAMES = {"ipv4": "IPv4", "ipv6": "IPv6"}


@dataclass(frozen=True)
class AddressTls(Details):
    """One address's handshake: what the two families of a host are compared on."""

    family: str  # "ipv4" | "ipv6", as in the tcp checks
    ip: str
    verified: bool
    fingerprint: str | None = None  # SHA-256 of the leaf certificate
    code: str | None = None  # why it did not verify, as an outcome code
    reason: str | None = None
    subject: str | None = None
    issuer: str | None = None
    names: tuple[str, ...] = ()
    not_after: str | None = None


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
    fingerprint: str | None = None  # SHA-256 of the leaf certificate
    addresses: tuple[AddressTls, ...] = ()  # this address, then the other family's


def _first(name: x509.Name, *oids: x509.ObjectIdentifier) -> str | None:
    for oid in oids:
        values = name.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return None


def certificate_facts(der: bytes, now: dt.datetime) -> TlsDetails:
    """What a certificate says, for people: subject, issuer, names, validity, days left."""
    facts = _read_certificate(der)
    assert facts.not_after is not None
    return replace(facts, days_left=(dt.datetime.fromisoformat(facts.not_after) - now).days)


@functools.lru_cache(maxsize=256)
def _read_certificate(der: bytes) -> TlsDetails:
    """Everything but the days left (pure, so cached: the watch sees the same few
    certificates every round, and parsing one took 0.1-0.3 ms of CPU a check)."""
    cert = x509.load_der_x509_certificate(der)
    names: list[str] = []
    with contextlib.suppress(x509.ExtensionNotFound):
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [*san.get_values_for_type(x509.DNSName), *map(str, san.get_values_for_type(x509.IPAddress))]
    return TlsDetails(
        subject=_first(cert.subject, NameOID.COMMON_NAME),
        issuer=_first(cert.issuer, NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME),
        names=tuple(names[:MAX_NAMES]),
        not_before=cert.not_valid_before_utc.isoformat(),
        not_after=cert.not_valid_after_utc.isoformat(),
        fingerprint=fingerprint(der),
    )


def fingerprint(der: bytes) -> str:
    """SHA-256 of a certificate as `openssl x509 -fingerprint -sha256` prints it."""
    return ":".join(f"{b:02X}" for b in hashlib.sha256(der).digest())


def family_of(ip: str) -> str:
    return "ipv6" if ipaddress.ip_address(ip).version == 6 else "ipv4"


def judge(details: TlsDetails, warning_days: int, *, strict_refused: bool = False) -> tuple[Status, str, Params]:
    """Verdict on a verified connection: weak protocol, weak ciphers or keys, expiring soon,
    or fine (pure). `strict_refused`: only the weak context could talk to the server."""
    values = params(
        tls_version=details.tls_version, cipher=details.cipher, days_left=details.days_left,
        not_after=(details.not_after or "")[:10] or None, issuer=details.issuer,
    )
    if details.tls_version in WEAK_PROTOCOLS:
        return Status.ERROR, "tls.weak_protocol", values
    if strict_refused or details.tls_version not in PASSWORD_PROTOCOLS:
        return Status.ERROR, "tls.weak_cipher", values
    if details.days_left is not None and details.days_left < warning_days:
        return Status.WARNING, "tls.expiring_soon", values
    return Status.OK, "tls.ok", values


def may_carry_password(details: TlsDetails, code: str) -> bool:
    """Judged first, then decided: a password goes only over a verified TLS 1.2+ connection
    that the verdict `code` does not call weak (pure)."""
    return details.verified and details.tls_version in PASSWORD_PROTOCOLS and code not in WEAK_CODES


def _connection_facts(sock: ssl.SSLSocket, base: TlsDetails) -> TlsDetails:
    cipher = sock.cipher()
    der = sock.getpeercert(binary_form=True)
    facts = certificate_facts(der, dt.datetime.now(dt.UTC)) if der else TlsDetails()
    return replace(
        facts, ip=base.ip, starttls=base.starttls, starttls_offered=base.starttls_offered, verified=True,
        tls_version=sock.version(), cipher=cipher[0] if cipher else None, cipher_bits=cipher[2] if cipher else None,
    )


def _open_tls(session: Session, ip: str, context: ssl.SSLContext) -> ssl.SSLSocket:
    """A new connection to `ip` (an address the tcp check resolved, never a new lookup)
    and a handshake for the configured name, as the server is configured: implicit TLS,
    or the protocol's STARTTLS. Each step within its own timeout; the caller closes."""
    t = session.target
    timeout = session.attempt.begin(Step.TLS_HANDSHAKE)
    sock = socket.create_connection((ip, t.port), timeout=timeout)
    session.attempt.track(sock)
    adapter: Adapter | None = None
    try:
        if t.security is Security.TLS:
            session.attempt.begin(Step.TLS_HANDSHAKE, sock)
            return context.wrap_socket(sock, server_hostname=t.hostname)
        session.attempt.begin(Step.GREETING, sock)
        adapter = open_adapter(t.protocol, t.hostname, t.port, sock, implicit_tls=False)
        session.attempt.begin(Step.CAPABILITIES, sock)
        if not adapter.starttls_offered(adapter.capabilities()):
            raise _NoStarttls()
        session.attempt.begin(Step.STARTTLS, sock)
        adapter.starttls(context)
        wrapped = adapter.sock
        assert isinstance(wrapped, ssl.SSLSocket)
        session.attempt.track(wrapped)
        return wrapped
    except BaseException:
        if adapter is not None:  # STARTTLS may have wrapped the socket before failing: close that one
            with contextlib.suppress(Exception):
                _hang_up(adapter.sock)
        _hang_up(sock)
        raise


def _hang_up(sock: socket.socket | None) -> None:
    """End a side connection now: shutting down ends it even while a protocol library
    still holds a file on the socket (a plain close would wait for the garbage collector)."""
    if sock is None:
        return
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


class _NoStarttls(Exception):
    """The other family's server does not offer STARTTLS (this one did)."""


def _peek_certificate(session: Session, ip: str | None = None) -> TlsDetails | None:
    """Fetch the certificate once more without verifying it, to describe the failure."""
    ip = ip or session.ip
    if ip is None:
        return None
    sock: ssl.SSLSocket | None = None
    try:
        sock = _open_tls(session, ip, session.toolkit.unverified)
        der = sock.getpeercert(binary_form=True)
        return certificate_facts(der, dt.datetime.now(dt.UTC)) if der else None
    except Exception:
        return None
    finally:
        _hang_up(sock)


# -- the other address family -------------------------------------------------------------


def _address(family: str, ip: str, facts: TlsDetails | None, code: str | None = None,
             reason: str | None = None) -> AddressTls:
    facts = facts or TlsDetails()
    return AddressTls(
        family=family, ip=ip, verified=code is None, fingerprint=facts.fingerprint, code=code, reason=reason,
        subject=facts.subject, issuer=facts.issuer, names=facts.names, not_after=facts.not_after,
    )


def _check_address(session: Session, family: str, ip: str) -> AddressTls:
    """The main check's handshake again, against another address: same name, same trust."""
    sock: ssl.SSLSocket | None = None
    try:
        sock = _open_tls(session, ip, session.toolkit.tls)
        der = sock.getpeercert(binary_form=True)
        return _address(family, ip, certificate_facts(der, dt.datetime.now(dt.UTC)) if der else None)
    except _NoStarttls:
        return _address(family, ip, None, "starttls.missing", "STARTTLS not offered")
    except Exception as exc:
        failure = failure_for(exc, session.attempt.step)
        if failure.code.startswith("diag."):  # out of time, or a bug of ours: not the server's
            return _address(family, ip, None, failure.code, str(failure.params.get("step", "")))
        facts = None
        if failure.code.startswith("tls.") and failure.code != "tls.handshake_failed":
            facts = _peek_certificate(session, ip)
        return _address(family, ip, facts, failure.code, str(failure.params.get("reason") or failure.code))
    finally:
        _hang_up(sock)


def _family_params(odd: AddressTls, other: AddressTls) -> Params:
    return params(
        family=FAMILY_NAMES[odd.family], ip=odd.ip, record="AAAA" if odd.family == "ipv6" else "A",
        other_family=FAMILY_NAMES[other.family], other_ip=other.ip,
        reason=odd.reason, cause=odd.code,
        not_after=(odd.not_after or "")[:10] or None, other_not_after=(other.not_after or "")[:10] or None,
        names=", ".join(odd.names) or odd.subject,
    )


def compare(this: AddressTls, other: AddressTls) -> tuple[Status, str, Params] | None:
    """Do a host's two families serve the same valid certificate? (pure) None when they
    do, or when it cannot be told: neither verified, or the other was not checked."""
    if other.code is not None and other.code.startswith("diag."):
        return None
    if this.verified and other.verified:
        if this.fingerprint == other.fingerprint:
            return None
        return Status.WARNING, "tls.family_mismatch", _family_params(other, this)
    if this.verified:
        return Status.ERROR, "tls.family_failed", _family_params(other, this)
    if other.verified:
        return Status.ERROR, "tls.family_failed", _family_params(this, other)
    return None


def _with_other_family(session: Session, result: CheckResult, this: AddressTls) -> CheckResult:
    """Add the other family's handshake to a TLS result: its facts always, and its verdict
    when the families disagree (unless this address' verdict is already an error)."""
    assert isinstance(result.data, TlsDetails)
    other_at = session.other_address
    if other_at is None:
        return replace(result, data=replace(result.data, addresses=(this,)))
    started = Timer()
    other = _check_address(session, *other_at)
    details = replace(result.data, addresses=(this, other))
    duration = result.duration_ms + started.ms
    verdict = compare(this, other)
    if verdict is None or (this.verified and result.status is Status.ERROR):
        return replace(result, data=details, duration_ms=duration)
    status, code, values = verdict
    return session.result(STAGE, status, code, values, duration, details)


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


def _weak_handshake(session: Session) -> TlsDetails | None:
    """What a server our verifying context could not talk to offers, over the weak context
    (old protocols, weak ciphers, still verified), on a side connection hung up at once:
    reported, never logged in to. None when even that fails."""
    if session.ip is None:
        return None
    sock: ssl.SSLSocket | None = None
    try:
        sock = _open_tls(session, session.ip, session.toolkit.weak)
        return _connection_facts(sock, TlsDetails(ip=session.ip))
    except Exception:
        return None
    finally:
        _hang_up(sock)


def _weak(session: Session, facts: TlsDetails, timer: Timer, base: TlsDetails) -> CheckResult:
    details = replace(facts, ip=base.ip, starttls=base.starttls, starttls_offered=base.starttls_offered)
    status, code, values = judge(details, session.toolkit.options.cert_expiry_warning_days, strict_refused=True)
    session.tls_blocker = code
    return session.result(STAGE, status, code, values, timer.ms, details)


def _failed(session: Session, exc: BaseException, step: Step, timer: Timer, base: TlsDetails) -> CheckResult:
    failure = failure_for(exc, step)
    if failure.code == "tls.handshake_failed":
        weak = _weak_handshake(session)
        if weak is not None:
            return _weak(session, weak, timer, base)
    session.tls_blocker = failure.code
    facts = None
    if failure.code.startswith("tls.") and failure.code != "tls.handshake_failed":
        facts = _peek_certificate(session)
    details = replace(facts, ip=base.ip, starttls=base.starttls, starttls_offered=base.starttls_offered) \
        if facts is not None else base
    values = _failure_params(failure, facts, session.target.hostname)
    result = session.result(STAGE, failure.status, failure.code, values, timer.ms, details)
    if session.ip is None or failure.code.startswith("diag."):
        return result
    reason = str(failure.params.get("reason") or failure.code)
    return _with_other_family(session, result, _address(family_of(session.ip), session.ip, facts, failure.code, reason))


def _verified(session: Session, result: CheckResult) -> CheckResult:
    """A verified handshake's result, with the other family's handshake added."""
    if session.ip is None or not isinstance(result.data, TlsDetails):
        return result
    return _with_other_family(session, result, _address(family_of(session.ip), session.ip, result.data))


def _success(session: Session, sock: ssl.SSLSocket, timer: Timer, base: TlsDetails) -> CheckResult:
    details = _connection_facts(sock, base)
    status, code, values = judge(details, session.toolkit.options.cert_expiry_warning_days)
    session.secure = may_carry_password(details, code)
    if not session.secure:
        session.tls_blocker = code
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
    return (_verified(session, _success(session, wrapped, timer, base)),)


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
    return (_verified(session, result),)


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
