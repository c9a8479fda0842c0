"""IMAP quota (RFC 2087/9208): GETQUOTAROOT INBOX, how full, against the thresholds.

`[diagnostics] quota_warning_percent` marks a mailbox as nearly full (a warning); from
FULL_PERCENT on it is full (an error: new mail bounces any moment now).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Status
from .base import CheckResult, Details, Kind, Params, Step, Timer, failure_for, params
from .clients import ImapAdapter
from .session import Need, Session, Stage

FULL_PERCENT = 98.0
KIB = 1024


@dataclass(frozen=True)
class QuotaDetails(Details):
    root: str | None
    storage_used_bytes: int | None
    storage_limit_bytes: int | None
    messages_used: int | None
    messages_limit: int | None
    percent: float | None


def judge(details: QuotaDetails, warning_percent: float) -> tuple[Status, str, Params]:
    """Pure: the verdict for the fullest resource."""
    percent = details.percent
    values = params(
        percent=round(percent, 1) if percent is not None else None,
        # "—" when only a message-count quota is set: the words always have both numbers.
        used_mb=round(details.storage_used_bytes / KIB**2, 1) if details.storage_used_bytes is not None else "—",
        limit_mb=round(details.storage_limit_bytes / KIB**2, 1) if details.storage_limit_bytes else "—",
        warning=warning_percent,
    )
    if percent is None:
        return Status.OK, "imap.quota_unlimited", values
    if percent >= max(FULL_PERCENT, warning_percent):
        return Status.ERROR, "imap.quota_full", values
    if percent >= warning_percent:
        return Status.WARNING, "imap.quota_high", values
    return Status.OK, "imap.quota_ok", values


def measure(root: str | None, quotas: list[tuple[str, int, int]]) -> QuotaDetails:
    """Pure: (resource, usage, limit) triples → details; STORAGE counts in KiB."""
    storage = next(((u, lim) for r, u, lim in quotas if r.upper() == "STORAGE" and lim > 0), None)
    messages = next(((u, lim) for r, u, lim in quotas if r.upper() == "MESSAGE" and lim > 0), None)
    shares = [u / lim * 100 for _r, u, lim in quotas if lim > 0]
    return QuotaDetails(
        root=root,
        storage_used_bytes=storage[0] * KIB if storage else None,
        storage_limit_bytes=storage[1] * KIB if storage else None,
        messages_used=messages[0] if messages else None,
        messages_limit=messages[1] if messages else None,
        percent=max(shares) if shares else None,
    )


def run(session: Session) -> tuple[CheckResult, ...]:
    timer = Timer()
    adapter = session.adapter
    assert isinstance(adapter, ImapAdapter)
    if "QUOTA" not in session.capabilities and not any(c.startswith("QUOTA=") for c in session.capabilities):
        return (session.result(STAGE, Status.SKIPPED, "imap.quota_unsupported", params(), timer.ms),)
    try:
        session.attempt.begin(Step.QUOTA, adapter.sock)
        roots, quotas = adapter.client.get_quota_root("INBOX")
    except Exception as exc:
        failure = failure_for(exc, Step.QUOTA)
        return (session.result(STAGE, failure.status, failure.code, failure.params, timer.ms),)
    root = roots.quota_roots[0] if roots.quota_roots else None
    triples = list(dict.fromkeys((q.resource, int(q.usage), int(q.limit)) for q in quotas))
    details = measure(root, triples)
    status, code, values = judge(details, session.toolkit.options.quota_warning_percent)
    return (session.result(STAGE, status, code, values, timer.ms, details),)


STAGE = Stage(name="quota", kind=Kind.QUOTA, needs=Need.LOGIN, run=run, account=True)
