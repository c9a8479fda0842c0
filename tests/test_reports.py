"""The report store on a real SQLite file and a real PostgreSQL (each test runs on both):
tickets, lookups by link, code and address, retention, deletion, the audit log."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from autoconfig import tickets
from autoconfig.cli import main
from autoconfig.db import Database
from autoconfig.db.schema import reports
from autoconfig.reports import ReportStore, Ticket
from tests.conftest import base_raw
from tests.support.procs import write_config

PUBLIC = "https://autoconfig.example.com"
EMAIL = "Mario.Rossi@Example.com"


def report(email: str = EMAIL, status: str = "warning") -> dict[str, dict[str, object]]:
    """One report in both languages, as a diagnosis stores it."""
    base = {"email": email, "status": status, "checks": [{"id": "imap-993-tls", "code": "tls.ok"}]}
    return {"it": {**base, "lang": "it", "checks": [{"message": "Il certificato va bene."}]},
            "en": {**base, "lang": "en", "checks": [{"message": "The certificate is fine."}]}}


@pytest.fixture
def store(database_url: str) -> Iterator[ReportStore]:
    database = Database(database_url)
    yield ReportStore(database, retention_days=30, public_url=PUBLIC + "/", purge_every_s=float("inf"))
    database.dispose()


def save(store: ReportStore, email: str = EMAIL, when: dt.datetime | None = None,
         client: str = "203.0.113.9") -> Ticket:
    return store.save(report(email), lang="it", email=email, status="warning", client=client, now=when)




def test_a_stored_report_gets_a_code_and_a_secret_link(store: ReportStore) -> None:
    ticket = save(store)
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}", ticket.code)
    token = ticket.url.removeprefix(PUBLIC + "/r/")
    assert tickets.is_token(token) and len(token) == 22
    found = store.by_token(token)
    assert found is not None and found.code == ticket.code
    assert found.in_language("en")["checks"] == [{"message": "The certificate is fine."}]
    assert found.in_language("it")["lang"] == "it"
    assert found.in_language("de")["lang"] == "it"  # a language never stored: as the customer saw it


def test_the_code_is_read_back_however_it_is_typed(store: ReportStore) -> None:
    code = save(store).code
    for typed in (code, code.lower(), code.replace("-", ""), f"  {code[:3]} {code[4:]} ", code.replace("-", "–")):
        found = store.by_code(typed)
        assert found is not None and found.code == code, typed
    assert store.by_code("O0I-1L0") is None


def test_only_hashes_are_stored_for_the_link_the_address_and_the_client(store: ReportStore) -> None:
    ticket = save(store, client="203.0.113.9")
    token = ticket.url.rsplit("/", 1)[1]
    with store.database.engine.connect() as connection:
        row = connection.execute(sa.select(reports)).one()
    assert row.token_hash == tickets.token_digest(token) and token not in row.token_hash
    assert row.client_hash != "203.0.113.9" and len(row.client_hash) == 64
    assert "mario" not in row.email_hash.lower() and len(row.email_hash) == 64
    assert row.code == ticket.code.replace("-", "")


def test_an_address_lists_its_reports_newest_first_whatever_its_letter_case(store: ReportStore) -> None:
    now = dt.datetime.now(dt.UTC)
    older = save(store, when=now - dt.timedelta(hours=2))
    newer = save(store, when=now - dt.timedelta(hours=1))
    save(store, email="other@example.com")
    listed = store.for_email("mario.rossi@EXAMPLE.COM")
    assert [r.code for r in listed] == [newer.code, older.code]


def test_expired_reports_are_gone_and_purged(store: ReportStore, tmp_path: Path, database_url: str) -> None:
    # Given a report made 31 days ago (retention: 30) and one made now
    old = save(store, when=dt.datetime.now(dt.UTC) - dt.timedelta(days=31))
    fresh = save(store)
    # Then the old one opens neither by link, nor by code, nor in the address's list
    assert store.by_token(old.url.rsplit("/", 1)[1]) is None
    assert store.by_code(old.code) is None
    assert [r.code for r in store.for_email(EMAIL)] == [fresh.code]
    # When the admin purges
    raw = base_raw()
    raw["reports"] = {"database_url": database_url, "retention_days": 30}
    result = CliRunner().invoke(main, ["reports", "purge", "--config", str(write_config(raw, tmp_path / "c.toml"))])
    # Then the old row is removed, the fresh one stays
    assert result.exit_code == 0 and "purged 1 expired report(s)" in result.output
    with store.database.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(reports)).scalar() == 1


def test_the_service_purges_by_itself_after_a_store(database_url: str) -> None:
    # Given a store whose schedule is due, and a report past its retention
    database = Database(database_url)
    store = ReportStore(database, 30, PUBLIC, purge_every_s=0)
    store._last_purge = time.monotonic()  # the schedule not yet due for this first store
    old = save(store, when=dt.datetime.now(dt.UTC) - dt.timedelta(days=31))
    # When the next report is stored
    save(store)
    assert store._purging is not None
    store._purging.join(10)
    # Then the old one was removed from the database, not merely hidden
    with database.engine.connect() as connection:
        codes = connection.execute(sa.select(reports.c.code)).scalars().all()
    assert old.code.replace("-", "") not in codes and len(codes) == 1
    database.dispose()


def test_deleting_an_address_removes_all_its_reports_and_nothing_else(store: ReportStore) -> None:
    first, second = save(store), save(store, when=dt.datetime.now(dt.UTC) - dt.timedelta(days=40))
    kept = save(store, email="other@example.com")
    assert store.delete_email("MARIO.ROSSI@example.com") == 2
    assert store.by_code(first.code) is None and store.for_email(EMAIL) == []
    assert store.by_code(kept.code) is not None
    assert second.code != first.code


def test_a_code_clash_draws_another_code(store: ReportStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a generator that first repeats a code already taken
    taken = save(store).code.replace("-", "")
    drawn = iter([taken, taken, "ABCDEF"])
    monkeypatch.setattr("autoconfig.reports.new_code", lambda: next(drawn))
    # When another report is stored, then it gets the next free code
    assert save(store).code == "ABC-DEF"


def test_the_audit_log_keeps_who_did_what_newest_first(store: ReportStore) -> None:
    store.audit("anna", "view", "K7P-4QX")
    store.audit("token:zammad", "search", "a1b2c3@example.com")
    entries = store.audit_entries()
    assert [(e.actor, e.action, e.target) for e in entries] == [
        ("token:zammad", "search", "a1b2c3@example.com"), ("anna", "view", "K7P-4QX")]
    assert entries[0].at.tzinfo is not None


def test_two_stores_on_one_database_read_each_others_reports(database_url: str) -> None:
    one, two = Database(database_url), Database(database_url)
    ticket = ReportStore(one, 30, PUBLIC).save(report(), lang="it", email=EMAIL, status="ok", client="::1")
    found = ReportStore(two, 30, PUBLIC).by_code(ticket.code)
    assert found is not None and found.email == EMAIL
    one.dispose()
    two.dispose()
