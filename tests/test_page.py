"""The page at / without JavaScript: settings, advice, languages, escaping, CSP-safe markup."""

from __future__ import annotations

import itertools
import re
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest
from flask.testing import FlaskClient
from lxml.html import HtmlElement

from autoconfig import create_app
from autoconfig.messages import CATALOGUE
from tests.conftest import ConfigFactory, base_raw

EMAIL = "mario.rossi@example.com"


def page(client: FlaskClient, query: str = "", status: int = 200, **headers: str) -> HtmlElement:
    response = client.get("/" + query, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    return lxml.html.fromstring(response.get_data(as_text=True))


def text(doc: HtmlElement) -> str:
    return " ".join(doc.text_content().split())


# --- languages -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "accept", "lang", "heading"),
    [
        ("", "", "it", "Configura e verifica la tua posta"),
        ("?lang=en", "", "en", "Set up and check your e-mail"),
        ("", "en-US,en;q=0.8", "en", "Set up and check your e-mail"),
        ("", "it-CH,it;q=0.9,en;q=0.5", "it", "Configura e verifica la tua posta"),
        ("?lang=it", "en", "it", "Configura e verifica la tua posta"),
        ("?lang=xx", "en", "en", "Set up and check your e-mail"),  # unknown: next rule decides
        ("", "fr-FR,fr", "it", "Configura e verifica la tua posta"),  # not spoken: the default
    ],
)
def test_language_from_query_then_browser_then_default(
    client: FlaskClient, query: str, accept: str, lang: str, heading: str
) -> None:
    headers = {"Accept-Language": accept} if accept else {}
    doc = page(client, query, **headers)
    assert doc.get("lang") == lang
    assert doc.findtext(".//h1") == heading


def test_default_language_is_the_first_configured(make_config: ConfigFactory) -> None:
    raw = base_raw()
    raw["service"]["languages"] = ["en", "it"]
    client = create_app(make_config(raw)).test_client()
    assert page(client).get("lang") == "en"


def test_language_switch_keeps_address_and_answers(client: FlaskClient) -> None:
    doc = page(client, f"?email={EMAIL}&advise=1&devices=2&lang=it")
    switch = doc.xpath("//nav[contains(@class,'languages')]//a[@hreflang='en']")[0]
    query = parse_qs(urlsplit(switch.get("href")).query)
    assert query == {"lang": ["en"], "email": [EMAIL], "advise": ["1"], "devices": ["2"]}
    assert doc.xpath("//nav[contains(@class,'languages')]//*[@aria-current='true']")[0].text == "Italiano"


# --- settings ---------------------------------------------------------------------------


def server_card(doc: HtmlElement, protocol: str) -> dict[str, str]:
    """A settings card's values as a person reads them (without the copy buttons' words)."""
    card = doc.get_element_by_id(f"server-{protocol}").getparent()
    names = [dt.text_content().strip() for dt in card.iter("dt")]
    values = ["".join(dd.xpath("./text() | ./code//text()")).strip() for dd in card.iter("dd")]
    return dict(zip(names, values, strict=True))


def test_address_prefills_and_shows_settings_to_type_by_hand(client: FlaskClient) -> None:
    # When the FAQ links to the page with a customer's address
    doc = page(client, f"?email={EMAIL}&lang=en")
    # Then the field holds it and each protocol's settings are there to copy
    assert doc.get_element_by_id("email").get("value") == EMAIL
    assert server_card(doc, "imap") == {
        "Server": "mail.example.com",
        "Port": "993",
        "Security": "SSL/TLS",
        "User name": EMAIL,
        "Authentication": "Normal password",
    }
    assert server_card(doc, "pop3")["Port"] == "995"
    assert server_card(doc, "smtp") == {
        "Server": "smtp.example.com",
        "Port": "587",
        "Security": "STARTTLS",
        "User name": EMAIL,
        "Authentication": "Normal password",
    }
    profile = doc.xpath("//a[contains(@href,'/mobileconfig')]")[0]
    assert parse_qs(urlsplit(profile.get("href")).query)["email"] == [EMAIL]
    assert doc.xpath("//a[@href='https://webmail.example.com']")
    body = text(doc)
    for client_name in ("Thunderbird", "Outlook", "iPhone, iPad and Mac", "Android"):
        assert client_name in body


def test_alternative_ports_are_mentioned(make_config: ConfigFactory) -> None:
    raw = base_raw()
    raw["provider"][0]["server"].insert(
        1, {"protocol": "imap", "hostname": "mail.example.com", "port": 143, "security": "starttls"}
    )
    client = create_app(make_config(raw)).test_client()
    assert "Also possible: port 143 with STARTTLS." in text(page(client, f"?email={EMAIL}&lang=en"))


def test_profile_link_follows_the_advice(client: FlaskClient) -> None:
    doc = page(client, f"?email={EMAIL}&advise=1&devices=1&offline_access=yes")
    href = doc.xpath("//a[contains(@href,'/mobileconfig')]")[0].get("href")
    assert parse_qs(urlsplit(href).query)["protocol"] == ["pop3"]
    assert doc.xpath("//article[contains(@class,'recommended')]//h3/@id") == ["server-pop3"]


def test_without_an_address_there_is_a_prompt_not_an_error(client: FlaskClient) -> None:
    doc = page(client, "?lang=en")
    assert "Type your address above to see its settings." in text(doc)
    assert doc.get_element_by_id("check-form", None) is None


@pytest.mark.parametrize(
    ("email", "status", "message"),
    [
        ("not-an-address", 400, "This is not a valid e-mail address."),
        ("a@b@example.com", 400, "This is not a valid e-mail address."),
        ("someone@elsewhere.test", 404, "We do not host mail for this domain."),
        ("x" * 2000 + "@example.com", 400, "too long"),
    ],
)
def test_a_bad_address_says_what_is_wrong(client: FlaskClient, email: str, status: int, message: str) -> None:
    doc = page(client, f"?lang=en&email={email}", status=status)
    error = doc.get_element_by_id("email-error")
    assert message in error.text_content()
    assert error.get("role") == "alert"
    field = doc.get_element_by_id("email")
    assert field.get("aria-invalid") == "true"
    assert field.get("aria-describedby") == "email-error"


# --- advice without JavaScript --------------------------------------------------------


def test_advice_form_works_without_javascript(client: FlaskClient) -> None:
    # Given the form as the page serves it
    doc = page(client, f"?email={EMAIL}&lang=en")
    form = doc.get_element_by_id("advice-form")
    assert form.get("method") == "get"
    hidden = {i.get("name"): i.get("value") for i in form.xpath(".//input[@type='hidden']")}
    assert hidden == {"lang": "en", "email": EMAIL, "advise": "1"}
    # When the customer answers and submits it
    result = page(client, f"?lang=en&email={EMAIL}&advise=1&devices=1&offline_access=yes&webmail=&connectivity=")
    # Then the recommendation comes with reasons, cautions and the FAQ link
    box = result.get_element_by_id("advice-result")
    assert box.findtext(".//h3") == "We recommend POP3"
    reasons = box.xpath(".//ul[@class='reasons']/li")
    assert [li.get("data-code") for li in reasons] == ["advice.pop3.single_device_offline"]
    assert reasons[0].text == CATALOGUE["advice.pop3.single_device_offline"]["en"].message
    cautions = [li.get("data-code") for li in box.xpath(".//ul[@class='cautions']/li")]
    assert "advice.caution.pop3_no_mixing" in cautions
    assert box.xpath(".//a[@href='https://support.example.com/faq/pop3-imap']")
    # And the answers stay selected
    assert result.get_element_by_id("devices").get("value") == "1"
    assert result.xpath("//input[@name='offline_access'][@checked]/@value") == ["yes"]


def test_advice_in_italian(client: FlaskClient) -> None:
    box = page(client, "?advise=1&devices=3&connectivity=metered").get_element_by_id("advice-result")
    assert box.findtext(".//h3") == "Ti consigliamo IMAP"
    texts = [li.text for li in box.xpath(".//ul[@class='reasons']/li")]
    assert texts[0] == CATALOGUE["advice.imap.several_devices"]["it"].message.format(devices=3)


def test_all_dont_know_still_advises_imap(client: FlaskClient) -> None:
    box = page(client, "?lang=en&advise=1&webmail=&offline_access=&devices=").get_element_by_id("advice-result")
    assert box.findtext(".//h3") == "We recommend IMAP"


@pytest.mark.parametrize(
    ("query", "field", "lang", "says"),
    [
        ("devices=0", "devices", "en", "Type a whole number from 1 to 1000."),
        ("devices=lots", "devices", "it", "Scrivi un numero intero da 1 a 1000."),
        ("quota_percent=300", "quota_percent", "en", "Type a number from 0 to 100."),
        ("quota_percent=-1", "quota_percent", "it", "Scrivi un numero da 0 a 100."),
        ("connectivity=satellite", "connectivity", "en", "Choose one of the answers."),
        ("webmail=perhaps", "webmail", "it", "Scegli una delle risposte."),
    ],
)
def test_a_bad_answer_is_marked_at_its_question_with_what_is_allowed(
    client: FlaskClient, query: str, field: str, lang: str, says: str
) -> None:
    doc = page(client, f"?lang={lang}&advise=1&{query}", status=400)
    assert doc.get_element_by_id(f"{field}-error").text == says
    assert doc.get_element_by_id("advice-result", None) is None


# --- escaping and markup that a strict CSP allows ---------------------------------------

HOSTILE = [
    '"><script>alert(1)</script>@example.com',
    "<img src=x onerror=alert(1)>@example.com",
    "javascript:alert(1)//@example.com",
    "' onfocus='alert(1)' autofocus='@example.com",
    "{{7*7}}@example.com",
]


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_email_is_escaped_everywhere(client: FlaskClient, hostile: str) -> None:
    response = client.get("/", query_string={"email": hostile, "lang": "en", "advise": "1"})
    assert response.status_code in (200, 400)  # "{{7*7}}" is a valid local part
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "49@example.com" not in html
    doc = lxml.html.fromstring(html)
    assert doc.get_element_by_id("email").get("value") == hostile  # shown back as typed, as text
    assert_csp_safe(doc)


URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster"}


def assert_csp_safe(doc: HtmlElement) -> None:
    """What `script-src 'self'; style-src 'self'` would block: inline code of any kind."""
    for script in doc.iter("script"):
        assert script.get("src", "").startswith("/static/"), lxml.html.tostring(script)
        assert not (script.text or "").strip()
    assert not list(doc.iter("style"))
    for element in doc.iter():
        if not isinstance(element.tag, str):
            continue
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name)
            assert name.lower() != "style", element.tag
            if name.lower() in URL_ATTRIBUTES:
                assert not value.strip().lower().startswith("javascript:"), (element.tag, name, value)
    for link in doc.iter("link"):
        assert link.get("href", "").startswith("/static/")


@pytest.mark.parametrize(
    "query", ["", f"?email={EMAIL}", f"?email={EMAIL}&advise=1&devices=2", "?lang=en&email=bad", "?advise=1&devices=0"]
)
def test_markup_holds_under_a_strict_csp(client: FlaskClient, query: str) -> None:
    response = client.get("/" + query)
    assert_csp_safe(lxml.html.fromstring(response.get_data(as_text=True)))


def test_static_assets_are_served(client: FlaskClient) -> None:
    doc = page(client, f"?email={EMAIL}")
    for url in doc.xpath("//script/@src | //link[@rel='stylesheet']/@href"):
        with client.get(url) as response:
            assert response.status_code == 200, url
            assert response.mimetype in ("text/javascript", "application/javascript", "text/css")


# --- the password: only ever in a POST body ----------------------------------------------


def test_the_password_field_is_only_in_a_post_form(client: FlaskClient) -> None:
    doc = page(client, f"?email={EMAIL}")
    passwords = doc.xpath("//input[@type='password']")
    assert len(passwords) == 1
    form = passwords[0].xpath("ancestor::form")[0]
    assert form.get("id") == "check-form"
    assert form.get("method") == "post"
    assert passwords[0].get("autocomplete") == "current-password"
    for other in doc.xpath("//form[not(@method='post')]"):
        assert not other.xpath(".//input[@type='password' or @name='password']")


def test_posting_the_check_without_javascript_drops_the_password(client: FlaskClient) -> None:
    # Given a browser without JavaScript submits the check form
    secret = "Hunter-2-secret"
    response = client.post("/?lang=en", data={"email": EMAIL, "password": secret})
    # Then the page explains the check needs the script, and never echoes the password
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert secret not in html
    doc = lxml.html.fromstring(html)
    assert doc.get_element_by_id("password").get("value") is None
    assert "The check needs JavaScript." in text(doc.get_element_by_id("check-form"))
    assert doc.get_element_by_id("email").get("value") == EMAIL


# --- accessibility basics ------------------------------------------------------------------


def test_every_control_has_a_label_and_progress_is_announced(client: FlaskClient) -> None:
    doc = page(client, f"?email={EMAIL}&advise=1&devices=2")
    labelled_for = set(doc.xpath("//label/@for"))
    for control in doc.xpath("//input[not(@type='hidden')] | //textarea | //select"):
        has_label = control.get("id") in labelled_for or control.xpath("ancestor::label")
        assert has_label, lxml.html.tostring(control)
    for group in doc.xpath("//fieldset"):
        assert group.findtext("legend").strip()
    progress = doc.get_element_by_id("check-progress")
    assert progress.get("aria-live") == "polite"
    assert progress.get("role") == "status"
    ids = doc.xpath("//@id")
    assert len(ids) == len(set(ids)), "duplicate ids"
    assert doc.xpath("//a[@class='skip-link'][@href='#main']")
    assert doc.xpath("//meta[@name='viewport']")
    assert not doc.xpath("//*[@tabindex > 0]"), "positive tabindex breaks the focus order"


def test_headings_form_an_outline(client: FlaskClient) -> None:
    doc = page(client, f"?email={EMAIL}&advise=1")
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5")]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels))


def test_page_is_small(client: FlaskClient) -> None:
    html = client.get(f"/?email={EMAIL}&advise=1&devices=2").get_data()
    with client.get("/static/page.css") as response:
        css = response.get_data()
    js = b""
    for script in ("marks.js", "page.js"):
        with client.get(f"/static/{script}") as response:
            js += response.get_data()
    assert len(html) + len(css) + len(js) < 60_000
    assert not re.search(rb"https?://(?!support\.example\.com|webmail\.example\.com)", html)


# --- what a new user stumbled on -----------------------------------------------------------


def test_settings_values_wrap_only_between_parts_and_each_has_a_copy_button(client: FlaskClient) -> None:
    html = client.get(f"/?email={EMAIL}&lang=en").get_data(as_text=True)
    doc = lxml.html.fromstring(html)
    card = doc.get_element_by_id("server-imap").getparent()
    # The user name may break after "." or "@" only: never inside "example" or "com"
    assert "<code>mario.<wbr>rossi@<wbr>example.<wbr>com</code>" in html
    # A copy button per value to type, carrying the exact value, shown by the script only
    buttons = {b.get("aria-label"): b for b in card.xpath(".//button[contains(@class,'copy')]")}
    assert set(buttons) == {"Copy: Server", "Copy: Port", "Copy: User name"}
    assert buttons["Copy: User name"].get("data-copy") == EMAIL
    assert buttons["Copy: Server"].get("data-copy") == "mail.example.com"
    assert buttons["Copy: Port"].get("data-copy") == "993"
    assert all(b.get("hidden") is not None and b.get("type") == "button" for b in buttons.values())


def test_calendar_and_contacts_values_wrap_between_parts_and_have_copy_buttons(
    make_config: ConfigFactory,
) -> None:
    # Given a provider with calendars: the URL is long enough to overflow a phone's card
    raw = base_raw()
    raw["provider"][0]["dav"] = [{"type": "caldav", "url": "https://dav.example.com/calendars/%EMAILADDRESS%/"}]
    client = create_app(make_config(raw)).test_client()
    html = client.get(f"/?email={EMAIL}&lang=en").get_data(as_text=True)
    # Then it may break after "/", "." and "@" only, and each value has its copy button
    assert "https:/<wbr>/<wbr>dav.<wbr>example.<wbr>com/<wbr>calendars/<wbr>mario.<wbr>rossi@<wbr>" in html
    card = lxml.html.fromstring(html).get_element_by_id("dav-1").getparent()
    buttons = {b.get("aria-label"): b.get("data-copy") for b in card.xpath(".//button[contains(@class,'copy')]")}
    assert buttons["Copy: Server address (URL)"] == f"https://dav.example.com/calendars/{EMAIL}/"
    assert set(buttons) == {"Copy: Server address (URL)", "Copy: Server", "Copy: Port", "Copy: User name"}


def test_hostile_values_stay_text_in_the_breakable_filter() -> None:
    from autoconfig.web.pages import breakable

    assert str(breakable("<b>a.b</b>@x")) == "&lt;b&gt;a.<wbr>b&lt;/<wbr>b&gt;@<wbr>x"


def test_the_page_has_a_favicon(client: FlaskClient) -> None:
    doc = page(client, "?lang=en")
    (icon,) = doc.xpath("//link[@rel='icon']/@href")
    with client.get(icon) as response:
        assert response.status_code == 200
        assert response.mimetype == "image/svg+xml"
        assert b"<svg" in response.get_data() and b"<script" not in response.get_data()


@pytest.mark.parametrize(("base_url", "claims_encryption"), [("http://localhost", False), ("https://localhost", True)])
def test_the_password_hint_claims_encryption_only_over_https(
    client: FlaskClient, base_url: str, claims_encryption: bool
) -> None:
    response = client.get(f"/?email={EMAIL}&lang=en", base_url=base_url)
    hint = lxml.html.fromstring(response.get_data(as_text=True)).get_element_by_id("password-help").text_content()
    assert ("encrypted connection" in hint) is claims_encryption
    assert "never stored or shown in the results" in hint
    italian = client.get(f"/?email={EMAIL}&lang=it", base_url=base_url).get_data(as_text=True)
    assert ("Viaggia solo su connessioni cifrate" in italian) is claims_encryption


def test_results_put_the_verdict_first_and_the_details_one_click_away(client: FlaskClient) -> None:
    doc = page(client, f"?email={EMAIL}&lang=en")
    results = doc.get_element_by_id("check-results")
    order = [e.get("id") for e in results.iter() if e.get("id") in ("check-verdict", "check-ticket", "check-details")]
    assert order == ["check-verdict", "check-ticket", "check-details"]
    details = doc.get_element_by_id("check-details")
    assert details.tag == "details" and details.get("open") is None
    assert details.findtext("summary") == "All the checks, by protocol"
    assert details.xpath(".//*[@id='check-groups']")
    verdict = doc.get_element_by_id("check-verdict")
    assert verdict.get("data-l-start") == "Start here"
    assert verdict.get("data-l-because-many") == "It also stopped {count} other checks."


def test_the_questions_read_as_spoken_to_a_customer(client: FlaskClient) -> None:
    english = text(page(client, "?lang=en"))
    italian = text(page(client, "?lang=it"))
    assert "Do you need to read your mail, attachments included, without an internet connection?" in english
    assert "Must you" not in english and "where there is no connection" not in english
    assert "Ti serve leggere la posta, allegati compresi, anche senza connessione a Internet?" in italian
    assert "Su quanti computer, telefoni e tablet leggi questa casella?" in italian
