"""The helpdesk console in a real Chromium (Playwright) against a real gunicorn: sign-in,
wrong passwords rate-limited, forms without their CSRF token refused, a customer's link that
cannot reach the console, a code that reveals nothing without sign-in, an expired report gone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from autoconfig.db import Database
from autoconfig.reports import ReportStore, Ticket
from autoconfig.staff import add_user
from tests.conftest import base_raw
from tests.support.procs import ServiceProcess, write_config
from tests.test_page_browser import DESKTOP

STAFF_PASSWORD = "staff passphrase 42"
EMAIL = "mario.rossi@example.com"
PUBLIC = "http://autoconfig.test"


class Console:
    """A running service with its reports database open to the test as well."""

    def __init__(self, folder: Path) -> None:
        self.database_url = f"sqlite:///{folder / 'reports.db'}"
        raw = base_raw()
        raw["service"]["public_url"] = PUBLIC
        raw["reports"] = {"database_url": self.database_url}
        raw["helpdesk"] = {"users_file": "users.txt"}
        add_user(folder / "users.txt", "anna", STAFF_PASSWORD)
        self.service = ServiceProcess(write_config(raw, folder / "autoconfig.toml"), workers=1, threads=4)
        self.database = Database(self.database_url)
        self.store = ReportStore(self.database, 30, PUBLIC, purge_every_s=float("inf"))

    def save(self, days_ago: int = 0) -> Ticket:
        check = {"id": "imap-993-tls", "kind": "tls", "protocol": "imap", "host": "mail.example.com", "port": 993,
                 "security": "tls", "status": "error", "code": "tls.expired", "message": "Il certificato è scaduto.",
                 "remedy": "Rinnova il certificato.", "duration_ms": 31, "params": {},
                 "data": {"tls_version": "TLSv1.3", "days_left": -2}}
        body = {"email": EMAIL, "domain": "example.com", "provider": "example", "status": "error",
                "started_at": "2026-12-01T10:00:00Z", "duration_ms": 500, "checks": [check], "recommendation": None}
        when = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_ago)
        return self.store.save({"it": {**body, "lang": "it"}, "en": {**body, "lang": "en"}}, lang="it",
                               email=EMAIL, status="error", client="192.0.2.1", now=when)

    def url(self, path: str) -> str:
        return self.service.url + path


def _console(folder: Path) -> Iterator[Console]:
    console = Console(folder)
    with console.service:
        yield console
    console.store.close()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    yield from _console(tmp_path_factory.mktemp("console"))


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, locale="it-IT", service_workers="block")
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, console: Console, password: str = STAFF_PASSWORD, lang: str = "en") -> None:
    page.goto(console.url(f"/helpdesk/sign-in?lang={lang}"))
    page.locator("#name").fill("anna")
    page.locator("#password").fill(password)
    page.locator("#sign-in-form button[type=submit]").click()


def test_staff_sign_in_and_open_a_report_by_the_code_read_over_the_phone(page: Page, console: Console) -> None:
    # Given a customer's report and its code
    ticket = console.save()
    # When staff sign in and type the code as heard: lower case, a space for the dash
    sign_in(page, console)
    expect(page.locator("h1")).to_have_text("Helpdesk console")
    page.locator("#code").fill(ticket.code.lower().replace("-", " "))
    page.locator("#code-form button").click()
    # Then the same report opens, with the staff's technical details
    expect(page.locator("h1")).to_have_text(f"Report {ticket.code}")
    details = page.locator("#report-checks").inner_text()
    for fact in ("imap-993-tls", "tls.expired", "mail.example.com:993", "TLSv1.3", "31"):
        assert fact in details
    # And the view is in the audit log page
    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("#audit-table")).to_contain_text(ticket.code)


def test_wrong_passwords_are_rate_limited(page: Page, tmp_path: Path) -> None:
    for console in _console(tmp_path):
        for _ in range(5):
            sign_in(page, console, password="not the password", lang="it")
            expect(page.get_by_role("alert")).to_have_text("Nome o password errati.")
        sign_in(page, console, lang="it")  # even the right one, while the limit holds
        expect(page.get_by_role("alert")).to_contain_text("Troppi tentativi di accesso")
        assert "/helpdesk/sign-in" in page.url


def test_a_form_without_its_csrf_token_is_refused(page: Page, console: Console) -> None:
    ticket = console.save()
    sign_in(page, console)
    # A form whose token was taken out (as a forged cross-site form would lack it)
    page.locator("#delete-email").fill(EMAIL)
    page.locator("#delete-form input[name=confirm]").check()
    page.evaluate("document.querySelector('#delete-form input[name=csrf_token]').remove()")
    page.locator("#delete-form button").click()
    expect(page.get_by_role("alert")).to_contain_text("This form has expired")
    assert console.store.by_code(ticket.code) is not None  # nothing was deleted


def test_a_customers_link_cannot_reach_the_console(page: Page, console: Console) -> None:
    ticket = console.save()
    token = ticket.url.rsplit("/", 1)[1]
    page.goto(console.url(f"/r/{token}?lang=en"))
    expect(page.locator("#check-ticket-code")).to_have_text(ticket.code, timeout=10_000)
    api: dict[str, Any] = page.evaluate(
        "async (code) => { const r = await fetch('/api/v1/helpdesk/reports?code=' + code);"
        " return {status: r.status, body: await r.text()}; }", ticket.code)
    assert api["status"] == 401 and EMAIL not in api["body"]
    page.goto(console.url("/helpdesk/reports/1"))
    assert "/helpdesk/sign-in" in page.url and EMAIL not in page.content()


def test_a_code_without_sign_in_reveals_nothing(page: Page, console: Console) -> None:
    ticket = console.save()
    for path in (f"/r/{ticket.code}", f"/r/{ticket.code.replace('-', '')}", "/helpdesk/"):
        page.goto(console.url(path))
        assert EMAIL not in page.content() and ticket.code not in page.inner_text("main")


def test_an_expired_report_is_gone(page: Page, console: Console) -> None:
    old = console.save(days_ago=31)
    response = page.goto(console.url("/r/" + old.url.rsplit("/", 1)[1] + "?lang=en"))
    assert response is not None and response.status == 404
    expect(page.get_by_role("alert")).to_have_text(
        "This link does not exist or has expired: reports are kept for a limited time.")
    sign_in(page, console)
    page.locator("#code").fill(old.code)
    page.locator("#code-form button").click()
    expect(page.get_by_role("alert")).to_contain_text("No report has this code")
