"""The helpdesk console and its API, through Flask's test client on a real SQLite file (and
PostgreSQL where storage matters): sign-in, cookies, CSRF, rate limit, SSO, lookups, compare,
deletion, audit, bearer tokens, and the CLI that writes the users and tokens files."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from autoconfig import create_app
from autoconfig.cli import main
from autoconfig.config import build_config
from autoconfig.reports import Ticket
from autoconfig.staff import add_token, add_user
from autoconfig.web.context import services
from tests.conftest import base_raw
from tests.support.procs import write_config

PASSWORD = "correct horse battery"
EMAIL = "mario.rossi@example.com"

AppFactory = Callable[..., Flask]


def check(check_id: str, status: str, code: str, **data: Any) -> dict[str, Any]:
    return {"id": check_id, "kind": "tls", "protocol": "imap", "host": "mail.example.com", "port": 993,
            "security": "tls", "status": status, "code": code, "message": f"msg {code}", "remedy": None,
            "duration_ms": 42, "params": {"host": "mail.example.com"}, "data": data}


def report(status: str = "error", tls: str = "error", email: str = EMAIL) -> dict[str, dict[str, Any]]:
    body = {"email": email, "domain": "example.com", "provider": "example", "duration_ms": 840,
            "status": status, "started_at": "2026-12-01T10:00:00Z", "recommendation": None,
            "checks": [check("dns-mx", "ok", "dns.mx_ok"),
                       check("imap-993-tls", tls, "tls.ok" if tls == "ok" else "tls.expired",
                             tls_version="TLSv1.3", days_left=-3)]}
    return {"it": {**body, "lang": "it"}, "en": {**body, "lang": "en"}}


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[AppFactory]:
    made: list[Flask] = []

    def build(database_url: str | None = None, **service: Any) -> Flask:
        raw = base_raw()
        raw["service"].update(service)
        raw["reports"] = {"database_url": database_url or f"sqlite:///{tmp_path / 'reports.db'}"}
        raw["helpdesk"] = {"users_file": "users.txt", "api_tokens_file": "tokens.txt",
                           "trusted_user_header": "X-Remote-User"}
        app = create_app(build_config(raw, base_dir=tmp_path))
        app.config["TESTING"] = True
        made.append(app)
        return app

    add_user(tmp_path / "users.txt", "anna", PASSWORD)
    yield build
    for app in made:
        services(app).reports.close()


def store(app: Flask, when: dt.datetime | None = None, **kwargs: Any) -> Ticket:
    email = kwargs.get("email", EMAIL)
    return services(app).reports.save(report(**kwargs), lang="it", email=email, status="error",
                                      client="203.0.113.7", now=when)


def csrf(client: FlaskClient, path: str = "/helpdesk/sign-in") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    assert found, page.status_code
    return found.group(1)


def sign_in(client: FlaskClient, name: str = "anna", password: str = PASSWORD) -> Any:
    return client.post("/helpdesk/sign-in", data={"csrf_token": csrf(client), "name": name, "password": password})


def text(response: Any) -> str:
    return " ".join(lxml.html.fromstring(response.get_data(as_text=True)).text_content().split())


def test_without_sign_in_the_console_and_the_api_reveal_nothing(make_app: AppFactory) -> None:
    app = make_app()
    ticket = store(app)
    client = app.test_client()
    for path in ("/helpdesk/", "/helpdesk/reports/1", "/helpdesk/audit"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/helpdesk/sign-in")
        assert EMAIL not in response.get_data(as_text=True)
    for query in (f"code={ticket.code}", f"email={EMAIL}", "code=nonsense"):
        for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic YW5uYTp4"}):
            response = client.get(f"/api/v1/helpdesk/reports?{query}", headers=headers)
            assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")
            assert response.get_json() == {"error": "unauthorized",
                                           "message": "sign in to the helpdesk console or send a valid bearer token"}


def test_sign_in_sets_a_strict_private_cookie(make_app: AppFactory) -> None:
    client = make_app().test_client()
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"].startswith("/helpdesk/")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("autoconfig_staff="))
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/helpdesk/").status_code == 200


def test_over_plain_http_the_cookie_is_not_secure(make_app: AppFactory) -> None:
    client = make_app(public_url="http://127.0.0.1:8080").test_client()
    cookie = next(c for c in sign_in(client).headers.getlist("Set-Cookie") if c.startswith("autoconfig_staff="))
    assert "; Secure" not in cookie and "SameSite=Strict" in cookie


def test_wrong_passwords_are_refused_then_rate_limited(make_app: AppFactory) -> None:
    client = make_app().test_client()
    answers = [sign_in(client, password="wrong password!") for _ in range(5)]
    assert [a.status_code for a in answers] == [401] * 5
    assert "Nome o password errati." in text(answers[0])
    # The right password too is refused while the limit holds, and says how long to wait
    refused = sign_in(client)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Troppi tentativi di accesso" in text(refused)


def test_forms_without_their_csrf_token_are_refused(make_app: AppFactory) -> None:
    app = make_app()
    store(app)
    client = app.test_client()
    assert client.post("/helpdesk/sign-in", data={"name": "anna", "password": PASSWORD}).status_code == 400
    sign_in(client)
    refused = client.post("/helpdesk/delete", data={"email": EMAIL, "confirm": "y"})
    assert refused.status_code == 400 and "Questo modulo è scaduto" in text(refused)
    forged = client.post("/helpdesk/delete", data={"email": EMAIL, "confirm": "y", "csrf_token": "forged"})
    assert forged.status_code == 400
    assert len(services(app).reports.for_email(EMAIL)) == 1


def test_a_code_read_over_the_phone_opens_the_staff_view_with_technical_details(make_app: AppFactory) -> None:
    app = make_app()
    ticket = store(app)
    client = app.test_client()
    sign_in(client)
    typed = ticket.code.lower().replace("-", " ")
    found = client.post("/helpdesk/?lang=en", data={"csrf_token": csrf(client, "/helpdesk/"), "code": typed})
    assert found.status_code == 302
    page = client.get(found.headers["Location"])
    words = text(page)
    assert page.status_code == 200 and f"Report {ticket.code}" in words
    for detail in ("tls.expired", "mail.example.com:993", "TLSv1.3", "days_left", "42", EMAIL):
        assert detail in words, detail
    missing = client.post("/helpdesk/?lang=en", data={"csrf_token": csrf(client, "/helpdesk/"), "code": "ZZZ-ZZZ"})
    assert missing.status_code == 400 and "No report has this code" in text(missing)


def test_an_address_lists_its_reports_newest_first_and_two_compare(make_app: AppFactory, database_url: str) -> None:
    # Given yesterday's failing check and today's good one
    app = make_app(database_url)
    now = dt.datetime.now(dt.UTC)
    yesterday = store(app, when=now - dt.timedelta(days=1))
    today = store(app, when=now, status="ok", tls="ok")
    store(app, email="other@example.com")
    client = app.test_client()
    sign_in(client)
    # When staff list the address (typed in another letter case)
    listed = client.post("/helpdesk/address?lang=en",
                         data={"csrf_token": csrf(client, "/helpdesk/"), "email": "Mario.Rossi@EXAMPLE.com"})
    doc = lxml.html.fromstring(listed.get_data(as_text=True))
    codes = [c.text_content() for c in doc.xpath("//form[@id='compare-form']//td//code")]
    assert codes == [today.code, yesterday.code]
    # And compare the two
    ids = [box.get("value") for box in doc.xpath("//input[@name='report']")]
    token = doc.xpath("//form[@id='compare-form']//input[@name='csrf_token']")[0].get("value")
    compared = client.post("/helpdesk/compare?lang=en", data={"csrf_token": token, "email": EMAIL, "report": ids})
    # Then the TLS check shows old status next to new, and only it changed
    assert compared.status_code == 200
    table = lxml.html.fromstring(compared.get_data(as_text=True))
    changed = table.xpath("//table[@id='compare-table']//tr[@class='changed']")
    assert [row.get("data-check") for row in changed] == ["imap-993-tls"]
    cells = [" ".join(" ".join(td.itertext()).split()) for td in changed[0].xpath("td")]
    assert cells == ["Problem tls.expired", "OK tls.ok"]
    assert "1 check(s) changed." in text(compared)


def test_compare_refuses_reports_of_two_customers(make_app: AppFactory) -> None:
    app = make_app()
    store(app)
    store(app, email="other@example.com")
    client = app.test_client()
    sign_in(client)
    response = client.post("/helpdesk/compare", data={"csrf_token": csrf(client, "/helpdesk/"), "email": EMAIL,
                                                      "report": ["1", "2"]})
    assert response.status_code == 400


def test_deleting_an_address_is_confirmed_done_and_audited(make_app: AppFactory, database_url: str) -> None:
    app = make_app(database_url)
    store(app)
    store(app)
    kept = store(app, email="other@example.com")
    client = app.test_client()
    sign_in(client)
    unconfirmed = client.post("/helpdesk/delete", data={"csrf_token": csrf(client, "/helpdesk/"), "email": EMAIL})
    assert unconfirmed.status_code == 400 and len(services(app).reports.for_email(EMAIL)) == 2
    done = client.post("/helpdesk/delete?lang=en",
                       data={"csrf_token": csrf(client, "/helpdesk/"), "email": EMAIL, "confirm": "y"})
    assert done.status_code == 200 and "2 report(s) of this address deleted." in text(done)
    assert services(app).reports.for_email(EMAIL) == [] and services(app).reports.by_code(kept.code)
    audit = text(client.get("/helpdesk/audit?lang=en"))
    assert "delete" in audit and "m***@example.com" in audit and ": 2" in audit
    assert EMAIL not in audit  # the audit log does not keep the address a privacy request removed


def test_every_view_search_and_deletion_is_in_the_audit_log(make_app: AppFactory) -> None:
    app = make_app()
    ticket = store(app)
    client = app.test_client()
    sign_in(client)
    client.post("/helpdesk/", data={"csrf_token": csrf(client, "/helpdesk/"), "code": ticket.code})
    client.get("/helpdesk/reports/1")
    client.post("/helpdesk/address", data={"csrf_token": csrf(client, "/helpdesk/"), "email": EMAIL})
    client.get("/helpdesk/audit")
    entries = services(app).reports.audit_entries()
    assert [(e.actor, e.action) for e in reversed(entries)] == [
        ("anna", "sign_in"), ("anna", "search_code"), ("anna", "view"), ("anna", "search_email"),
        ("anna", "audit_view")]
    assert [e.target for e in entries if e.action in ("search_code", "view")] == [ticket.code, ticket.code]


def test_the_bearer_api_fetches_by_code_and_lists_by_address(make_app: AppFactory, tmp_path: Path) -> None:
    app = make_app()
    ticket = store(app)
    token = add_token(tmp_path / "tokens.txt", "zammad")
    client = app.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    one = client.get(f"/api/v1/helpdesk/reports?code={ticket.code.lower()}&lang=en", headers=auth)
    assert one.status_code == 200 and one.headers["Cache-Control"].startswith("no-store")
    body = one.get_json()
    assert body["code"] == ticket.code and body["email"] == EMAIL and body["report"]["lang"] == "en"
    assert body["report"]["checks"][1]["data"]["tls_version"] == "TLSv1.3"
    listing = client.get(f"/api/v1/helpdesk/reports?email={EMAIL}", headers=auth).get_json()
    assert [r["code"] for r in listing["reports"]] == [ticket.code]
    assert client.get("/api/v1/helpdesk/reports?code=ZZZ-ZZZ", headers=auth).status_code == 404
    assert client.get("/api/v1/helpdesk/reports", headers=auth).status_code == 400
    actors = {(e.actor, e.action) for e in services(app).reports.audit_entries()}
    assert {("token:zammad", "api_code"), ("token:zammad", "api_email")} <= actors
    assert token not in (tmp_path / "tokens.txt").read_text()


def test_sso_header_is_honoured_only_from_a_trusted_proxy(make_app: AppFactory) -> None:
    sso = {"X-Remote-User": "bruno", "X-Forwarded-For": "198.51.100.20"}
    behind = make_app(trusted_proxies=1).test_client()
    assert behind.get("/helpdesk/?lang=en", headers=sso).status_code == 200
    assert "Signed in as bruno" in text(behind.get("/helpdesk/?lang=en", headers=sso))
    # Not behind a proxy: the header is anybody's
    direct = make_app().test_client()
    assert direct.get("/helpdesk/", headers=sso).status_code == 302
    # Behind a proxy, but the request did not come from its network
    elsewhere = make_app(trusted_proxies=1).test_client()
    response = elsewhere.get("/helpdesk/", headers=sso, environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert response.status_code == 302


def test_a_customers_link_does_not_open_the_console(make_app: AppFactory) -> None:
    app = make_app()
    ticket = store(app)
    client = app.test_client()
    assert client.get("/r/" + ticket.url.rsplit("/", 1)[1]).status_code == 200
    assert client.get("/helpdesk/").status_code == 302
    assert client.get(f"/api/v1/helpdesk/reports?code={ticket.code}").status_code == 401


def test_cli_adds_users_and_tokens_keeping_only_hashes(tmp_path: Path) -> None:
    raw = base_raw()
    raw["helpdesk"] = {"users_file": "users.txt", "api_tokens_file": "tokens.txt"}
    config = str(write_config(raw, tmp_path / "autoconfig.toml"))
    runner = CliRunner()
    added = runner.invoke(main, ["helpdesk", "add-user", "carla", "--config", config], input="s3cret-passphrase\n")
    assert added.exit_code == 0, added.output
    users = (tmp_path / "users.txt").read_text()
    assert users.startswith("carla:$argon2id$") and "s3cret-passphrase" not in users
    assert (tmp_path / "users.txt").stat().st_mode & 0o077 == 0
    short = runner.invoke(main, ["helpdesk", "add-user", "dino", "--config", config], input="short\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.output
    token = runner.invoke(main, ["helpdesk", "add-token", "otrs", "--config", config])
    assert token.exit_code == 0
    printed = token.stdout.strip()
    assert len(printed) >= 40 and printed not in (tmp_path / "tokens.txt").read_text()
