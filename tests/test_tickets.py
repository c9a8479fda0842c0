"""Tickets as customers and the helpdesk meet them: a real diagnosis (Dovecot, Knot) gets a
code and a link; the link reopens it in the visitor's language; a code alone opens nothing
publicly; a database that is away or locked costs the ticket, never the diagnosis."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from flask import Flask
from flask.testing import FlaskClient

from autoconfig import create_app, tickets
from autoconfig.diagnose import DiagnosisRequest, Diagnostician
from autoconfig.probes import Secret
from autoconfig.schemas.diagnostics import ReportSchema
from autoconfig.web.context import services
from autoconfig.web.reports import translated
from tests.diagnostics_helpers import dovecot_servers, make, publish_example_zone, raw_config
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, DovecotServer
from tests.support.ports import free_ports

URL = "/api/v1/diagnostics"
PUBLIC = "https://autoconfig.example.com"
CODE = re.compile(r"^[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}$")

AppFactory = Callable[[str], Flask]


@pytest.fixture
def make_app(dovecot_healthy: DovecotServer, test_ca: TestCA, dns_server: KnotServer,
             tmp_path: Path) -> Iterator[AppFactory]:
    """An app diagnosing the real Dovecot, storing its reports at `database_url`."""
    made: list[Flask] = []

    def build(database_url: str) -> Flask:
        raw = raw_config(dovecot_servers(dovecot_healthy), ca=test_ca, knot=dns_server)
        raw["reports"] = {"database_url": database_url, "retention_days": 30}
        config = make(raw, tmp_path)
        publish_example_zone(dns_server, config)
        app = create_app(config)
        app.config["TESTING"] = True
        made.append(app)
        return app

    yield build
    for app in made:
        services(app).reports.close()


def diagnose(client: FlaskClient, lang: str = "it", **extra: Any) -> dict[str, Any]:
    response = client.post(URL, json={"email": ALICE.address, "lang": lang, "protocols": ["imap"], **extra})
    assert response.status_code == 200
    body = response.get_json()
    assert isinstance(body, dict)
    return body


def token_of(report: dict[str, Any]) -> str:
    return str(report["ticket"]["url"]).rsplit("/", 1)[1]


def test_a_finished_diagnosis_has_a_code_and_a_link(make_app: AppFactory, database_url: str) -> None:
    report = diagnose(make_app(database_url).test_client())
    ticket = report["ticket"]
    assert CODE.match(ticket["code"])
    assert ticket["url"].startswith(PUBLIC + "/r/") and tickets.is_token(token_of(report))
    assert ticket["expires_at"].endswith("Z") and ticket["expires_at"] > report["started_at"]
    assert "ticket_unavailable" not in report


def test_the_streamed_report_ends_with_its_ticket(make_app: AppFactory, tmp_path: Path) -> None:
    client = make_app(f"sqlite:///{tmp_path / 'r.db'}").test_client()
    response = client.post(URL, json={"email": ALICE.address}, headers={"Accept": "application/x-ndjson"})
    *_, last = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert last["type"] == "report" and CODE.match(last["ticket"]["code"])


def test_the_link_reopens_the_report_in_the_visitors_language(make_app: AppFactory, database_url: str) -> None:
    # Given a check the customer ran in Italian
    client = make_app(database_url).test_client()
    made = diagnose(client, lang="it")
    token = token_of(made)
    services(client.application).reports.settle()  # the other languages are stored right after the answer
    # When the link is opened by an English reader
    english = client.get(f"/api/v1/reports/{token}", headers={"Accept-Language": "en"})
    italian = client.get(f"/api/v1/reports/{token}?lang=it")
    # Then the same checks come in English, with the same ticket
    assert english.status_code == 200 and english.headers["Cache-Control"].startswith("no-store")
    body = english.get_json()
    assert body["ticket"] == made["ticket"] and body["lang"] == "en"
    assert [c["code"] for c in body["checks"]] == [c["code"] for c in made["checks"]]
    assert [c["message"] for c in italian.get_json()["checks"]] == [c["message"] for c in made["checks"]]
    assert body["checks"][0]["message"] != made["checks"][0]["message"]


def test_the_report_page_shows_the_results_block_in_the_visitors_language(
        make_app: AppFactory, tmp_path: Path) -> None:
    client = make_app(f"sqlite:///{tmp_path / 'r.db'}").test_client()
    token = token_of(diagnose(client))
    services(client.application).reports.settle()
    page = client.get(f"/r/{token}?lang=en")
    assert page.status_code == 200 and page.headers["X-Robots-Tag"] == "noindex, nofollow"
    doc = lxml.html.fromstring(page.get_data(as_text=True))
    assert doc.get("lang") == "en"
    results = doc.get_element_by_id("check-results")
    assert results.get("data-report") == f"/api/v1/reports/{token}?lang=en"
    assert ALICE.address in doc.text_content()
    italian = lxml.html.fromstring(client.get(f"/r/{token}?lang=it").get_data(as_text=True))
    assert "Risultati del controllo" in italian.text_content()


def test_a_code_or_a_made_up_token_opens_nothing_publicly(make_app: AppFactory, tmp_path: Path) -> None:
    # Given a stored report
    client = make_app(f"sqlite:///{tmp_path / 'r.db'}").test_client()
    code = diagnose(client)["ticket"]["code"]
    # When someone tries its code, or guesses, at the public URLs
    tries = [code, code.replace("-", ""), code.lower(), tickets.new_token(), "x" * 22, "../helpdesk/"]
    for guess in tries:
        for path in (f"/r/{guess}", f"/api/v1/reports/{guess}"):
            response = client.get(path)
            # Then nothing is found, and the answer says nothing of the report
            assert response.status_code == 404, (path, response.status_code)
            assert ALICE.address not in response.get_data(as_text=True)


def test_guessing_codes_at_the_public_url_finds_nothing(make_app: AppFactory, tmp_path: Path) -> None:
    client = make_app(f"sqlite:///{tmp_path / 'r.db'}").test_client()
    codes = {diagnose(client)["ticket"]["code"] for _ in range(3)}
    guesses = list(codes) + [tickets.show_code(tickets.new_code()) for _ in range(300)]
    found = [g for g in guesses if client.get(f"/api/v1/reports/{g}").status_code != 404]
    assert found == []


def _unreachable_postgres() -> str:
    return f"postgresql://postgres@127.0.0.1:{free_ports(1)[0]}/reports"


@pytest.mark.parametrize("lang", ["it", "en"])
def test_with_the_database_away_the_diagnosis_answers_and_says_why_there_is_no_ticket(
        make_app: AppFactory, lang: str) -> None:
    client = make_app(_unreachable_postgres()).test_client()
    report = diagnose(client, lang=lang)
    assert report["checks"] and report["ticket"] is None
    why = report["ticket_unavailable"]
    assert why["code"] == "ticket.unavailable"
    expected = {"it": "Non siamo riusciti a salvare questo controllo", "en": "We could not save this check"}[lang]
    assert why["message"].startswith(expected) and why["remedy"]
    page = client.get(f"/r/{tickets.new_token()}")
    assert page.status_code == 503


def test_with_the_sqlite_file_locked_the_diagnosis_answers_without_a_ticket(
        make_app: AppFactory, tmp_path: Path) -> None:
    # Given a database another process holds an exclusive lock on
    path = tmp_path / "locked.db"
    client = make_app(f"sqlite:///{path}").test_client()
    diagnose(client)  # the tables exist
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        # When a diagnosis finishes
        started = time.monotonic()
        report = diagnose(client)
        # Then it answers within the lock's short wait, without a ticket
        assert report["ticket"] is None and report["ticket_unavailable"]["code"] == "ticket.unavailable"
        assert time.monotonic() - started < 6
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert diagnose(client)["ticket"] is not None  # and the next one has its ticket again


def test_no_two_tokens_in_100000() -> None:
    drawn = {tickets.new_token() for _ in range(100_000)}
    assert len(drawn) == 100_000
    assert all(tickets.is_token(t) for t in list(drawn)[:1000])


def test_codes_avoid_the_look_alikes_and_read_back_in_any_spelling() -> None:
    codes = [tickets.new_code() for _ in range(20_000)]
    used = set("".join(codes))
    assert used == set(tickets.ALPHABET) and not used & set("0O1IL")
    code = codes[0]
    assert tickets.parse_code(tickets.show_code(code).lower()) == code
    assert tickets.parse_code("K7P-4QO") is None and tickets.parse_code("K7P-4Q") is None


def test_the_stored_copy_in_another_language_is_the_report_dumped_in_that_language(
        make_app: AppFactory, tmp_path: Path) -> None:
    # Given a real finished diagnosis (with a password: logins, folders, advice) dumped in Italian
    app = make_app(f"sqlite:///{tmp_path / 'r.db'}")
    svc = services(app)
    owner = Diagnostician(svc.config, svc.directory, svc.resolver)
    diagnosis = owner.start(DiagnosisRequest(ALICE.address, Secret(ALICE.password), lang="it"))
    shown = ReportSchema().dump(diagnosis.run())
    # When the English copy is made the cheap way, by swapping the words
    english = translated(diagnosis, shown, "en")
    # Then it is exactly what dumping the English report gives
    assert english == ReportSchema().dump(diagnosis.report("en"))
    assert english["checks"][0]["message"] != shown["checks"][0]["message"]
