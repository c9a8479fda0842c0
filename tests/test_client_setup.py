"""Whole-account setup: calendars and contacts, ordered authentication, OAuth2 and per-provider help,
judged by what each client reads (the draft's RELAX NG and K-9's rules, Apple's schema and a
signature OpenSSL verifies, exchangelib for POX)."""

from __future__ import annotations

import plistlib
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from autoconfig import create_app
from autoconfig.config import build_config
from autoconfig.errors import ConfigError
from tests.conftest import ConfigFactory, base_raw
from tests.support.ca import TestCA
from tests.test_autodiscover import POX, outlook_reads, pox_request, thunderbird_reads
from tests.test_mobileconfig import check_against_schema, schema_keys
from tests.test_signing import openssl_verify, signing_raw
from tests.test_thunderbird import k9_accepts, parse, schema

EMAIL = "mario.rossi@example.com"
CALDAV = {"type": "caldav", "url": "https://dav.example.com/calendars/%EMAILADDRESS%/"}
CARDDAV = {"type": "carddav", "url": "https://dav.example.com:8443/addressbooks/%EMAILLOCALPART%/",
           "username": "%EMAILLOCALPART%"}
OAUTH2 = {"issuer": "login.example.com", "scope": "IMAP SMTP offline_access",
          "auth_url": "https://login.example.com/auth", "token_url": "https://login.example.com/token"}


def whole_account(raw: dict[str, Any] | None = None) -> dict[str, Any]:
    """The base configuration with calendars, contacts, OAuth2 first on IMAP and a reseller's own help."""
    raw = raw or base_raw()
    provider = raw["provider"][0]
    provider["dav"] = [dict(CALDAV), dict(CARDDAV)]
    provider["oauth2"] = dict(OAUTH2)
    provider["server"][0]["auth"] = ["OAuth2", "password-cleartext"]
    provider["server"][2]["auth"] = ["OAuth2", "password-encrypted", "password-cleartext"]
    provider["faq_url"] = "https://reseller.example/faq"
    provider["support_url"] = "https://reseller.example/help"
    provider["documentation_url"] = "https://reseller.example/setup"
    return raw


@pytest.fixture
def client(make_config: ConfigFactory) -> FlaskClient:
    return create_app(make_config(whole_account())).test_client()


def test_thunderbird_gets_calendar_addressbook_oauth2_and_ordered_methods(client: FlaskClient) -> None:
    # When Thunderbird asks for the address
    body = client.get(f"/mail/config-v1.1.xml?emailaddress={EMAIL}").data
    doc = parse(body)
    # Then the document still validates against the draft's schema and K-9's strict rules
    assert schema().validate(doc), schema().error_log
    assert k9_accepts(doc) == []
    # And the authentication methods come in the configured order, OAuth2 first
    imap = doc.find("emailProvider/incomingServer[@type='imap']")
    assert [a.text for a in imap.findall("authentication")] == ["OAuth2", "password-cleartext"]
    smtp = doc.find("emailProvider/outgoingServer")
    assert [a.text for a in smtp.findall("authentication")] == ["OAuth2", "password-encrypted", "password-cleartext"]
    pop3 = doc.find("emailProvider/incomingServer[@type='pop3']")
    assert [a.text for a in pop3.findall("authentication")] == ["password-cleartext"]
    # And calendars and contacts are there, placeholders filled for this address
    calendar = doc.find("calendar")
    assert calendar.get("type") == "caldav"
    assert calendar.findtext("url") == f"https://dav.example.com/calendars/{EMAIL}/"
    assert calendar.findtext("username") == EMAIL
    book = doc.find("addressbook")
    assert book.get("type") == "carddav"
    assert book.findtext("url") == "https://dav.example.com:8443/addressbooks/mario.rossi/"
    assert book.findtext("username") == "mario.rossi"
    # And the OAuth2 endpoints are the provider's
    oauth = doc.find("oAuth2")
    assert {child.tag: child.text for child in oauth} == {
        "issuer": "login.example.com", "scope": "IMAP SMTP offline_access",
        "authURL": "https://login.example.com/auth", "tokenURL": "https://login.example.com/token",
    }


def test_without_an_address_the_dav_urls_keep_their_placeholders(client: FlaskClient) -> None:
    body = client.get("/mail/config-v1.1.xml", headers={"Host": "autoconfig.example.com"}).data
    doc = parse(body)
    assert schema().validate(doc), schema().error_log
    assert doc.find("calendar").findtext("url") == "https://dav.example.com/calendars/%EMAILADDRESS%/"
    assert doc.find("addressbook").findtext("username") == "%EMAILLOCALPART%"


def test_the_resellers_documentation_and_faq_replace_the_services(client: FlaskClient) -> None:
    doc = parse(client.get(f"/mail/config-v1.1.xml?emailaddress={EMAIL}").data)
    docs = doc.findall("emailProvider/documentation")
    assert [d.get("url") for d in docs] == ["https://reseller.example/setup", "https://reseller.example/faq"]
    for d in docs:
        assert {x.get("lang") for x in d.findall("descr")} == {"it", "en"}
        assert all((x.text or "").strip() for x in d.findall("descr"))


def test_two_resellers_on_one_service_each_show_their_own_faq(make_config: ConfigFactory) -> None:
    # Given two providers: one with its own FAQ, one without
    raw = whole_account()
    other = base_raw()["provider"][0]
    other.update(id="other", domains=["other.example"], domain_patterns=[])
    raw["provider"].append(other)
    client = create_app(make_config(raw)).test_client()
    # Then each autoconfig document and page names its own FAQ (the service's for the second)
    ours = parse(client.get(f"/mail/config-v1.1.xml?emailaddress={EMAIL}").data)
    theirs = parse(client.get("/mail/config-v1.1.xml?emailaddress=a@other.example").data)
    assert "https://reseller.example/faq" in [d.get("url") for d in ours.findall("emailProvider/documentation")]
    assert [d.get("url") for d in theirs.findall("emailProvider/documentation")] == [
        "https://support.example.com/faq/pop3-imap"]
    page = client.get(f"/?email={EMAIL}&lang=en&advise=1&devices=3").get_data(as_text=True)
    assert 'href="https://reseller.example/faq"' in page
    assert 'href="https://reseller.example/help"' in page
    assert "support.example.com/faq" not in page
    other_page = client.get("/?email=a@other.example&lang=en&advise=1&devices=3").get_data(as_text=True)
    assert 'href="https://support.example.com/faq/pop3-imap"' in other_page
    assert "reseller.example" not in other_page


def test_profile_sets_up_mail_calendar_and_contacts_valid_by_apples_schema(client: FlaskClient) -> None:
    # When the iPhone downloads the profile
    profile = plistlib.loads(client.get(f"/mobileconfig?email={EMAIL}").data)
    # Then it holds one mail, one CalDAV and one CardDAV payload, each valid by Apple's schema
    payloads = {p["PayloadType"]: p for p in profile["PayloadContent"]}
    assert list(payloads) == ["com.apple.mail.managed", "com.apple.caldav.account", "com.apple.carddav.account"]
    common = schema_keys("CommonPayloadKeys")
    for kind in payloads:
        check_against_schema(payloads[kind], {**common, **schema_keys(kind)})
    check_against_schema(profile, schema_keys("TopLevel"))
    cal, card = payloads["com.apple.caldav.account"], payloads["com.apple.carddav.account"]
    assert (cal["CalDAVHostName"], cal["CalDAVPort"], cal["CalDAVUseSSL"]) == ("dav.example.com", 443, True)
    assert cal["CalDAVPrincipalURL"] == f"https://dav.example.com/calendars/{EMAIL}/"
    assert cal["CalDAVUsername"] == EMAIL
    assert (card["CardDAVHostName"], card["CardDAVPort"]) == ("dav.example.com", 8443)
    assert card["CardDAVPrincipalURL"] == "https://dav.example.com:8443/addressbooks/mario.rossi/"
    assert card["CardDAVUsername"] == "mario.rossi"
    # And never a password, and every payload has its own UUID
    assert not any("Password" in key and key != "OutgoingPasswordSameAsIncomingPassword"
                   for p in payloads.values() for key in p)
    uuids = [p["PayloadUUID"] for p in profile["PayloadContent"]] + [profile["PayloadUUID"]]
    assert len(set(uuids)) == len(uuids)
    assert "calendari e contatti" in profile["PayloadDescription"]


def test_profile_and_pox_carry_the_first_method_they_can_express(client: FlaskClient) -> None:
    # Given IMAP with ["OAuth2", "password-cleartext"], SMTP with ["OAuth2", "password-encrypted", …]
    mail = plistlib.loads(client.get(f"/mobileconfig?email={EMAIL}").data)["PayloadContent"][0]
    # Then Apple, which has no OAuth2 value, gets the password ones in order
    assert mail["IncomingMailServerAuthentication"] == "EmailAuthPassword"
    assert mail["OutgoingMailServerAuthentication"] == "EmailAuthCRAMMD5"
    # And Outlook (exchangelib) and Thunderbird reading POX see a password login, SPA off, login required
    body = client.post(POX, data=pox_request(EMAIL)).data
    assert [r.auth for r in outlook_reads(body)] == ["password-cleartext"] * 3
    assert [r.auth for r in thunderbird_reads(body)] == ["password-cleartext"] * 3
    assert body.count(b"<AuthRequired>on</AuthRequired>") == 3


def test_signed_profile_with_calendars_verifies(make_config: ConfigFactory, test_ca: TestCA, tmp_path: Path) -> None:
    signing = test_ca.issue_signing("Example Hosting profile signer")
    raw = whole_account(signing_raw(signing))
    der = create_app(make_config(raw)).test_client().get(f"/mobileconfig?email={EMAIL}").data
    result = openssl_verify(der, test_ca.ca_file, tmp_path)
    assert result.returncode == 0, result.stderr.decode()
    types = [p["PayloadType"] for p in plistlib.loads(result.stdout)["PayloadContent"]]
    assert types == ["com.apple.mail.managed", "com.apple.caldav.account", "com.apple.carddav.account"]


def test_settings_api_lists_calendars_contacts_and_methods(client: FlaskClient) -> None:
    data = client.get(f"/api/v1/settings?email={EMAIL}").json
    assert data["dav"] == [
        {"type": "caldav", "url": f"https://dav.example.com/calendars/{EMAIL}/", "hostname": "dav.example.com",
         "port": 443, "path": f"/calendars/{EMAIL}/", "username": EMAIL},
        {"type": "carddav", "url": "https://dav.example.com:8443/addressbooks/mario.rossi/",
         "hostname": "dav.example.com", "port": 8443, "path": "/addressbooks/mario.rossi/", "username": "mario.rossi"},
    ]
    assert data["incoming"][0]["auth"] == "OAuth2"
    assert data["incoming"][0]["auth_methods"] == ["OAuth2", "password-cleartext"]
    assert data["help"] == {"faq_url": "https://reseller.example/faq", "support_url": "https://reseller.example/help",
                            "documentation_url": "https://reseller.example/setup"}


def _refusal(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        build_config(raw, base_dir=Path("."))
    return "\n".join(caught.value.messages)


@pytest.mark.parametrize(
    ("dav", "expected"),
    [
        ({"type": "caldav", "url": "http://dav.example.com/"},
         "provider[0].dav[0].url: 'http://dav.example.com/' must be an https:// URL"),
        ({"type": "caldav", "url": "https://dav.example.com:70000/"},
         "provider[0].dav[0].url: 'https://dav.example.com:70000/': the port must be between 1 and 65535"),
        ({"type": "carddav", "url": "https://dav.example.com:0/"},
         "provider[0].dav[0].url: 'https://dav.example.com:0/': the port must be between 1 and 65535"),
        ({"type": "carddav", "url": "https://dav.%EMAILDOMAIN%/"},
         "provider[0].dav[0].url: 'https://dav.%EMAILDOMAIN%/': the host may not hold a placeholder"),
        ({"type": "caldav", "url": "https://dav.example.com/%EMAILUSER%/"},
         "provider[0].dav[0].url: unknown placeholder '%EMAILUSER%'"),
        ({"type": "webdav", "url": "https://dav.example.com/"},
         "provider[0].dav[0].type: must be one of: caldav, carddav"),
        ({"url": "https://dav.example.com/"}, "provider[0].dav[0].type: is required"),
        ({"type": "caldav", "url": "https://dav.example.com/", "port": 443}, "provider[0].dav[0].port: unknown key"),
    ],
)
def test_check_config_refuses_bad_dav_values_naming_the_key(dav: dict[str, Any], expected: str) -> None:
    raw = base_raw()
    raw["provider"][0]["dav"] = [dav]
    assert expected in _refusal(raw)


def test_check_config_refuses_an_oauth2_only_server_and_oauth2_without_its_endpoints() -> None:
    raw = whole_account()
    raw["provider"][0]["server"][1]["auth"] = ["OAuth2"]
    message = _refusal(raw)
    assert "provider[0].server[1].auth: a server with only OAuth2 is refused" in message
    assert "password-cleartext" in message
    raw = whole_account()
    del raw["provider"][0]["oauth2"]
    assert "provider[0].oauth2: server[0] offers OAuth2: add [provider.oauth2]" in _refusal(raw)
    raw = whole_account()
    raw["provider"][0]["server"][0]["auth"] = ["password-cleartext", "password-cleartext"]
    assert "provider[0].server[0].auth: lists a method twice" in _refusal(raw)
    raw = whole_account()
    raw["provider"][0]["oauth2"]["token_url"] = "http://login.example.com/token"
    assert "provider[0].oauth2.token_url: 'http://login.example.com/token' is not an https:// URL" in _refusal(raw)


def test_cli_check_config_names_the_dav_key(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from autoconfig.cli import main

    # Given the demo configuration with a calendar served over plain http
    demo = (Path(__file__).parent.parent / "autoconfig" / "demo" / "autoconfig.toml").read_text(encoding="utf-8")
    path = tmp_path / "autoconfig.toml"
    (tmp_path / "domains.txt").write_text("", encoding="utf-8")
    path.write_text(demo + '\n  [[provider.dav]]\n  type = "caldav"\n  url = "http://dav.example.com/"\n',
                    encoding="utf-8")
    # When the operator checks it / Then the key path and the reason are named
    result = CliRunner().invoke(main, ["check-config", str(path)])
    assert result.exit_code != 0
    assert "provider[0].dav[2].url: 'http://dav.example.com/' must be an https:// URL" in result.output


def test_a_resellers_report_page_links_to_the_resellers_help(make_config: ConfigFactory, tmp_path: Path) -> None:
    from autoconfig.web.context import services

    # Given two resellers on one service, and a stored report of the first one's customer
    raw = whole_account()
    raw["provider"][0]["id"] = "reseller"
    other = base_raw()["provider"][0]
    other.update(id="other", domains=["other.example"], domain_patterns=[])
    raw["provider"].append(other)
    raw["reports"] = {"database_url": f"sqlite:///{tmp_path / 'reports.db'}"}
    app = create_app(make_config(raw))
    body = {"email": EMAIL, "provider": "reseller", "status": "ok", "checks": []}
    ticket = services(app).reports.save({"it": {**body, "lang": "it"}, "en": {**body, "lang": "en"}}, lang="it",
                                        email=EMAIL, status="ok", client="203.0.113.9")
    # When the customer opens the report's link
    page = app.test_client().get("/r/" + ticket.url.rsplit("/r/", 1)[1] + "?lang=en").get_data(as_text=True)
    # Then its links are the reseller's, not the service's
    assert 'href="https://reseller.example/faq"' in page
    assert 'href="https://reseller.example/help"' in page
    assert "support.example.com" not in page
