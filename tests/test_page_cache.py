"""The page is kept rendered per app (issue 15): a kept page must be exactly what a fresh
render would write for this request. Each test asks for the same page around a change a
visitor would see, and checks that the later answer follows the change."""

from __future__ import annotations

import datetime as dt

import lxml.html
from flask import Flask
from flask.testing import FlaskClient

from autoconfig import create_app
from autoconfig.model import Config
from autoconfig.watch.incidents import EndpointState, Opening
from autoconfig.watch.store import WatchStore
from autoconfig.watch.view import WatchView
from autoconfig.web.context import services
from autoconfig.web.pages import MAX_PAGES
from autoconfig.web.status import EXTENSION as WATCH

EMAIL = "mario.rossi@example.com"


def _html(client: FlaskClient, path: str, status: int = 200, **kwargs: object) -> str:
    response = client.get(path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    return response.get_data(as_text=True)


def _heading(html: str) -> str:
    return str(lxml.html.fromstring(html).findtext(".//h1"))


def test_the_same_address_follows_each_visitors_language(client: FlaskClient) -> None:
    # Given the page for one address, asked by an Italian browser, then an English one, then Italian again
    pages = [_html(client, f"/?email={EMAIL}", headers={"Accept-Language": accept}) for accept in ("it", "en", "it")]
    # Then each visitor reads their own language, the settings' words too
    assert [_heading(p) for p in pages] == [
        "Configura e verifica la tua posta", "Set up and check your e-mail", "Configura e verifica la tua posta"]
    assert "posta in arrivo" in pages[0] and "incoming mail" in pages[1] and "incoming mail" not in pages[2]
    assert pages[0] == pages[2]


def test_each_address_and_each_set_of_answers_gets_its_own_page(client: FlaskClient) -> None:
    mario = _html(client, f"/?email={EMAIL}&lang=en")
    anna = _html(client, "/?email=anna@example.com&lang=en")
    assert "anna@example.com" in anna and EMAIL not in anna
    assert EMAIL in mario and "anna@example.com" not in mario
    # The answers decide the advice: one device and a metered line, then four devices and webmail
    pop = _html(client, f"/?email={EMAIL}&lang=en&advise=1&devices=1&connectivity=metered&offline_access=yes")
    imap = _html(client, f"/?email={EMAIL}&lang=en&advise=1&devices=4&webmail=yes&server_folders=yes")
    assert pop != imap
    assert 'value="4"' in imap and 'value="4"' not in pop
    # A wrong answer is a 400 with its error, even after the right page was kept
    _html(client, f"/?email={EMAIL}&lang=en&advise=1&devices=4", status=200)
    wrong = _html(client, f"/?email={EMAIL}&lang=en&advise=1&devices=0", status=400)
    assert "Type a whole number from" in wrong


def test_the_banner_appears_as_soon_as_the_watch_opens_an_incident_and_goes_when_it_closes(app: Flask) -> None:
    app.extensions[WATCH] = WatchView(services(app).database, ttl_s=0)  # the watch read afresh every time
    client = app.test_client()
    store = WatchStore(services(app).database.ready())
    before = _html(client, f"/?email={EMAIL}&lang=en")
    assert "On our side" not in before
    # When the watch opens an incident on the address's IMAP server
    start = dt.datetime.now(dt.UTC)
    down = EndpointState("mail.example.com", 993, "ipv4", "imap", False, "net.refused", start)
    store.record_round("w", start, start, [down], [Opening("mail.example.com", 993, "net.refused", start)], [])
    during = _html(client, f"/?email={EMAIL}&lang=en")
    # Then the same page now says so, and an unrelated page is unchanged
    banner = lxml.html.fromstring(during).get_element_by_id("watch-banner")
    assert banner.get("hidden") is None and "mail.example.com" in banner.text_content()
    assert _html(client, "/?lang=en") == _html(client, "/?lang=en")
    # And when it closes, the page is the one from before
    store.record_round("w", start, start, [], [], [("mail.example.com", 993)])
    assert _html(client, f"/?email={EMAIL}&lang=en") == before


def test_a_page_under_another_prefix_or_scheme_links_accordingly(client: FlaskClient) -> None:
    plain = _html(client, f"/?email={EMAIL}&lang=en", base_url="http://localhost")
    mounted = _html(client, f"/?email={EMAIL}&lang=en", base_url="http://localhost/setup/")
    secure = _html(client, f"/?email={EMAIL}&lang=en", base_url="https://localhost")
    assert 'action="/setup/"' in mounted and 'action="/setup/"' not in plain
    assert "Sent only over an encrypted connection" in secure
    assert "Sent only over an encrypted connection" not in plain


def test_the_check_form_posted_without_script_is_not_served_as_the_plain_page(client: FlaskClient) -> None:
    plain = _html(client, f"/?email={EMAIL}&lang=en")
    posted = client.post("/?lang=en", data={"email": EMAIL, "password": "x"}).get_data(as_text=True)
    assert 'role="alert">The check needs JavaScript' in posted
    assert 'role="alert">The check needs JavaScript' not in plain


def test_many_addresses_keep_a_bounded_number_of_pages_and_each_stays_right(config: Config) -> None:
    app = create_app(config)
    client = app.test_client()
    first = _html(client, "/?email=first@example.com&lang=en")
    for n in range(MAX_PAGES + 20):
        assert f"user{n}@example.com" in _html(client, f"/?email=user{n}@example.com&lang=en")
    assert app.extensions["autoconfig.rendered_pages"].cache_info().currsize <= MAX_PAGES
    assert _html(client, "/?email=first@example.com&lang=en") == first
