"""What every probe shares: the result types, the secret wrapper, the deadline, and the ONE
table that turns library exceptions into our outcome codes.

Probes never raise to their callers (like sslyze's ScanCommandAttempt): a server that
misbehaves becomes an `error` with a code; a bug of ours is logged with its traceback and
shown as `diag.internal_error`, never as a fault of the server.
"""

from __future__ import annotations

import contextlib
import errno
import imaplib
import logging
import poplib
import re
import smtplib
import socket
import ssl
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

import dns.exception
import dns.resolver
import imapclient.exceptions

from ..model import Protocol, Security, Status

log = logging.getLogger("autoconfig.probes")

Params = Mapping[str, str | int | float]
EMPTY: Params = MappingProxyType({})


def params(**values: str | int | float | None) -> Params:
    """Message parameters, without the ones that are None."""
    return MappingProxyType({k: v for k, v in values.items() if v is not None})


class Kind(StrEnum):
    DNS = "dns"
    TCP = "tcp"
    TLS = "tls"
    AUTH = "auth"
    FOLDERS = "folders"
    QUOTA = "quota"
    MAILBOX = "mailbox"
    DISCOVERY = "discovery"  # will each client find the settings by itself (autoconfig/discovery.py)


class Step(StrEnum):
    """Where a check was when it failed or ran out of time (reports say it)."""

    RESOLVE = "resolve"
    CONNECT = "connect"
    TLS_HANDSHAKE = "tls_handshake"
    GREETING = "greeting"
    CAPABILITIES = "capabilities"
    STARTTLS = "starttls"
    CLIENT_ADDRESS = "client_address"  # announcing the customer's address (IMAP ID, XCLIENT)
    LOGIN = "login"
    LIST = "list"
    STATUS = "status"
    EXAMINE = "examine"
    QUOTA = "quota"
    STAT = "stat"
    UIDL = "uidl"
    LOGOUT = "logout"
    DNS = "dns"
    WAIT = "wait"  # waiting for our own other login of the same account to end


class UnexpectedReply(Exception):
    """A reply the protocol does not allow here; args[0] is its printable text."""


class Details:
    """Base of each probe's typed details (a frozen dataclass in the probe's module)."""


@dataclass(frozen=True)
class CheckResult:
    """One line of a report: what was checked, how it went, and the facts seen."""

    id: str
    kind: Kind
    status: Status
    code: str
    protocol: Protocol | None = None
    host: str | None = None
    port: int | None = None
    security: Security | None = None
    params: Params = field(default_factory=lambda: EMPTY)
    duration_ms: int = 0
    data: Details | None = None


@dataclass(frozen=True)
class Failure:
    """What the exception table says about an exception at a step."""

    code: str
    status: Status
    params: Params
    internal: bool = False


# -- deadline and cancellation ------------------------------------------------------------


class BudgetExhausted(Exception):
    """The diagnosis' time is up; raised before a step starts."""

    def __init__(self, step: Step) -> None:
        super().__init__(f"out of time before {step}")
        self.step = step


class Cancelled(Exception):
    """The runner gave up on this job (time is up or the client went away)."""


class Deadline:
    """The moment the whole diagnosis must end; every step's timeout is cut to fit it."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()
        self.end = self.started + seconds

    def remaining(self) -> float:
        return max(0.0, self.end - self._clock())

    @property
    def expired(self) -> bool:
        return self._clock() >= self.end

    def timeout(self, cap: float) -> float:
        return max(0.0, min(cap, self.end - self._clock()))


class Attempt:
    """One job's handle: its deadline, the step it is in, and the sockets to close when the
    runner cancels it (shutting a socket down wakes a thread blocked on it)."""

    def __init__(self, deadline: Deadline, step_timeout: float) -> None:
        self.deadline = deadline
        self.step_timeout = step_timeout
        self.step = Step.CONNECT
        self.step_started = time.monotonic()
        self._cancelled = threading.Event()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def begin(self, step: Step, sock: socket.socket | None = None) -> float:
        """Enter a step: fail fast when cancelled or out of time, else set the socket's
        timeout to this step's share of the budget and return it."""
        self.step = step
        self.step_started = time.monotonic()
        if self._cancelled.is_set():
            raise Cancelled()
        timeout = self.deadline.timeout(self.step_timeout)
        if timeout <= 0:
            raise BudgetExhausted(step)
        if sock is not None:
            sock.settimeout(timeout)
        return timeout

    def track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
        if self._cancelled.is_set():
            _shutdown(sock)

    def cancel(self) -> None:
        self._cancelled.set()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)

    def wait(self, event: threading.Event) -> None:
        """Wait for another job, within the budget and as long as we are not cancelled."""
        self.step = Step.WAIT
        while not event.is_set():
            if self._cancelled.is_set():
                raise Cancelled()
            if self.deadline.expired:
                raise BudgetExhausted(Step.WAIT)
            event.wait(min(0.05, self.deadline.remaining()))


def _shutdown(sock: socket.socket) -> None:
    """Wake whoever reads the socket; the plain socket method works for SSL sockets too."""
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


# -- the exception table ------------------------------------------------------------------

# OpenSSL X509_V_ERR_* codes that have a code of their own; the rest are "untrusted".
_VERIFY_CODES = {
    9: "tls.not_yet_valid",
    10: "tls.expired",
    62: "tls.hostname_mismatch",
    64: "tls.hostname_mismatch",  # IP address mismatch
    66: "tls.weak_key",  # EE_KEY_TOO_SMALL: below OpenSSL's default security level
    67: "tls.weak_key",  # CA_KEY_TOO_SMALL
    68: "tls.weak_key",  # CA_MD_TOO_WEAK: a weak signature (SHA-1, MD5)
}
_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT}
_TLS_STEPS = {Step.TLS_HANDSHAKE, Step.STARTTLS}
_PROTOCOL_ERRORS = (
    imaplib.IMAP4.error,
    imapclient.exceptions.IMAPClientError,
    poplib.error_proto,
    smtplib.SMTPException,
    UnexpectedReply,
)
_MAX_REPLY = 120
# Why a host name did not resolve (net.resolve_failed's `reason`, for staff).
RESOLVE_TIMEOUT = "timeout"
RESOLVE_NXDOMAIN = "nxdomain"
RESOLVE_NO_ADDRESS = "no_address"
RESOLVE_NO_SERVER = "no_server_answered"  # SERVFAIL, REFUSED or I/O errors from every server
RESOLVE_DNS_ERROR = "dns_error"
# Reasons that, when our own resolver is down, are that resolver's silence.
RESOLVE_UNANSWERED = frozenset({RESOLVE_TIMEOUT, RESOLVE_NO_SERVER})


# Control characters (C0, DEL, C1), format characters (bidirectional overrides and
# isolates, zero-width ones), line and paragraph separators, surrogates: none of them may
# reach a report, a page or a terminal, where they reorder, hide or rewrite what is shown.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
_SPACES = re.compile(r"\s+")


def clean_text(text: str, limit: int = _MAX_REPLY) -> str:
    """Text from a server, safe to show (pure): unsafe characters become a space, runs of
    space one, and the result is at most `limit` characters (an ellipsis ends a cut)."""
    head = text[: limit * 4]  # bounded work, whatever the server sent
    if head.isascii() and head.isprintable():  # no C0 or DEL: nothing unsafe (most replies)
        kept = head
    else:
        kept = "".join(" " if unicodedata.category(ch) in _UNSAFE_CATEGORIES else ch for ch in head)
    kept = _SPACES.sub(" ", kept).strip()
    if len(kept) <= limit and len(head) == len(text):
        return kept
    return kept[: limit - 1].rstrip() + "…"


def printable(value: object, limit: int = _MAX_REPLY) -> str:
    """A server's words, safe to show: decoded, unsafe characters dropped, truncated."""
    if isinstance(value, (bytes, bytearray)):
        text = bytes(value[: limit * 4]).decode("utf-8", "replace") + ("…" if len(value) > limit * 4 else "")
    elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], (bytes, str)):
        text = f"{value[0]} {printable(value[1], limit)}"  # smtplib's (code, message)
    else:
        text = str(value)
    return clean_text(text, limit)


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


# OpenSSL's verify codes of tls.weak_key → its `weakness` (messages.WEAKNESS_WORDS).
_WEAKNESS = {66: "key", 67: "ca_key", 68: "digest"}


def _tls_failure(exc: ssl.SSLError) -> Failure:
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = _VERIFY_CODES.get(exc.verify_code or 0, "tls.untrusted")
        # the library's words stay in `reason` for staff; `weakness` is the token the message says
        weakness = _WEAKNESS.get(exc.verify_code or 0) if code == "tls.weak_key" else None
        return Failure(code, Status.ERROR, params(reason=exc.verify_message or "unverified", weakness=weakness))
    reason = getattr(exc, "reason", None) or printable(exc.args[-1] if exc.args else type(exc).__name__)
    if "WRONG_VERSION_NUMBER" in str(reason):
        reason = "the server did not answer with TLS (plain text on a TLS port?)"
    return Failure("tls.handshake_failed", Status.ERROR, params(reason=str(reason)))


def failure_for(exc: BaseException, step: Step) -> Failure:
    """The one mapping from exceptions (ours, socket, ssl, imaplib/imapclient, poplib,
    smtplib, dnspython) to outcome codes; `step` says where the probe was."""
    where = params(step=str(step))
    chain = list(_chain(exc))
    # Time first: libraries wrap a timeout in their own errors (smtplib: "disconnected").
    for item in chain:
        if isinstance(item, BudgetExhausted):
            return Failure("diag.cut_short", Status.ERROR, params(step=str(item.step)))
        if isinstance(item, Cancelled):
            return Failure("diag.cut_short", Status.ERROR, where)
        if isinstance(item, (socket.timeout, TimeoutError, dns.exception.Timeout)):
            return Failure("net.timeout" if step is not Step.RESOLVE else "net.resolve_failed",
                           Status.ERROR, params(step=str(step), reason=RESOLVE_TIMEOUT))
    for item in chain:
        if isinstance(item, ssl.SSLError) and (step in _TLS_STEPS or isinstance(item, ssl.SSLCertVerificationError)):
            return _tls_failure(item)
        # `reason` is a token for staff (the words never show it): why the name did not resolve.
        if isinstance(item, dns.resolver.NXDOMAIN):
            return Failure("net.resolve_failed", Status.ERROR, params(reason=RESOLVE_NXDOMAIN))
        if isinstance(item, dns.resolver.NoAnswer):
            return Failure("net.resolve_failed", Status.ERROR, params(reason=RESOLVE_NO_ADDRESS))
        if isinstance(item, dns.resolver.NoNameservers):
            return Failure("net.resolve_failed", Status.ERROR, params(reason=RESOLVE_NO_SERVER))
        if isinstance(item, dns.exception.DNSException):
            return Failure("net.resolve_failed", Status.ERROR, params(reason=RESOLVE_DNS_ERROR))
        if step is Step.RESOLVE and isinstance(item, OSError):
            # Talking to our resolver failed (refused, unreachable): the name did not resolve.
            return Failure("net.resolve_failed", Status.ERROR, params(reason=RESOLVE_NO_SERVER))
        if isinstance(item, ConnectionRefusedError):
            return Failure("net.refused", Status.ERROR, where)
        if isinstance(item, imaplib.IMAP4.abort) and step is Step.GREETING and "EOF" not in str(item):
            # imaplib says "abort" both for a closed socket and for a reply that is no IMAP
            return Failure("proto.bad_greeting", Status.ERROR, params(received=printable(_reply_of(item))))
        if isinstance(item, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, EOFError,
                             smtplib.SMTPServerDisconnected, imaplib.IMAP4.abort, ssl.SSLEOFError,
                             ssl.SSLZeroReturnError)):
            if step is Step.GREETING:
                return Failure("proto.closed_at_greeting", Status.ERROR, where)
            return Failure("net.connection_lost", Status.ERROR, where)
        if isinstance(item, _PROTOCOL_ERRORS):
            reply = printable(_reply_of(item))
            if step is Step.GREETING:
                return Failure("proto.bad_greeting", Status.ERROR, params(received=reply))
            return Failure("proto.unexpected_reply", Status.ERROR, params(step=str(step), reply=reply))
        if isinstance(item, UnicodeDecodeError):
            # The server sent bytes its protocol does not allow (IMAP is ASCII): its fault.
            received = printable(item.object[max(0, item.start - 40): item.end + 40])
            if step in (Step.GREETING, Step.CAPABILITIES):
                return Failure("proto.bad_greeting", Status.ERROR, params(received=received))
            return Failure("proto.unexpected_reply", Status.ERROR, params(step=str(step), reply=received))
        if isinstance(item, ssl.SSLError):
            return Failure("net.connection_lost", Status.ERROR, where)
        if isinstance(item, OSError) and item.errno in _UNREACHABLE:
            return Failure("net.unreachable", Status.ERROR, where)
        if isinstance(item, OSError) and not isinstance(item, (UnicodeError,)):
            reason = item.strerror or type(item).__name__
            return Failure("net.error", Status.ERROR, params(step=str(step), reason=reason))
    # Nothing a server can cause: a bug of ours. Logged here, the one place that knows.
    log.error("internal error at step %s: %s", step, type(exc).__name__, exc_info=exc)
    return Failure("diag.internal_error", Status.ERROR, params(step=str(step)), internal=True)


def _reply_of(exc: BaseException) -> object:
    if isinstance(exc, smtplib.SMTPResponseException):
        return (exc.smtp_code, exc.smtp_error)
    return exc.args[0] if exc.args else "—"  # never the class name: people read it


def log_internal(exc: BaseException, check_id: str) -> None:
    """A bug of ours: log the traceback (never a password: probes hold only Secrets)."""
    log.error("internal error in check %s: %s", check_id, type(exc).__name__, exc_info=exc)


def elapsed_ms(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))


@dataclass
class Timer:
    """Milliseconds since a check began (checks time their own steps)."""

    started: float = field(default_factory=time.monotonic)

    @property
    def ms(self) -> int:
        return elapsed_ms(self.started)
