"""docs/faq-link.md tells the FAQ's editors the truth: every link and form it documents opens
the page as it says (language, address filled in, section, recommendation), the questions it
lists are the page's, and no password or address leaks through a link."""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode, urlsplit

import lxml.html
import pytest
from flask.testing import FlaskClient
from lxml.html import HtmlElement

from autoconfig.advice import CONNECTIVITY
from autoconfig.web.pages import ANSWER_FIELDS, YES_NO_QUESTIONS
from tests.conftest import REPO

DOC = REPO / "docs" / "faq-link.md"
BASE = "https://autoconfig.example.com"  # the public_url of the test configuration
EMAIL = "mario.rossi@example.com"


def doc() -> str:
    return DOC.read_text(encoding="utf-8")


def section(title: str) -> str:
    text = doc()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def documented_links() -> list[str]:
    return sorted(set(re.findall(re.escape(BASE) + r"/[^\s`\"'<>)|]*", doc())))


def html_snippets() -> list[HtmlElement]:
    return [lxml.html.fragment_fromstring(block.strip()) for block in re.findall(r"```html\n(.*?)```", doc(), re.S)]


def open_page(client: FlaskClient, url: str, status: int = 200) -> HtmlElement:
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == BASE
    response = client.get(parts.path + ("?" + parts.query if parts.query else ""))
    assert response.status_code == status, url
    assert response.mimetype == "text/html"
    return lxml.html.fromstring(response.get_data(as_text=True))


def text_of(page: HtmlElement) -> str:
    return " ".join(page.text_content().split())


# --- the links -------------------------------------------------------------------------


def test_the_doc_documents_the_link_forms() -> None:
    links = documented_links()
    assert any("email=" in link for link in links)
    assert {dict(parse_qsl(urlsplit(link).query)).get("lang") for link in links} >= {"it", "en"}
    assert any("advise=1" in link for link in links)


@pytest.mark.parametrize("url", documented_links())
def test_every_documented_link_opens_the_page_as_documented(client: FlaskClient, url: str) -> None:
    page = open_page(client, url)
    query = dict(parse_qsl(urlsplit(url).query))
    fragment = urlsplit(url).fragment
    # the language it asks for
    assert page.get("lang") == query.get("lang", "it")
    # the address filled in, and its settings shown
    if "email" in query:
        assert page.get_element_by_id("email").get("value") == query["email"]
        assert page.get_element_by_id("server-imap") is not None
        assert page.get_element_by_id("check-form") is not None
    # the section it scrolls to exists
    if fragment:
        assert page.get_element_by_id(fragment) is not None
    # a recommendation for the answers in the link, the one the doc promises
    if query.get("advise"):
        result = page.get_element_by_id("advice-result")
        row = next(line for line in doc().splitlines() if url in line)
        promised = re.search(r"\*\*(IMAP|POP3)\*\*", row)
        assert promised is not None, row
        assert result.findtext(".//h3").endswith(promised.group(1))


@pytest.mark.parametrize(
    ("email", "status", "words"),
    [
        ("mario.rossi", 400, "Questo non è un indirizzo e-mail valido"),
        ("mario@unknown-hoster.example", 404, "Non gestiamo la posta di questo dominio"),
    ],
)
def test_a_wrong_address_in_a_link_shows_the_page_with_the_documented_words(
    client: FlaskClient, email: str, status: int, words: str
) -> None:
    assert words in doc()
    page = open_page(client, f"{BASE}/?{urlencode({'email': email, 'lang': 'it'})}", status)
    assert words in text_of(page)
    assert page.get_element_by_id("email").get("value") == email  # to correct it there


def test_the_links_encoding_of_the_address_works(client: FlaskClient) -> None:
    address = "mario+faq@example.com"
    page = open_page(client, f"{BASE}/?email={address.replace('@', '%40').replace('+', '%2B')}&lang=it")
    assert page.get_element_by_id("email").get("value") == address


# --- the snippets ----------------------------------------------------------------------


@pytest.mark.parametrize("snippet", html_snippets(), ids=lambda s: s.get("lang"))
def test_the_snippet_works_as_a_browser_would_use_it(client: FlaskClient, snippet: HtmlElement) -> None:
    lang = snippet.get("lang")
    # Its link opens the questions in its language
    (link,) = [a.get("href") for a in snippet.iter("a")]
    page = open_page(client, link)
    assert page.get("lang") == lang and page.get_element_by_id(urlsplit(link).fragment) is not None
    # Its form asks for the address only, and submitted, opens the page with it filled in
    (form,) = snippet.iter("form")
    assert form.get("method") == "get"
    assert not [i for i in form.iter("input") if i.get("type") == "password" or i.get("name") == "password"]
    fields = {i.get("name"): i.get("value") for i in form.iter("input") if i.get("type") == "hidden"}
    fields["email"] = EMAIL
    assert set(fields) == {"lang", "email"}
    action = urlsplit(form.get("action"))
    page = open_page(client, f"{action.scheme}://{action.netloc}{action.path}?{urlencode(fields)}")
    assert page.get("lang") == lang
    assert page.get_element_by_id("email").get("value") == EMAIL
    assert page.get_element_by_id(action.fragment) is not None
    # Its label points at its field, and the button says what the page's own button says
    (label,) = form.iter("label")
    assert form.get_element_by_id(label.get("for")).get("name") == "email"
    (button,) = form.iter("button")
    assert button.text in text_of(page)


# --- the questions ---------------------------------------------------------------------


def questions_table() -> dict[str, tuple[str, str]]:
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \| \*([^*]+)\* \|", section("The questions"), re.M)
    return {name: (values.strip(), question) for name, values, question in rows}


def test_the_questions_are_the_pages(client: FlaskClient) -> None:
    table = questions_table()
    assert set(table) == set(ANSWER_FIELDS)
    page = text_of(open_page(client, f"{BASE}/?lang=it"))
    for name, (values, question) in table.items():
        assert question in page, name
        if name in YES_NO_QUESTIONS:
            assert values == "`yes`, `no`"
    assert re.findall(r"`(\w+)`", table["connectivity"][0]) == list(CONNECTIVITY)


@pytest.mark.parametrize(
    ("name", "low", "high"), [("devices", 1, 1000), ("quota_percent", 0, 100)]
)
def test_the_documented_ranges_are_the_accepted_ones(client: FlaskClient, name: str, low: int, high: int) -> None:
    assert questions_table()[name][0] == f"{low}–{high}"
    for value, status in [(low, 200), (high, 200), (low - 1, 400), (high + 1, 400)]:
        page = open_page(client, f"{BASE}/?advise=1&lang=it&{name}={value}", status)
        says_range = f"da {low} a {high}." in page.get_element_by_id("advice-form").text_content()
        assert says_range == (status == 400)  # the error says what is accepted
        assert page.get_element_by_id("advice-form") is not None  # the page, not an error page


def test_what_the_customer_sees_is_on_the_page(client: FlaskClient) -> None:
    imap = text_of(open_page(client, f"{BASE}/?email={EMAIL}&lang=it&advise=1&devices=3"))
    pop3 = text_of(open_page(client, f"{BASE}/?email={EMAIL}&lang=it&advise=1&devices=1&offline_access=yes"))
    quoted = re.findall(r"\*\*([^*]+)\*\*|\*([^*]+)\*", section("What the customer sees"))
    assert len(quoted) >= 10
    for bold, italic in quoted:
        words = " ".join((bold or italic).split())
        assert words in imap or words in pop3, words


# --- privacy ---------------------------------------------------------------------------


def test_a_password_in_a_link_is_ignored(client: FlaskClient) -> None:
    secret = "s3cret-In-Url"
    response = client.get(f"/?email={EMAIL}&lang=it&password={secret}&advise=1&devices=2")
    assert response.status_code == 200
    assert secret not in response.get_data(as_text=True)
    assert "A `password` parameter in a link is ignored" in " ".join(doc().split())


def test_the_address_in_a_link_is_not_logged(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        assert client.get(f"/?email={EMAIL}&lang=it").status_code == 200
    assert any(r.name == "autoconfig.access" for r in caplog.records)
    assert not [r for r in caplog.records if "mario.rossi" in r.getMessage() or "mario.rossi" in str(r.__dict__)]


def test_the_page_cannot_be_framed_and_sends_no_referrer(client: FlaskClient) -> None:
    response = client.get("/?lang=it")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "`X-Frame-Options: DENY`" in doc()
