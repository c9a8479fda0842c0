"""The state one server's checks share while they run, and what a diagnosis shares.

Checks on one server run in order over ONE connection (TCP, then TLS and the greeting,
then the login, then folders and quota), so a diagnosis costs about as much as its
slowest server. `Session` is that connection's mutable, thread-local state; everything
handed between threads (`Toolkit`, `Target`, results) is frozen.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import dns.resolver

from ..model import ClientAddress, DiagnosticsOptions, IPNetwork, Protocol, Secret, Security
from .base import Attempt, BudgetExhausted, Cancelled, CheckResult, Kind, Params, Status, Step, params
from .clients import Adapter
from .netaddr import within

LOW_TLS_SECURITY = "DEFAULT:@SECLEVEL=0"


@dataclass(frozen=True)
class Toolkit:
    """What every diagnosis of one app uses; built once (an SSLContext costs ~50 ms)."""

    options: DiagnosticsOptions
    resolver: dns.resolver.Resolver
    tls: ssl.SSLContext  # verifies: system store + [diagnostics] ca_file; TLS 1.2+, default level
    unverified: ssl.SSLContext  # only to read a certificate that failed verification
    weak: ssl.SSLContext  # only to describe a server `tls` cannot talk to; never carries a password

    @classmethod
    def build(cls, options: DiagnosticsOptions, resolver: dns.resolver.Resolver) -> Toolkit:
        return cls(options, resolver, verifying_context(options.ca_file), unverified_context(),
                   weak_context(options.ca_file))


def verifying_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system trust store plus our extra CA bundle, TLS 1.2 or newer at OpenSSL's default
    security level: the only context a password travels over."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def weak_context(ca_file: Path | None) -> ssl.SSLContext:
    """Verifies like `verifying_context`, but also speaks TLS 1.0/1.1 and weak ciphers, so a
    server offering only those is reported (tls.weak_protocol), not just unreachable."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    _allow_old_protocols(context)
    return context


def unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    _allow_old_protocols(context)
    return context


def _allow_old_protocols(context: ssl.SSLContext) -> None:
    """Deliberate: to *report* a TLS 1.0 server we must be able to talk to it (the
    deprecation warning is about using it, which judge() flags as an error)."""
    with contextlib.suppress(ValueError, ssl.SSLError), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers(LOW_TLS_SECURITY)


@dataclass(frozen=True)
class Target:
    """One configured server for this address, with its place in the configuration."""

    index: int
    prefix: str  # "imap-993": the start of its checks' ids
    protocol: Protocol
    hostname: str
    port: int
    security: Security
    username: str
    templated: bool  # the host name came from %EMAILDOMAIN%: the SSRF guard applies
    # Where a templated host may be to get the password (the provider's login_networks).
    login_networks: tuple[IPNetwork, ...] = ()
    family: str | None = None  # "ipv4" | "ipv6": only that family (the watch checks each apart)
    step_timeout_s: float | None = None  # shorter than connect_timeout_s: a server known to be down
    forward_client_address: bool = False  # announce the customer's address before the login

    def takes_password_at(self, ip: str | None) -> bool:
        """A host the configuration names gets the password; one built from the customer's
        domain only at an address inside login_networks (a look-alike domain whose MX points
        at us could name any server of its own, with a valid certificate)."""
        return not self.templated or (ip is not None and within(ip, self.login_networks))


class Need(Enum):
    """What a stage needs from the stages before it on the same server."""

    NOTHING = 0
    CONNECTION = 1  # an open TCP connection
    TLS = 2  # (implicit TLS) a verified handshake
    GREETING = 3  # the protocol started: an adapter with capabilities
    LOGIN = 4  # logged in


@dataclass(frozen=True)
class Stage:
    """One kind of check in the registry: its id suffix, its kind and how to run it."""

    name: str
    kind: Kind
    needs: Need
    run: Callable[[Session], tuple[CheckResult, ...]]
    account: bool = False  # an account fact (folders, quota): checked once per protocol
    suffixes: tuple[str, ...] = ()  # id suffixes when one run yields several checks

    @property
    def ids(self) -> tuple[str, ...]:
        return self.suffixes or (self.name,)


class LoginGate:
    """Our own logged-in sessions of one account over one protocol.

    Logins run in parallel. A server that allows a single connection per user will then
    refuse one of them as "too many connections"; when that happens while another of
    our sessions was open, the refused probe waits until ours are closed and tries again,
    so auth.too_many_connections only ever reports the customer's own connections."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active: set[int] = set()
        self._changes = 0

    def enter(self, index: int) -> int:
        """A login starts; returns a stamp for `interfered`."""
        with self._cond:
            self._active.add(index)
            self._changes += 1
            return self._changes

    def leave(self, index: int) -> None:
        with self._cond:
            if index in self._active:
                self._active.discard(index)
                self._changes += 1
                self._cond.notify_all()

    def interfered(self, index: int, stamp: int) -> bool:
        """Was another of our sessions open at some point since `stamp`?"""
        with self._cond:
            return bool(self._active - {index}) or self._changes != stamp

    def wait_alone(self, index: int, attempt: Attempt) -> None:
        attempt.step = Step.WAIT
        with self._cond:
            while self._active - {index}:
                if attempt.cancelled:
                    raise Cancelled()
                if attempt.deadline.expired:
                    raise BudgetExhausted(Step.WAIT)
                self._cond.wait(min(0.05, attempt.deadline.remaining()))


# Refusals that the same user name and password will get again: trying the other ports
# would only add failed attempts, which make the server slow down (or ban) the next logins.
DEFINITE_REFUSALS = frozenset({"auth.failed", "smtp.auth_failed", "auth.disabled"})


class Trial:
    """The password's first try on one protocol goes alone.

    The first login of a protocol runs while the other ports of that protocol wait. If the
    server refuses the credentials for good (`DEFINITE_REFUSALS`) or holds the login back
    (`auth.slowed`), the others do not try: one wrong password costs one failed attempt per
    protocol, not one per port, and a server that is slowing logins is not pushed further.
    Once a login worked, the rest run together; after another end (a network fault, a
    server error) the next one tries alone."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._runner: int | None = None
        self._proven = False
        self.stopped_by: tuple[str, Params] | None = None

    def begin(self, index: int, attempt: Attempt) -> tuple[str, Params] | None:
        """Wait for our turn; None to go ahead, else the skip code and its parameters."""
        attempt.step = Step.WAIT
        with self._cond:
            while True:
                if self.stopped_by is not None:
                    return self.stopped_by
                if self._proven:
                    return None
                if self._runner is None:
                    self._runner = index
                    return None
                if attempt.cancelled:
                    raise Cancelled()
                if attempt.deadline.expired:
                    raise BudgetExhausted(Step.WAIT)
                self._cond.wait(min(0.05, attempt.deadline.remaining()))

    def end(self, index: int, check_id: str, code: str, logged_in: bool) -> None:
        """Our login ended (call it exactly once after `begin` returned None)."""
        with self._cond:
            if logged_in:
                self._proven = True
            elif self.stopped_by is None and code in DEFINITE_REFUSALS:
                self.stopped_by = ("skip.credentials_refused", params(blocked_by=check_id))
            elif self.stopped_by is None and code == "auth.slowed":
                self.stopped_by = ("skip.login_slowed", params(blocked_by=check_id))
            if self._runner == index:
                self._runner = None
            self._cond.notify_all()


class AccountSlot:
    """Who checks a protocol's account facts (folders, quota, POP3 mailbox): the first
    server that logged in. When none did, the last server to finish reports them as
    skipped, with the first server's reason."""

    def __init__(self, members: set[int]) -> None:
        self._lock = threading.Lock()
        self.owner: int | None = None
        self._blockers: dict[int, tuple[str, Params]] = {}
        self._pending = set(members)

    def finish(self, target: Target) -> bool:
        """This server is done; True when it was the last one and nobody logged in."""
        with self._lock:
            was_pending = target.index in self._pending
            self._pending.discard(target.index)
            return was_pending and not self._pending and self.owner is None

    def claim(self, target: Target) -> bool:
        with self._lock:
            if self.owner is None:
                self.owner = target.index
                return True
            return False

    def note_blocker(self, target: Target, code: str, values: Params) -> None:
        with self._lock:
            self._blockers.setdefault(target.index, (code, values))

    def first_blocker(self) -> tuple[str, Params] | None:
        """Why the first server (in configuration order) could not log in."""
        with self._lock:
            return self._blockers[min(self._blockers)] if self._blockers else None


@dataclass
class Session:
    """One server's connection and what its checks learned so far (one thread only)."""

    target: Target
    toolkit: Toolkit
    attempt: Attempt
    password: Secret | None
    gate: LoginGate
    slot: AccountSlot
    trial: Trial
    client: ClientAddress | None = None
    sock: socket.socket | None = None
    ip: str | None = None
    adapter: Adapter | None = None
    capabilities: frozenset[str] = frozenset()
    secure: bool = False  # TLS 1.2+ up, verified and judged not weak: a password may travel
    tls_blocker: str | None = None  # the code that made TLS fail
    logged_in: bool = False
    login_blocker: tuple[str, Params] | None = None
    owns_account: bool = False  # this server checks the protocol's account facts (AccountSlot)
    # (family, ip) of the host's other address family when it accepted TCP too (set by tcp).
    other_address: tuple[str, str] | None = None

    def result(
        self,
        stage: Stage,
        status: Status,
        code: str,
        values: Params | None = None,
        duration_ms: int = 0,
        data: object = None,
        suffix: str | None = None,
    ) -> CheckResult:
        t = self.target
        name = suffix or stage.name
        check_id = f"{t.protocol}-{name}" if stage.account else f"{t.prefix}-{name}"
        merged = dict(params(host=t.hostname, port=t.port, protocol=str(t.protocol), ip=self.ip))
        merged.update(values or {})
        return CheckResult(
            id=check_id,
            kind=stage.kind,
            status=status,
            code=code,
            protocol=t.protocol,
            host=t.hostname,
            port=t.port,
            security=t.security,
            params=params(**merged),
            duration_ms=duration_ms,
            data=data,  # type: ignore[arg-type]
        )

    def blocker(self, need: Need) -> tuple[str, Params] | None:
        """Why a stage that needs `need` cannot run here, as a skip code whose
        `blocked_by` names the check that failed; None when it can run."""
        prefix = self.target.prefix
        if need is Need.NOTHING:
            return None
        if self.adapter is None and self.tls_blocker is not None and need is not Need.CONNECTION:
            return "skip.tls_failed", params(blocked_by=f"{prefix}-tls", cause=self.tls_blocker)
        if self.sock is None and self.adapter is None:
            return "skip.unreachable", params(blocked_by=f"{prefix}-tcp")
        if need in (Need.GREETING, Need.LOGIN) and self.adapter is None:
            return "skip.no_greeting", params(blocked_by=f"{prefix}-greeting")
        if need is Need.LOGIN and not self.logged_in:
            if self.password is None:
                return "skip.no_password", params()
            return self.login_blocker or ("skip.no_login", params(blocked_by=f"{prefix}-auth"))
        return None

    def close(self) -> None:
        """Log out (QUIT/LOGOUT) and close; never raises."""
        adapter, self.adapter = self.adapter, None
        if adapter is not None:
            with contextlib.suppress(Exception):  # the session is over either way
                self.attempt.begin(Step.LOGOUT, adapter.sock)
                adapter.close()
            with contextlib.suppress(Exception):
                adapter.sock.close()
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.close()
        self.sock = None

