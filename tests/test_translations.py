"""Every string on the page has its Italian and English text, compiled, and the Italian page
shows no English left over."""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

from autoconfig.i18n import TRANSLATIONS
from tests.conftest import REPO

LANGS = ("it", "en")
EMAIL = "mario.rossi@example.com"
# Words that read the same in both languages (names, protocols, "OK").
SAME_IN_BOTH = {
    "record", "no", "Account", "Account:", "Android", "OK", "Server", "Webmail:", "No", "Password",
    "iPhone, iPad and Mac (Mail)",
}


def po(lang: str) -> Catalog:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


def msgids(catalog: Catalog) -> set[str]:
    return {m.id for m in catalog if m.id and isinstance(m.id, str)}


def extracted() -> set[str]:
    """The strings the code and templates ask gettext for, extracted now (as pybabel would)."""
    method_map = [("autoconfig/**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2), "N_": None}
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(REPO), method_map=method_map, keywords=keywords
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_every_string_on_the_page_is_in_the_catalogue(lang: str) -> None:
    missing = extracted() - msgids(po(lang))
    assert not missing, f"add these to {lang}/LC_MESSAGES/messages.po (see translations/README.md): {sorted(missing)}"


@pytest.mark.parametrize("lang", LANGS)
def test_the_catalogue_holds_no_stale_strings(lang: str) -> None:
    stale = msgids(po(lang)) - extracted()
    assert not stale, f"no longer used, remove from {lang}: {sorted(stale)}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_string_has_its_text(lang: str) -> None:
    catalog = po(lang)
    empty = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not empty, f"{lang}: no text for {empty}"
    assert not fuzzy, f"{lang}: fuzzy (unchecked) texts for {fuzzy}"
    problems = [(m.id, str(e)) for m, errors in catalog.check() for e in errors]
    assert not problems  # e.g. a %(port)s placeholder lost in translation


def test_italian_is_really_italian() -> None:
    untranslated = [m.id for m in po("it") if m.id and m.string == m.id and m.id not in SAME_IN_BOTH]
    assert not untranslated, f"Italian text still in English: {untranslated}"


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalogue_matches_its_source(lang: str) -> None:
    mo_path = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
    assert mo_path.is_file(), "not compiled: run `.venv/bin/pip install -e . --no-deps` (deploy/hatch_build.py)"
    with mo_path.open("rb") as handle:
        compiled = {m.id: m.string for m in read_mo(handle) if m.id}
    source = {m.id: m.string for m in po(lang) if m.id}
    assert compiled == source, "stale .mo: run `.venv/bin/pip install -e . --no-deps` to recompile"


def visible_strings(html: str) -> list[str]:
    """Text nodes and the attribute values a person reads or hears."""
    doc = lxml.html.fromstring(html)
    for code in doc.xpath("//code | //*[@lang='en']"):  # server names; the "English" switch
        code.drop_tree()
    strings = [" ".join(t.split()) for t in doc.xpath("//text()") if t.strip()]
    for name in ("placeholder", "aria-label", "title"):
        strings += doc.xpath(f"//@{name}")
    strings += [value for element in doc.iter() for key, value in element.attrib.items() if key.startswith("data-l-")]
    return strings


def test_the_italian_page_shows_no_english(client: FlaskClient) -> None:
    # Given every part of the page rendered in Italian: settings, advice, errors, the JS labels
    pages = [
        client.get(f"/?lang=it&email={EMAIL}&advise=1&devices=1&offline_access=yes&webmail=no"),
        client.get("/?lang=it&advise=1&devices=0&email=not-an-address"),
        client.post("/?lang=it", data={"email": EMAIL, "password": "x"}),
    ]
    english = {m.id for m in po("en") if m.id} - SAME_IN_BOTH
    for response in pages:
        # When we read what a customer would read
        strings = visible_strings(response.get_data(as_text=True))
        # Then no English page string is among it
        leftovers = [s for s in strings if s in english or s.rstrip(":") in english]
        assert not leftovers, leftovers
        joined = " ".join(strings)
        for word in ("Settings", "User name", "Run the check", "We recommend", "Keep in mind", "Normal password"):
            assert not re.search(rf"\b{word}\b", joined), word


def test_the_english_page_uses_the_english_catalogue(client: FlaskClient) -> None:
    html = client.get(f"/?lang=en&email={EMAIL}").get_data(as_text=True)
    assert "Show settings" in html and "Mostra le impostazioni" not in html


def test_translations_ship_with_the_package() -> None:
    # The hatch hook compiles them; the wheel takes the .mo files though git ignores them.
    hook = (REPO / "deploy" / "hatch_build.py").read_text()
    assert "artifacts" in hook
    assert Path(REPO / "pyproject.toml").read_text().count('path = "deploy/hatch_build.py"') == 1


@pytest.mark.parametrize(("lang", "said"), [("it", "Non verificato"), ("en", "Not checked")])
def test_a_skipped_status_reads_the_same_in_every_section(client: FlaskClient, lang: str, said: str) -> None:
    # Given the page with its results and its discovery section
    doc = lxml.html.fromstring(client.get(f"/?lang={lang}&email={EMAIL}").get_data(as_text=True))
    # Then both label a skipped check alike, as do the helpdesk templates
    assert set(doc.xpath("//@data-l-skipped")) == {said}
    for name in ("compare.html", "report.html", "address.html"):
        assert '"skipped": _("Not checked")' in (REPO / "templates" / "helpdesk" / name).read_text(encoding="utf-8")
    assert "Skipped" not in {m.id for m in po(lang)}
