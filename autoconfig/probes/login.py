"""The login (IMAP with imapclient, POP3 with poplib), judged by response codes.

A password is sent only over TLS whose certificate verified, and only when the
capabilities read over that TLS allow a password login; otherwise the check is
`skipped` with `auth.not_attempted_insecure`. A host built from %EMAILDOMAIN% gets it only
at an address inside the provider's `login_networks` (`auth.not_attempted_foreign_host`).
Non-ASCII passwords go as SASL PLAIN in UTF-8. The server's answer is classified by its
response code (RFC 5530 for IMAP, RFC 2449/3206 for POP3), never by its wording, which
differs between servers and languages.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..model import Protocol, Security, Status
from .base import CheckResult, Details, Failure, Kind, Params, Step, Timer, failure_for, params
from .clients import Adapter, LoginRefused, open_adapter
from .session import Need, Session, Stage

# RFC 5530 response codes → our codes. No code at all means a wrong password.
IMAP_CODES: Mapping[str, str] = {
    "AUTHENTICATIONFAILED": "auth.failed",
    "AUTHORIZATIONFAILED": "auth.failed",
    "EXPIRED": "auth.disabled",
    "CONTACTADMIN": "auth.disabled",
    "NOPERM": "auth.disabled",
    "PRIVACYREQUIRED": "auth.plaintext_refused",
    "UNAVAILABLE": "auth.unavailable",
    "SERVERBUG": "auth.unavailable",
    "LIMIT": "auth.too_many_connections",
    "INUSE": "auth.too_many_connections",
}
# RFC 2449 / RFC 3206 POP3 response codes.
POP3_CODES: Mapping[str, str] = {
    "AUTH": "auth.failed",
    "SYS/TEMP": "auth.unavailable",
    "SYS/PERM": "auth.disabled",
    "IN-USE": "auth.too_many_connections",
    "LOGIN-DELAY": "auth.too_many_connections",
}
MAX_RETRIES = 3  # logins refused because of our own other sessions
_RESPONSE_CODE = re.compile(r"\[([A-Za-z][A-Za-z0-9/-]*)[\] ]")


def response_code(reply: str) -> str | None:
    """The bracketed response code of a reply (`[AUTHENTICATIONFAILED] …` → AUTHENTICATIONFAILED)."""
    match = _RESPONSE_CODE.search(reply[:80])
    return match.group(1).upper() if match else None


def classify_imap(reply: str) -> str:
    return IMAP_CODES.get(response_code(reply) or "", "auth.failed")


def classify_pop3(reply: str) -> str:
    return POP3_CODES.get(response_code(reply) or "", "auth.failed")


@dataclass(frozen=True)
class AuthDetails(Details):
    username: str
    mechanism: str | None = None
    reply: str | None = None
    tls: bool = False
    # Did the server take the customer's address (Forwarded.*)? None: not configured to.
    client_address: str | None = None


@dataclass(frozen=True)
class Outcomes:
    """The codes one protocol uses for the shared login steps."""

    ok: str
    not_offered: str
    classify: Callable[[str, int | None], str]


IMAP_OUTCOMES = Outcomes("auth.ok", "auth.disabled", lambda reply, _code: classify_imap(reply))
POP3_OUTCOMES = Outcomes("auth.ok", "auth.disabled", lambda reply, _code: classify_pop3(reply))


# SASL mechanisms that carry an OAuth2 token, not a password (RFC 7628; Google's XOAUTH2).
OAUTH2_MECHANISMS = ("OAUTHBEARER", "XOAUTH2")
PASSWORD_MECHANISMS = ("PLAIN", "LOGIN")


def oauth2_only(caps: frozenset[str]) -> tuple[str, ...]:
    """The OAuth2 mechanisms a server offers when it offers no password mechanism (IMAP
    `AUTH=`, POP3 `SASL=`, SMTP `AUTH=` tokens); empty when a password login is possible."""
    offered = {c.split("=", 1)[1] for c in caps if c.startswith(("AUTH=", "SASL="))}
    if offered & set(PASSWORD_MECHANISMS):
        return ()
    return tuple(m for m in OAUTH2_MECHANISMS if m in offered)


def _plaintext_refused(session: Session) -> bool:
    """A server configured without TLS whose capabilities refuse a cleartext login."""
    return not session.adapter.login_offered(session.capabilities) if session.adapter else False


# Codes a login that got no answer in time would otherwise get: after a good greeting and
# TLS, the server is holding the login back (Dovecot's auth penalty, a busy auth backend).
_LATE = frozenset({"net.timeout", "diag.cut_short"})


def slowed(failure: Failure, step: Step, waited_ms: int) -> Failure:
    """A login answered late, or cut by the deadline, is `auth.slowed`, not a network fault."""
    if step is Step.LOGIN and failure.code in _LATE:
        return Failure("auth.slowed", Status.ERROR, params(seconds=max(1, round(waited_ms / 1000))))
    return failure


def attempt_login(session: Session, stage: Stage, outcomes: Outcomes) -> tuple[CheckResult, ...]:
    timer = Timer()
    t = session.target
    details = AuthDetails(username=t.username, tls=session.secure)
    adapter = session.adapter
    assert adapter is not None

    def done(status: Status, code: str, values: Params, data: AuthDetails = details) -> tuple[CheckResult, ...]:
        if not session.logged_in:
            blocked = ("skip.no_password", params()) if session.password is None else \
                ("skip.no_login", params(blocked_by=f"{t.prefix}-{stage.name}", cause=code))
            session.login_blocker = blocked
            session.slot.note_blocker(t, *blocked)
        return (session.result(stage, status, code, values, timer.ms, data),)

    if session.password is None:
        return done(Status.SKIPPED, "auth.skipped", params())
    if not t.takes_password_at(session.ip):
        return done(Status.SKIPPED, "auth.not_attempted_foreign_host", params(ip=session.ip))
    if not session.secure:
        if t.security is Security.PLAIN and _plaintext_refused(session):
            return done(Status.ERROR, "auth.plaintext_refused", params(blocked_by=f"{t.prefix}-tls"))
        return done(Status.SKIPPED, "auth.not_attempted_insecure",
                    params(blocked_by=f"{t.prefix}-tls", cause=session.tls_blocker))
    oauth2 = oauth2_only(session.capabilities)
    if not adapter.login_offered(session.capabilities):
        if oauth2:  # the diagnosis logs in with the password; this server wants a token
            return done(Status.ERROR, "auth.oauth2_only", params(mechanisms=" ".join(oauth2)))
        # The capability that said no, as the server wrote it (never words of ours inside the reply).
        said = "LOGINDISABLED" if t.protocol is Protocol.IMAP else "CAPA"
        return done(Status.ERROR, outcomes.not_offered, params(reply=said))
    try:
        stopped = session.trial.begin(t.index, session.attempt)
    except Exception as exc:
        failure = failure_for(exc, session.attempt.step)
        return done(failure.status, failure.code, failure.params)
    if stopped is not None:
        return done(Status.SKIPPED, *stopped)
    results: tuple[CheckResult, ...] = ()
    try:
        results = _log_in(session, stage, outcomes, adapter, timer, done)
        return results
    finally:
        code = results[0].code if results else ""
        session.trial.end(t.index, f"{t.prefix}-{stage.name}", code, session.logged_in)


def _forward(session: Session, adapter: Adapter) -> str | None:
    """Announce the customer's address when this server is configured for it."""
    if not session.target.forward_client_address:
        return None
    if session.client is None:
        return "none"
    session.attempt.begin(Step.CLIENT_ADDRESS, adapter.sock)
    return adapter.forward(session.client)


def _log_in(
    session: Session, stage: Stage, outcomes: Outcomes, adapter: Adapter, timer: Timer,
    done: Callable[..., tuple[CheckResult, ...]],
) -> tuple[CheckResult, ...]:
    t = session.target
    assert session.password is not None
    gate, me = session.gate, t.index
    retries = 0
    forwarded: str | None = None
    oauth2 = oauth2_only(session.capabilities)
    while True:
        stamp = gate.enter(me)
        try:
            forwarded = _forward(session, adapter)
            if forwarded is not None and t.protocol is Protocol.SMTP:
                session.capabilities = adapter.capabilities()  # EHLO again after XCLIENT
            session.attempt.begin(Step.LOGIN, adapter.sock)
            mechanism = adapter.login(t.username, session.password, session.capabilities)
            break
        except LoginRefused as refused:
            ours = gate.interfered(me, stamp)
            gate.leave(me)
            code = outcomes.classify(refused.reply, refused.smtp_code)
            if oauth2 and code in ("auth.failed", "smtp.auth_failed"):  # a password command; only tokens log in
                return done(Status.ERROR, "auth.oauth2_only", params(mechanisms=" ".join(oauth2)))
            if code == "auth.too_many_connections" and ours and retries < MAX_RETRIES:
                # Refused because of our own other session: wait for it, then again.
                retries += 1
                try:
                    gate.wait_alone(me, session.attempt)
                    adapter = _reopen(session)
                except Exception as exc:
                    failure = failure_for(exc, session.attempt.step)
                    return done(failure.status, failure.code, failure.params)
                continue
            data = AuthDetails(username=t.username, reply=refused.reply, tls=True, client_address=forwarded)
            return done(Status.ERROR, code, params(reply=refused.reply, username=t.username), data)
        except Exception as exc:
            gate.leave(me)
            step = session.attempt.step
            failure = slowed(failure_for(exc, step), step, timer.ms)
            data = AuthDetails(username=t.username, tls=True, client_address=forwarded)
            return done(failure.status, failure.code, failure.params, data)
    session.logged_in = True
    session.owns_account = session.slot.claim(t)
    if t.protocol is Protocol.IMAP:
        try:  # what the server offers once logged in (QUOTA, SPECIAL-USE…)
            session.attempt.begin(Step.CAPABILITIES, adapter.sock)
            session.capabilities = adapter.capabilities()
        except Exception as exc:
            failure = failure_for(exc, Step.CAPABILITIES)
            session.logged_in = False
            return done(failure.status, failure.code, failure.params)
    data = AuthDetails(username=t.username, mechanism=mechanism, tls=True, client_address=forwarded)
    return done(Status.OK, outcomes.ok, params(username=t.username, mechanism=mechanism), data)


def _reopen(session: Session) -> Adapter:
    """A fresh connection to the same address, secured as configured, quietly (the TLS
    and greeting checks already reported on this server)."""
    t = session.target
    session.close()
    assert session.ip is not None
    timeout = session.attempt.begin(Step.CONNECT)
    sock = socket.create_connection((session.ip, t.port), timeout=timeout)
    session.attempt.track(sock)
    session.sock = sock
    if t.security is Security.TLS:
        session.attempt.begin(Step.TLS_HANDSHAKE, sock)
        sock = session.toolkit.tls.wrap_socket(sock, server_hostname=t.hostname)
        session.attempt.track(sock)
        session.sock = sock
    session.attempt.begin(Step.GREETING, sock)
    adapter = open_adapter(t.protocol, t.hostname, t.port, sock, t.security is Security.TLS)
    session.adapter = adapter
    if t.security is Security.STARTTLS:
        session.attempt.begin(Step.STARTTLS, adapter.sock)
        adapter.starttls(session.toolkit.tls)
        session.attempt.track(adapter.sock)
    session.attempt.begin(Step.CAPABILITIES, adapter.sock)
    session.capabilities = adapter.capabilities()
    return adapter


def run(session: Session) -> tuple[CheckResult, ...]:
    outcomes = IMAP_OUTCOMES if session.target.protocol is Protocol.IMAP else POP3_OUTCOMES
    return attempt_login(session, STAGE, outcomes)


STAGE = Stage(name="auth", kind=Kind.AUTH, needs=Need.GREETING, run=run)
