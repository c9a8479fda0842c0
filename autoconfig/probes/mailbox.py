"""POP3 mailbox: STAT (messages, size) and UIDL, which a client needs to leave a copy
on the server without downloading everything again. Never DELE: QUIT changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Status
from .base import CheckResult, Details, Kind, Step, Timer, failure_for, params
from .clients import Pop3Adapter
from .session import Need, Session, Stage


@dataclass(frozen=True)
class MailboxDetails(Details):
    messages: int
    size_bytes: int
    uidl: bool


def run(session: Session) -> tuple[CheckResult, ...]:
    timer = Timer()
    adapter = session.adapter
    assert isinstance(adapter, Pop3Adapter)
    try:
        session.attempt.begin(Step.STAT, adapter.sock)
        messages, size = adapter.stat()
    except Exception as exc:
        failure = failure_for(exc, Step.STAT)
        return (session.result(STAGE, failure.status, failure.code, failure.params, timer.ms),)
    uidl = True
    try:
        session.attempt.begin(Step.UIDL, adapter.sock)
        adapter.uidl()
    except Exception as exc:
        failure = failure_for(exc, Step.UIDL)
        if failure.code != "proto.unexpected_reply":  # -ERR means "no UIDL"; anything else is a fault
            return (session.result(STAGE, failure.status, failure.code, failure.params, timer.ms),)
        uidl = False
    details = MailboxDetails(messages=messages, size_bytes=size, uidl=uidl)
    values = params(messages=messages, size_mb=round(size / 1024**2, 1))
    if not uidl:
        return (session.result(STAGE, Status.WARNING, "pop3.uidl_missing", values, timer.ms, details),)
    return (session.result(STAGE, Status.OK, "pop3.mailbox_ok", values, timer.ms, details),)


STAGE = Stage(name="mailbox", kind=Kind.MAILBOX, needs=Need.LOGIN, run=run, account=True)
