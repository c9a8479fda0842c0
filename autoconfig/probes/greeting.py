"""The greeting: does the port speak IMAP, POP3 or SMTP? Then its capabilities.

The standard client libraries read and check the banner themselves (imaplib wants
`* OK`/`* PREAUTH`, poplib `+OK`, smtplib `220`); anything else is `proto.bad_greeting`,
and a banner that refuses us (`* BYE`, `-ERR`, `421`/`554`) is `proto.greeting_refused`.
Reported as a `tcp` check: it is about the connection answering, like the SPEC's
network codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model import Security, Status
from .base import CheckResult, Details, Kind, Step, Timer, clean_text, failure_for, params
from .clients import open_adapter
from .session import Need, Session, Stage

_REFUSAL = re.compile(r"^(\* ?BYE|-ERR|[45]\d\d)\b", re.IGNORECASE)
_SHOWN_CAPABILITIES = 40
_CAPABILITY_CHARS = 64  # the longest real ones (AUTH=SCRAM-SHA-256-PLUS, QUOTA=RES-STORAGE) are ~30


@dataclass(frozen=True)
class GreetingDetails(Details):
    banner: str | None = None
    capabilities: tuple[str, ...] = ()
    ip: str | None = None


def shown_capabilities(capabilities: frozenset[str]) -> tuple[str, ...]:
    """What a report shows of a server's capability tokens: cleaned, each cut short, a bounded number (pure)."""
    return tuple(clean_text(c, _CAPABILITY_CHARS) for c in sorted(capabilities)[:_SHOWN_CAPABILITIES])


def run(session: Session) -> tuple[CheckResult, ...]:
    timer = Timer()
    t = session.target
    assert session.sock is not None
    step = Step.GREETING
    try:
        session.attempt.begin(step, session.sock)
        adapter = open_adapter(t.protocol, t.hostname, t.port, session.sock, t.security is Security.TLS)
        session.adapter = adapter
        step = Step.CAPABILITIES
        session.attempt.begin(step, adapter.sock)
        session.capabilities = adapter.capabilities()
    except Exception as exc:
        failure = failure_for(exc, step)
        code, values = failure.code, failure.params
        if code == "proto.bad_greeting" and _REFUSAL.match(str(values.get("received", ""))):
            code = "proto.greeting_refused"
        # The connection is of no further use; a closed socket (not None) tells the
        # stages after this one that the greeting, not the connection, failed.
        if session.adapter is not None:
            session.adapter.sock.close()
            session.adapter = None
        session.sock.close()
        return (session.result(STAGE, failure.status, code, values, timer.ms, GreetingDetails(ip=session.ip)),)
    details = GreetingDetails(
        banner=adapter.greeting,
        capabilities=shown_capabilities(session.capabilities),
        ip=session.ip,
    )
    return (session.result(STAGE, Status.OK, "proto.ok", params(banner=adapter.greeting), timer.ms, details),)


STAGE = Stage(name="greeting", kind=Kind.TCP, needs=Need.CONNECTION, run=run)
AFTER_TLS_STAGE = Stage(name="greeting", kind=Kind.TCP, needs=Need.TLS, run=run)
