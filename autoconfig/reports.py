"""Finished diagnoses kept with their ticket: stored, found again, listed, deleted, purged,
and the staff audit log beside them.

What is stored is the report as the customer saw it, in each of the service's languages
(the link reopens it in the visitor's), with the address and the client's IP only as keyed
hashes and the link token only as its SHA-256. A report never holds a password (the
diagnosis schema has it load-only). Every method may raise `DatabaseError`: callers decide
what a missing database means for them (a diagnosis: no ticket; the console: an error).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .addresses import parse_address
from .db import Database
from .db.schema import audit_log, reports
from .errors import InvalidAddress
from .tickets import keyed_hash, new_code, new_token, parse_code, show_code, token_digest

log = logging.getLogger(__name__)

HASH_KEY = "address-hash"
PURGE_EVERY_S = 3600.0
CODE_ATTEMPTS = 8  # a clash is rare (31^6 codes); each retry draws a new code and token
MAX_LISTED = 200


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def email_key(email: str) -> str:
    """One spelling per mailbox: lower case, the domain as its A-label."""
    try:
        address = parse_address(email.strip())
    except InvalidAddress:
        return email.strip().lower()
    return f"{address.local}@{address.domain}".lower()


@dataclass(frozen=True)
class Ticket:
    code: str  # as shown: K7P-4QX
    url: str
    expires_at: dt.datetime

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "url": self.url, "expires_at": _iso(self.expires_at)}


@dataclass(frozen=True)
class StoredReport:
    id: int
    code: str  # as shown: K7P-4QX
    lang: str
    status: str
    created_at: dt.datetime
    expires_at: dt.datetime
    by_lang: Mapping[str, dict[str, Any]]

    def in_language(self, lang: str) -> dict[str, Any]:
        """The report in `lang` if it was stored in it, else as the customer saw it."""
        return dict(self.by_lang.get(lang) or self.by_lang[self.lang])

    @property
    def email(self) -> str:
        return str(self.by_lang[self.lang].get("email", ""))


@dataclass(frozen=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    target: str


def _iso(moment: dt.datetime) -> str:
    return _aware(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back without their zone; they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


_COLUMNS = (reports.c.id, reports.c.code, reports.c.lang, reports.c.status, reports.c.created_at,
            reports.c.expires_at, reports.c.report)


def _stored(row: Any) -> StoredReport:
    return StoredReport(
        id=row.id, code=show_code(row.code), lang=row.lang, status=row.status,
        created_at=_aware(row.created_at), expires_at=_aware(row.expires_at),
        by_lang=orjson.loads(row.report),
    )


class ReportStore:
    def __init__(
        self, database: Database, retention_days: int, public_url: str, purge_every_s: float = PURGE_EVERY_S
    ) -> None:
        self.database = database
        self.purge_every_s = purge_every_s
        self.retention = dt.timedelta(days=retention_days)
        self.public_url = public_url.rstrip("/")
        self._purge_lock = threading.Lock()
        self._last_purge = -purge_every_s if purge_every_s != float("inf") else time.monotonic()
        self._purging: threading.Thread | None = None
        self._words_lock = threading.Lock()
        self._words: ThreadPoolExecutor | None = None

    def link(self, token: str) -> str:
        return f"{self.public_url}/r/{token}"

    def _hash(self, value: str) -> str:
        return keyed_hash(self.database.key(HASH_KEY), value)

    def email_hash(self, email: str) -> str:
        return self._hash("email:" + email_key(email))

    def save(
        self, by_lang: Mapping[str, dict[str, Any]], *, lang: str, email: str, status: str, client: str,
        now: dt.datetime | None = None,
    ) -> Ticket:
        """Store a finished report (one JSON per language; `lang` is the customer's) and
        make its ticket."""
        now = now or utcnow()
        expires_at = now + self.retention
        engine = self.database.quick()
        values = {
            "email_hash": self.email_hash(email),
            "client_hash": self._hash("client:" + client),
            "lang": lang,
            "status": status,
            "created_at": now,
            "expires_at": expires_at,
            "report": orjson.dumps(dict(by_lang)).decode("utf-8"),
        }
        for attempt in range(CODE_ATTEMPTS):
            code, token = new_code(), new_token()
            try:
                # One statement on the quick engine: on PostgreSQL the answer does not wait
                # for the disk (asynchronous commit: a crash may lose the last fraction of a
                # second of reports, never corrupt them); a report is a convenience, not a record.
                with engine.begin() as connection:
                    connection.execute(
                        sa.insert(reports).values(code=code, token_hash=token_digest(token), **values)
                    )
                break
            except IntegrityError:
                if attempt == CODE_ATTEMPTS - 1:
                    raise
        self.purge_when_due()
        return Ticket(show_code(code), self.link(token), expires_at)

    def add_languages(self, code: str, copies: Callable[[], Mapping[str, dict[str, Any]]]) -> None:
        """Replace the stored report of ticket `code` by `copies()` (every language), later, on
        a background thread: the customer's answer does not wait for the other languages'
        words. Until then (or if this fails) a link shows the report as the customer saw it."""
        stored_code = parse_code(code)
        with self._words_lock:
            if self._words is None:
                self._words = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reports-words")
            executor = self._words

        def run() -> None:
            try:
                body = orjson.dumps(dict(copies())).decode("utf-8")
                with self.database.ready().begin() as connection:
                    connection.execute(sa.update(reports).where(reports.c.code == stored_code).values(report=body))
            except Exception:
                log.warning("storing a report's other languages failed", exc_info=True)

        executor.submit(run)

    def settle(self) -> None:
        """Wait until the languages queued so far are stored (tests, shutdown)."""
        with self._words_lock:
            executor = self._words
        if executor is not None:
            executor.submit(lambda: None).result(timeout=30)

    def _one(self, where: sa.ColumnElement[bool], now: dt.datetime | None) -> StoredReport | None:
        query = sa.select(*_COLUMNS).where(where, reports.c.expires_at > (now or utcnow()))
        with self.database.quick().connect() as connection:
            row = connection.execute(query).first()
        return _stored(row) if row is not None else None

    def by_token(self, token: str, now: dt.datetime | None = None) -> StoredReport | None:
        return self._one(reports.c.token_hash == token_digest(token), now)

    def by_code(self, text: str, now: dt.datetime | None = None) -> StoredReport | None:
        code = parse_code(text)
        return None if code is None else self._one(reports.c.code == code, now)

    def by_id(self, report_id: int, now: dt.datetime | None = None) -> StoredReport | None:
        return self._one(reports.c.id == report_id, now)

    def for_email(self, email: str, now: dt.datetime | None = None, limit: int = MAX_LISTED) -> list[StoredReport]:
        """The address's reports, newest first."""
        query = (
            sa.select(*_COLUMNS)
            .where(reports.c.email_hash == self.email_hash(email), reports.c.expires_at > (now or utcnow()))
            .order_by(reports.c.created_at.desc(), reports.c.id.desc())
            .limit(limit)
        )
        with self.database.quick().connect() as connection:
            return [_stored(row) for row in connection.execute(query)]

    def delete_email(self, email: str) -> int:
        """Every report of the address, expired or not (a privacy request); how many."""
        with self.database.ready().begin() as connection:
            done = connection.execute(sa.delete(reports).where(reports.c.email_hash == self.email_hash(email)))
        return done.rowcount or 0

    def purge(self, now: dt.datetime | None = None) -> int:
        """Remove the reports past their retention; how many."""
        with self.database.ready().begin() as connection:
            done = connection.execute(sa.delete(reports).where(reports.c.expires_at <= (now or utcnow())))
        self._last_purge = time.monotonic()
        return done.rowcount or 0

    def purge_when_due(self) -> None:
        """The service's own schedule: at most once an hour per process, on a background
        thread, after a store (a service that stores nothing has nothing to purge)."""
        if time.monotonic() - self._last_purge < self.purge_every_s or not self._purge_lock.acquire(blocking=False):
            return
        self._last_purge = time.monotonic()

        def run() -> None:
            try:
                removed = self.purge()
                if removed:
                    log.info("purged expired reports", extra={"removed": removed})
            except Exception:  # the next store tries again in an hour
                log.warning("purging expired reports failed", exc_info=True)
            finally:
                self._purge_lock.release()

        self._purging = threading.Thread(target=run, name="reports-purge", daemon=True)
        self._purging.start()

    def close(self) -> None:
        """Wait for a running purge and the queued languages, then close the database's connections."""
        if self._purging is not None:
            self._purging.join(10)
        with self._words_lock:
            executor, self._words = self._words, None
        if executor is not None:
            executor.shutdown(wait=True)
        self.database.dispose()

    def audit(self, actor: str, action: str, target: str, now: dt.datetime | None = None) -> None:
        with self.database.ready().begin() as connection:
            connection.execute(
                sa.insert(audit_log).values(at=now or utcnow(), actor=actor[:200], action=action[:32],
                                            target=target[:300])
            )

    def audit_entries(self, limit: int = 200, offset: int = 0) -> Sequence[AuditEntry]:
        query = (
            sa.select(audit_log.c.at, audit_log.c.actor, audit_log.c.action, audit_log.c.target)
            .order_by(audit_log.c.id.desc()).limit(limit).offset(offset)
        )
        with self.database.ready().connect() as connection:
            return [AuditEntry(_aware(r.at), r.actor, r.action, r.target) for r in connection.execute(query)]
