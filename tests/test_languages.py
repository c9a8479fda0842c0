"""Languages come from the configuration and the catalogues, not the code: adding German is one
catalogue file and one line in `[service] languages`. This test adds it and looks at every surface
whose words it changes: the page, Thunderbird's `<descr>` and the Apple profile's texts."""

from __future__ import annotations

import plistlib
import shutil
from pathlib import Path

import lxml.html
import pytest
import tomli_w
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner
from flask.testing import FlaskClient

from autoconfig import create_app, texts
from autoconfig.cli import main
from autoconfig.config import build_config
from autoconfig.errors import ConfigError
from autoconfig.formats import mobileconfig, thunderbird
from tests.conftest import base_raw
from tests.support.silent_dns import SilentNameserver
from tests.test_thunderbird import parse, schema

EMAIL = "mario.rossi@example.com"
GERMAN = {
    thunderbird.FAQ_DESCR: "E-Mail einrichten: POP3 oder IMAP, was wählen",
    mobileconfig.PROFILE_NAME: "E-Mail %(email)s",
    mobileconfig.PROFILE_DESCRIPTION: (
        "%(provider)s: richtet das E-Mail-Konto %(email)s (%(protocol)s) ein. "
        "Das Passwort wird bei der Installation abgefragt."
    ),
    "Set up and check your e-mail": "E-Mail einrichten und prüfen",
    "Settings": "Einstellungen",
    "Lines to publish in the DNS zone": "Zeilen für die DNS-Zone",
}


@pytest.fixture
def with_german(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped catalogues plus `de/LC_MESSAGES/messages.po` (compiled, as `pip install` does)."""
    directory = tmp_path / "translations"
    shutil.copytree(texts.TRANSLATIONS, directory)
    catalog = Catalog(locale="de")
    for msgid, msgstr in GERMAN.items():
        catalog.add(msgid, msgstr, flags=["python-format"] if "%(" in msgid else [])
    po = directory / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    with po.open("wb") as handle:
        write_po(handle, catalog)
    with po.open("rb") as source, po.with_suffix(".mo").open("wb") as target:
        write_mo(target, read_po(source, locale="de"))
    monkeypatch.setattr(texts, "TRANSLATIONS", directory)
    return directory


@pytest.fixture
def german_client(with_german: Path, tmp_path: Path) -> FlaskClient:
    raw = base_raw()
    raw["service"]["languages"] = ["it", "en", "de"]  # the one config line
    return create_app(build_config(raw, base_dir=tmp_path)).test_client()


def test_german_is_refused_until_its_catalogue_exists(tmp_path: Path) -> None:
    raw = base_raw()
    raw["service"]["languages"] = ["it", "en", "de"]
    with pytest.raises(ConfigError) as caught:
        build_config(raw, base_dir=tmp_path)
    assert "service.languages[2]: no catalogue for 'de'" in str(caught.value)


def test_thunderbird_descr_comes_in_every_configured_language(german_client: FlaskClient) -> None:
    doc = parse(german_client.get(f"/mail/config-v1.1.xml?emailaddress={EMAIL}").data)
    assert schema().validate(doc), schema().error_log
    descr = {d.get("lang"): d.text for d in doc.findall("emailProvider/documentation/descr")}
    assert descr == {
        "it": "Configurare la posta: POP3 o IMAP, quale scegliere",
        "en": "Setting up e-mail: POP3 or IMAP, which to choose",
        "de": "E-Mail einrichten: POP3 oder IMAP, was wählen",
    }


def test_the_profile_speaks_german_when_asked(german_client: FlaskClient) -> None:
    profile = plistlib.loads(german_client.get(f"/mobileconfig?email={EMAIL}&lang=de").data)
    assert profile["PayloadDescription"] == (
        f"Example Hosting S.r.l.: richtet das E-Mail-Konto {EMAIL} (IMAP) ein. "
        "Das Passwort wird bei der Installation abgefragt."
    )


def test_the_page_offers_german_and_shows_it(german_client: FlaskClient) -> None:
    page = lxml.html.fromstring(german_client.get(f"/?email={EMAIL}&lang=de").data)
    assert page.get("lang") == "de"
    assert page.findtext(".//h1") == "E-Mail einrichten und prüfen"
    switch = [el.text_content() for el in page.xpath("//nav[contains(@class,'languages')]//li")]
    assert switch == ["Italiano", "English", "Deutsch"]
    # the APIs accept the language the configuration speaks (words without German text stay English)
    advice = german_client.post("/api/v1/advice", json={"devices": 3, "lang": "de"})
    assert advice.status_code == 200
    assert german_client.post("/api/v1/advice", json={"devices": 3, "lang": "fr"}).status_code == 400



def test_the_command_line_speaks_the_configured_languages(with_german: Path, tmp_path: Path) -> None:
    # Given German configured, and a resolver that does not answer (the table is printed anyway)
    raw = base_raw()
    raw["service"]["languages"] = ["it", "en", "de"]
    with SilentNameserver() as silent:
        raw["dns"] = {"nameservers": [silent.nameserver], "timeout_s": 0.3}
        config = tmp_path / "autoconfig.toml"
        config.write_text(tomli_w.dumps(raw), encoding="utf-8")
        # When the helpdesk asks for German, then for a language nobody configured
        german = CliRunner().invoke(main, ["dns", "example.com", "--config", str(config), "--lang", "de"])
        french = CliRunner().invoke(main, ["dns", "example.com", "--config", str(config), "--lang", "fr"])
    # Then German is spoken, and French is refused with the languages there are
    assert "Zeilen für die DNS-Zone:" in german.output
    assert french.exit_code == 2
    assert "--lang must be one of: it, en, de" in french.output
    assert "Zeilen" not in french.output
