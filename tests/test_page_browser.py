"""The page in a real browser: Debian's headless Chromium driven by Playwright, against the
service under gunicorn (with its production security headers) whose diagnostics reach the
real Dovecot and Knot of the test fixtures. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Request, Route, expect

from tests.conftest import REPO, base_raw
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, DovecotServer
from tests.support.procs import ServiceProcess, write_config

ARTIFACTS = REPO / "tests" / "artifacts"
DOMAIN = "example.test"
BROKEN = "broken.test"  # its mail servers' name is missing from DNS: one root cause, many checks
FAQ = "https://support.example.com/faq/pop3-imap"
# What the page must work under (the production headers may be stricter, never looser).
REQUIRED_CSP = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# Records every CSP violation the page would cause (runs before the page's own script).
CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""
# Records when progress lines and the results appear, to prove the stream is live.
PROGRESS_WATCH = """
window.__events = [];
new MutationObserver(records => {
  const now = performance.now();
  for (const r of records) {
    for (const n of r.addedNodes) {
      if (n.nodeType === 1 && n.matches('#check-steps > li')) window.__events.push(['step', now]);
    }
    if (r.type === 'attributes' && r.target.id === 'check-results' && !r.target.hidden) {
      window.__events.push(['results', now]);
    }
  }
}).observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ['hidden']});
"""


def service_config(dovecot: DovecotServer, test_ca: TestCA, dns_server: KnotServer) -> dict[str, Any]:
    """The demo provider, plus example.test served by the healthy Dovecot on loopback."""
    raw = base_raw()
    raw["diagnostics"] = {
        "budget_s": 12,
        "connect_timeout_s": 3,
        "ca_file": str(test_ca.ca_file),
        "allow_private_addresses": True,
    }
    raw["dns"] = {"nameservers": [dns_server.nameserver], "timeout_s": 2}
    raw["limits"] = {"diagnostics_per_ip": "100/minute", "diagnostics_per_account": "100/hour"}
    ports = dovecot.ports
    raw["provider"].insert(
        0,
        {
            "id": "test",
            "name": "Test Hosting S.r.l.",
            "short_name": "Test",
            "domains": [DOMAIN],
            "username": "%EMAILADDRESS%",
            "webmail_url": "https://webmail.example.com",
            "server": [
                {"protocol": "imap", "hostname": dovecot.hostname, "port": ports["imaps"], "security": "tls"},
                {"protocol": "pop3", "hostname": dovecot.hostname, "port": ports["pop3s"], "security": "tls"},
                {"protocol": "smtp", "hostname": dovecot.hostname, "port": ports["submission"], "security": "starttls"},
            ],
        },
    )
    raw["provider"].insert(
        1,
        {
            "id": "broken",
            "name": "Broken Hosting S.r.l.",
            "short_name": "Broken",
            "domains": [BROKEN],
            "username": "%EMAILADDRESS%",
            "server": [
                {"protocol": "imap", "hostname": f"mail.{BROKEN}", "port": 993, "security": "tls"},
                {"protocol": "pop3", "hostname": f"mail.{BROKEN}", "port": 995, "security": "tls"},
                {"protocol": "smtp", "hostname": f"mail.{BROKEN}", "port": 587, "security": "starttls"},
            ],
        },
    )
    return raw


@pytest.fixture(scope="module")
def service(
    dovecot_healthy: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    host = dovecot_healthy.hostname.removesuffix("." + DOMAIN)
    dns_server.set_zone(
        DOMAIN,
        f"""
        @ IN MX 10 {host}
        {host} IN A {dovecot_healthy.host_ip}
        """,
    )
    dns_server.set_zone(BROKEN, f"@ IN MX 10 mail.{BROKEN}.")  # and no address for mail.{BROKEN}
    path = write_config(
        service_config(dovecot_healthy, test_ca, dns_server), tmp_path_factory.mktemp("browser") / "autoconfig.toml"
    )
    with ServiceProcess(path, workers=1, threads=4) as running:
        yield running


@dataclass
class Watch:
    """Everything the browser asked for, and what the page reported as a problem."""

    origin: str
    requests: list[Request] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def urls(self) -> list[str]:
        return [r.url for r in self.requests]


@pytest.fixture
def watch(service: ServiceProcess) -> Watch:
    return Watch(origin=service.url)


@pytest.fixture
def context(browser: Browser, watch: Watch) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, locale="it-IT", service_workers="block")
    context.add_init_script(CSP_WATCH)

    def guard(route: Route) -> None:
        # Never let the browser leave our service (the FAQ link is only read, never followed).
        if route.request.url.startswith(watch.origin + "/"):
            route.continue_()
        else:
            watch.foreign.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    context.on("request", lambda request: watch.requests.append(request))
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, watch: Watch) -> Page:
    page = context.new_page()
    page.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: watch.console_errors.append(str(e)))
    return page


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def assert_clean(page: Page, watch: Watch) -> None:
    """No CSP violation, no script error, no request outside our service."""
    assert page.evaluate("window.__csp") == []
    assert watch.console_errors == []
    assert watch.foreign == []


# --- loading the page, both languages -------------------------------------------------------


def test_page_in_italian_then_english_under_a_strict_csp(page: Page, service: ServiceProcess, watch: Watch) -> None:
    # Given a browser that prefers Italian
    response = page.goto(service.url + "/")
    assert response is not None and response.status == 200
    # Then the page is Italian, served with a CSP at least as strict as the one we build for
    csp = response.headers["content-security-policy"]
    for directive in REQUIRED_CSP:
        assert directive in csp, directive
    assert "unsafe-inline" not in csp
    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.locator("h1")).to_have_text("Configura e verifica la tua posta")
    # And the stylesheet applied (a CSP block would leave the page unstyled)
    assert page.evaluate("getComputedStyle(document.querySelector('.card')).borderRadius") == "8px"
    shot(page, "page-it-desktop")
    # When the customer switches to English
    page.get_by_role("link", name="English").click()
    # Then the same page is English
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Set up and check your e-mail")
    assert urlsplit(page.url).query == "lang=en"
    shot(page, "page-en-desktop")
    assert_clean(page, watch)


def test_faq_link_prefills_the_address_and_shows_settings(page: Page, service: ServiceProcess, watch: Watch) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{service.url}/?email={ALICE.address}&lang=en")
    expect(page.get_by_label("E-mail address")).to_have_value(ALICE.address)
    imap = page.locator("article.server", has=page.locator("#server-imap"))
    expect(imap).to_contain_text("SSL/TLS")
    expect(imap).to_contain_text(ALICE.address)
    # The profile for Apple devices is one tap away, and has no password in its URL
    link = page.get_by_role("link", name="Download the profile for iPhone, iPad and Mac")
    assert "password" not in (link.get_attribute("href") or "")
    # Usable on a phone: nothing wider than the screen
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "settings-en-phone")
    assert_clean(page, watch)


def test_answering_the_questions_by_keyboard_gives_advice(page: Page, service: ServiceProcess, watch: Watch) -> None:
    page.goto(f"{service.url}/?lang=en&email={ALICE.address}")
    # When the customer answers with the keyboard only
    devices = page.get_by_label("On how many computers, phones and tablets do you read this mailbox?")
    devices.focus()
    page.keyboard.type("1")
    offline = page.get_by_role("group", name=re.compile("read your mail, attachments included"))
    offline.get_by_label("Yes", exact=True).focus()
    page.keyboard.press("Space")
    webmail = page.get_by_role("group", name="Do you also read mail in the browser (webmail)?")
    webmail.get_by_label("No", exact=True).focus()
    page.keyboard.press("Space")
    expect(webmail.get_by_label("No", exact=True)).to_be_checked()
    devices.focus()
    page.keyboard.press("Enter")
    # Then the recommendation appears with its reasons and the FAQ link
    result = page.locator("#advice-result")
    expect(result.get_by_role("heading", level=3)).to_have_text("We recommend POP3")
    expect(result.locator(".reasons li")).to_have_count(1)
    expect(result.get_by_role("link", name="Read more in our FAQ: POP3 or IMAP?")).to_have_attribute("href", FAQ)
    expect(result.locator(".cautions li").first).to_contain_text("Never pair a POP3 device")
    # And the settings mark POP3 as the one to use
    expect(page.locator("article.server.recommended h3")).to_contain_text("POP3")
    shot(page, "advice-en-desktop")
    assert_clean(page, watch)


def test_advice_in_italian_on_a_phone(page: Page, service: ServiceProcess, watch: Watch) -> None:
    page.set_viewport_size(PHONE)
    page.goto(service.url + "/")
    page.get_by_label("Su quanti computer, telefoni e tablet leggi questa casella?").fill("3")
    page.get_by_role("group", name="Com’è la tua connessione a Internet?").get_by_label("Lenta o instabile").check()
    page.get_by_role("button", name="Ricevi il consiglio").click()
    result = page.locator("#advice-result")
    expect(result.get_by_role("heading", level=3)).to_have_text("Ti consigliamo IMAP")
    expect(result.locator(".reasons li").first).to_contain_text("3 dispositivi")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "advice-it-phone")
    assert_clean(page, watch)


def test_tab_order_follows_the_page(page: Page, service: ServiceProcess) -> None:
    page.goto(f"{service.url}/?lang=en&email={ALICE.address}")
    order = []
    for _ in range(12):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    # The skip link first, then the language switch, the address field and its button
    assert order[0] == "Skip to the content"
    assert order.index("email") < order.index("Show settings") < order.index("Settings")


def password_leaks(page: Page, watch: Watch, password: str) -> list[str]:
    """Every place, other than the one POST body, where the password shows up."""
    found = [f"url: {u}" for u in watch.urls() if password in unquote(u)]
    if password in unquote(page.url):
        found.append("address bar")
    if password in page.evaluate("document.body.innerText"):
        found.append("page text")
    if password in page.content():
        found.append("page markup")
    if password in page.locator("#check-summary").input_value():
        found.append("helpdesk summary")
    for request in watch.requests:
        body = request.post_data or ""
        if password in body and urlsplit(request.url).path != "/api/v1/diagnostics":
            found.append(f"body of {request.url}")
    return found


def posted_diagnoses(watch: Watch) -> list[dict[str, Any]]:
    return [
        json.loads(r.post_data or "{}")
        for r in watch.requests
        if r.method == "POST" and urlsplit(r.url).path == "/api/v1/diagnostics"
    ]


def progress_events(page: Page) -> list[tuple[str, float]]:
    return [(kind, float(at)) for kind, at in page.evaluate("window.__events")]


def test_check_streams_progress_then_results_and_never_shows_the_password(
    context: BrowserContext, page: Page, service: ServiceProcess, watch: Watch
) -> None:
    # Given the helpdesk on the page for Alice, her advice answers given, and her password typed
    context.add_init_script(PROGRESS_WATCH)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=service.url)
    page.goto(f"{service.url}/?lang=en&email={ALICE.address}&advise=1&devices=3&webmail=yes")
    page.get_by_label("Password (optional)").fill(ALICE.password)
    # When they run the check
    page.get_by_role("button", name="Run the check").click()
    # Then each check shows up as it ends, before the results
    results = page.locator("#check-results")
    expect(results).to_be_visible(timeout=20_000)
    events = progress_events(page)
    steps = [at for kind, at in events if kind == "step"]
    shown = next(at for kind, at in events if kind == "results")
    assert len(steps) >= 6
    assert max(steps) <= shown
    assert min(steps) < shown, "progress arrived only with the final report"
    assert len(set(steps)) >= 2, "every check arrived at once: the stream is not live"
    expect(page.locator("#check-state")).to_have_text("Check finished.")
    # And the verdict comes first: all is well, and the login was tried
    expect(page.locator("#check-verdict-headline")).to_be_visible()
    assert_verdict_first(page)
    page.locator("#check-verdict").screenshot(path=str(ARTIFACTS / "check-en-verdict.png"))
    # And, one click away, the results are grouped by protocol with a status mark on every check
    open_details(page)
    groups = results.locator(".check-group h4")
    expect(groups).to_have_text(["Domain and DNS", "IMAP", "POP3", "SMTP"])
    marks = results.locator(".check .mark-text").all_inner_texts()
    assert marks and set(marks) <= {"OK", "Attention", "Problem", "Not checked"}
    imap = results.locator(".check-group", has=page.get_by_role("heading", name="IMAP", exact=True))
    expect(imap.locator(".check.status-ok").first).to_be_visible()
    logins = results.locator(".check", has_text=re.compile(r"log(ged)? ?in|login", re.IGNORECASE))
    expect(logins.first).to_be_visible()
    # And the report's recommendation weighed the answers sent along
    (posted,) = posted_diagnoses(watch)
    assert posted["email"] == ALICE.address
    assert posted["answers"] == {"devices": 3, "webmail": True}
    assert posted["password"] == ALICE.password  # in the POST body, and only there
    expect(page.locator("#check-recommendation-protocol")).to_have_text("We recommend IMAP")
    expect(page.locator("#check-recommendation-cautions li").first).to_be_visible()
    # And how long the first download of her mailbox takes, from what the check counted
    expect(page.locator("#check-recommendation-download")).to_contain_text("The first full download (the headers of ")
    # And the summary for the helpdesk says it all in plain text
    summary = page.locator("#check-summary").input_value()
    # It starts with the ticket code the page shows, the one staff type in the console
    code = page.locator("#check-ticket-code").inner_text()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}", code)
    assert summary.startswith(f"Ticket code: {code}\nAccount: {ALICE.address}\n")
    assert (page.locator("#check-ticket-link").get_attribute("href") or "").startswith(
        "https://autoconfig.example.com/r/")
    assert "[OK] IMAP" in summary
    assert "Recommendation: IMAP" in summary
    page.get_by_role("button", name="Copy for the helpdesk").click()
    expect(page.locator("#check-copy-state")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == summary
    # And the password is nowhere: not in a URL, the page, the summary; the field is empty again
    expect(page.get_by_label("Password (optional)")).to_have_value("")
    assert password_leaks(page, watch, ALICE.password) == []
    shot(page, "check-en-desktop")
    results.screenshot(path=str(ARTIFACTS / "check-en-results.png"))
    assert_clean(page, watch)


def test_check_in_italian_on_a_phone_explains_a_wrong_password(
    page: Page, service: ServiceProcess, watch: Watch
) -> None:
    # Given a customer on a phone, with the page in Italian, who mistypes the password
    page.set_viewport_size(PHONE)
    page.goto(f"{service.url}/?email={ALICE.address}")
    wrong = "Sbagliata-123"
    page.get_by_label("Password (facoltativa)").fill(wrong)
    # When they run the check with the keyboard
    page.get_by_label("Password (facoltativa)").press("Enter")
    # Then the results are in Italian, and the failed login says what to do
    results = page.locator("#check-results")
    expect(results).to_be_visible(timeout=20_000)
    expect(page.locator("#check-state")).to_have_text("Verifica completata.")
    # The results take the focus, so a screen reader reads them next
    assert page.evaluate("document.activeElement.id") == "check-results"
    # The verdict comes first: one problem, the wrong password, and what to do
    expect(page.locator("#check-verdict-headline")).to_have_text("C'è un problema da risolvere.")
    start = page.locator("#check-problems > li").first
    expect(start.locator(".start-here")).to_have_text("Inizia da qui")
    expect(start.locator(".check-remedy")).to_contain_text("Cosa fare:")
    assert_verdict_first(page)
    page.locator("#check-verdict").screenshot(path=str(ARTIFACTS / "check-it-phone-verdict.png"))
    open_details(page)
    expect(page.locator("#check-overall")).to_contain_text("Problema")
    failed = results.locator(".check.status-error").first
    expect(failed.locator(".mark-text")).to_have_text("Problema")
    expect(failed.locator(".check-remedy")).to_contain_text("Cosa fare:")
    summary = page.locator("#check-summary").input_value()
    assert re.match(r"Codice: [2-9A-HJKMNP-Z]{3}-[2-9A-HJKMNP-Z]{3}\nAccount: " + re.escape(ALICE.address), summary)
    assert "[PROBLEMA]" in summary
    assert "C'è un problema da risolvere." in summary
    # On a phone the status badges are narrow (the glyph; the word is there for screen readers)
    widths = page.locator(".check .mark, .problem .mark").evaluate_all("els => els.map(e => e.offsetWidth)")
    assert widths and max(widths) <= 0.1 * PHONE["width"], widths
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert password_leaks(page, watch, wrong) == []
    shot(page, "check-it-phone")
    assert_clean(page, watch)


def test_check_without_a_password_skips_the_login(page: Page, service: ServiceProcess, watch: Watch) -> None:
    # Given an advice form with a slip in it (0 devices) and one good answer
    page.goto(f"{service.url}/?lang=en&email={ALICE.address}&advise=1&devices=0&webmail=no")
    expect(page.locator("#devices-error")).to_have_text("Type a whole number from 1 to 1000.")
    # When the check runs without a password
    page.get_by_role("button", name="Run the check").click()
    results = page.locator("#check-results")
    expect(results).to_be_visible(timeout=20_000)
    # Then the logins are skipped, the verdict says so, and only the good answer went along
    expect(page.locator("#check-unchecked")).to_contain_text("Login not tried: no password given.")
    open_details(page)
    expect(results.locator(".check.status-skipped").first).to_be_visible()
    (posted,) = posted_diagnoses(watch)
    assert "password" not in posted
    assert posted["answers"] == {"webmail": False}
    assert_clean_except_http_errors(page, watch)


def test_a_refused_check_says_why(page: Page, service: ServiceProcess, watch: Watch) -> None:
    # Given the form pointed (by hand, in the page) at a domain the service does not serve
    page.goto(f"{service.url}/?lang=en&email={ALICE.address}")
    page.locator("#check-form input[name=email]").evaluate("input => { input.value = 'x@unserved.test'; }")
    # When the check runs, the service refuses it (404) and the page says so in plain words
    page.get_by_role("button", name="Run the check").click()
    state = page.locator("#check-state")
    expect(state).to_contain_text("The check could not run:")
    expect(state).to_contain_text("unserved.test")
    expect(page.locator("#check-results")).to_be_hidden()
    expect(page.get_by_role("button", name="Run the check")).to_be_enabled()
    assert_clean_except_http_errors(page, watch)


def open_details(page: Page) -> None:
    """One click from the verdict to every check, grouped by protocol."""
    page.locator("#check-details > summary").click()
    expect(page.locator("#check-groups .check-group").first).to_be_visible()


def assert_verdict_first(page: Page) -> None:
    """The verdict is the first thing under the results' title; every check comes below, closed."""
    tops = page.evaluate(
        """() => ['check-results-title', 'check-verdict', 'check-details']
                 .map(id => document.getElementById(id).getBoundingClientRect().top)"""
    )
    assert tops == sorted(tops), tops
    assert page.locator("#check-details").get_attribute("open") is None


def assert_clean_except_http_errors(page: Page, watch: Watch) -> None:
    """As assert_clean, but a 4xx answer is logged by the browser's console as a failed load."""
    assert page.evaluate("window.__csp") == []
    assert [e for e in watch.console_errors if "status of 4" not in e] == []
    assert watch.foreign == []


def test_the_secret_link_reopens_the_same_results_in_the_readers_language(
    context: BrowserContext, page: Page, service: ServiceProcess, watch: Watch
) -> None:
    # Given a check run in Italian, without a password
    page.goto(f"{service.url}/?lang=it&email={ALICE.address}")
    page.get_by_role("button", name="Avvia la verifica").click()
    expect(page.locator("#check-results")).to_be_visible(timeout=20_000)
    code = page.locator("#check-ticket-code").inner_text()
    link = page.locator("#check-ticket-link").get_attribute("href") or ""
    italian_groups = page.locator("#check-results .check-group h4").all_inner_texts()
    # When the link is opened (on this test service's origin) by an English reader
    path = "/r/" + link.rsplit("/r/", 1)[1]
    page.goto(f"{service.url}{path}?lang=en")
    # Then the same results show, read-only, in English, with the same code first in the summary
    results = page.locator("#check-results")
    expect(results).to_be_visible(timeout=10_000)
    expect(page.locator("#check-ticket-code")).to_have_text(code)
    expect(page.locator("#check-verdict-headline")).not_to_be_empty()
    open_details(page)
    assert page.locator("#check-form").count() == 0 and page.locator("input[type=password]").count() == 0
    assert len(page.locator("#check-results .check-group h4").all_inner_texts()) == len(italian_groups)
    assert page.locator("#check-summary").input_value().startswith(f"Ticket code: {code}\nAccount: {ALICE.address}")
    assert "Domain and DNS" in page.locator("#check-results").inner_text()
    assert watch.foreign == [] and watch.console_errors == []


# --- results a customer reads in five seconds ------------------------------------------------

INTERNALS = re.compile(r"\b(?:imap|pop3|smtp|dns)-(?:\d+|folders|quota|mailbox|mx|srv)\b|\w+(?:Error|Exception)\b|[{}]")


def test_a_name_missing_from_dns_is_one_problem_with_one_remedy(
    page: Page, service: ServiceProcess, watch: Watch
) -> None:
    # Given a customer whose mail servers' name is not in DNS: every server fails to connect,
    # and everything after the connection on each of them cannot run
    page.set_viewport_size(PHONE)
    page.goto(f"{service.url}/?lang=en&email=mario@{BROKEN}")
    page.get_by_label("Password (optional)").fill("any-password-1")
    # When they run the check
    page.get_by_role("button", name="Run the check").click()
    expect(page.locator("#check-results")).to_be_visible(timeout=20_000)
    # Then the verdict comes first and counts ONE problem, the one to start with
    expect(page.locator("#check-verdict-headline")).to_have_text("There is one problem to fix.")
    assert_verdict_first(page)
    expect(page.locator("#check-problems > li")).to_have_count(1)
    expect(page.locator("#check-problems > li.status-error")).to_have_count(1)
    # (what is merely worth a look, like optional DNS records, waits one click away behind it)
    expect(page.locator("#check-more-title")).to_have_text(re.compile(r"^Also worth a look \(\d+\)$"))
    expect(page.locator("#check-more")).to_be_hidden()
    expect(page.locator("#check-more > li.status-error")).to_have_count(0)
    start = page.locator("#check-problems > li").first
    expect(start.locator(".start-here")).to_have_text("Start here")
    expect(start.locator(".problem-message")).to_have_text(re.compile(f"The name mail.{BROKEN} does not resolve"))
    expect(start.locator(".check-remedy")).to_contain_text("DNS record (A/AAAA)")
    expect(start.locator(".problem-scope")).to_contain_text("Concerns: IMAP, POP3, SMTP.")
    stopped = int(re.search(r"stopped (\d+) other checks", start.locator(".problem-scope").inner_text()).group(1))
    # And behind the one problem are many lines, one click away
    open_details(page)
    rows = page.locator("#check-groups .check:not(.status-ok)").count()
    assert rows >= 12 and stopped >= 9, (rows, stopped)
    # And no row cites a step by an id the page never shows, nor any internal name
    visible = page.evaluate("document.body.innerText")
    assert not INTERNALS.search(visible), INTERNALS.search(visible)
    skipped = f"Not checked: the connection to mail.{BROKEN} port 993 failed."
    expect(page.locator("#check-groups")).to_contain_text(skipped)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "check-dns-broken-en-phone")
    page.locator("#check-verdict").screenshot(path=str(ARTIFACTS / "check-dns-broken-en-verdict.png"))
    assert_clean(page, watch)


def test_each_setting_has_a_copy_button_and_the_user_name_breaks_only_between_parts(
    context: BrowserContext, page: Page, service: ServiceProcess, watch: Watch
) -> None:
    # Given a customer with a long address, on a narrow phone
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=service.url)
    page.set_viewport_size({"width": 320, "height": 640})
    address = f"mario.rossi.amministrazione@{DOMAIN}"
    page.goto(f"{service.url}/?lang=it&email={address}")
    card = page.locator("article.server", has=page.locator("#server-imap"))
    # Then each part of the user name stays whole on its line (breaks only after "." or "@")
    parts = card.locator("dd.copyable code").nth(2).evaluate(
        """code => [...code.childNodes].filter(n => n.nodeType === 3).map(n => {
             const range = document.createRange(); range.selectNodeContents(n);
             return [n.textContent, range.getClientRects().length];
           })"""
    )
    assert "".join(text for text, _lines in parts) == address
    assert all(lines == 1 for _text, lines in parts), parts
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    shot(page, "settings-it-narrow-phone")
    # When they press the copy button beside the user name
    button = card.get_by_role("button", name="Copia: Nome utente")
    button.click()
    # Then the clipboard holds exactly the user name, and the button says so
    expect(button).to_have_text("Copiato")
    assert page.evaluate("navigator.clipboard.readText()") == address
    card.get_by_role("button", name="Copia: Server").click()
    assert page.evaluate("navigator.clipboard.readText()") == card.locator("dd.copyable code").first.inner_text()
    assert_clean(page, watch)


def test_the_page_has_a_favicon_and_an_honest_password_hint(page: Page, service: ServiceProcess) -> None:
    page.goto(f"{service.url}/?lang=it&email={ALICE.address}")
    icon = page.locator("link[rel=icon]").get_attribute("href") or ""
    assert page.request.get(service.url + icon).ok
    # The test service is plain http: the page does not claim the password travels encrypted
    expect(page.locator("#password-help")).not_to_contain_text("cifrat")
