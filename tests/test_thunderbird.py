"""Thunderbird autoconfig as Thunderbird, Thunderbird for Android (K-9), KMail and Evolution read it."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient
from lxml import etree

from autoconfig import create_app
from autoconfig.config import build_config
from tests.conftest import DATA, base_raw

RNG = DATA / "ispdb" / "draft-ietf-mailmaint-autoconfig.rng"
PATHS = ["/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml"]


def schema() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(RNG)))


def parse(body: bytes) -> etree._Element:
    return etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))


def k9_accepts(doc: etree._Element) -> list[str]:
    """The rules Thunderbird for Android (K-9's AutoconfigParser) enforces; returns violations."""
    problems = []
    provider = doc.find("emailProvider")
    if provider is None:
        return ["no emailProvider"]
    if "%" in provider.get("id", "%"):
        problems.append("emailProvider id is not a literal host name")
    for block in provider.findall("incomingServer") + provider.findall("outgoingServer"):
        for child in ("hostname", "port", "socketType", "username", "authentication"):
            if block.find(child) is None or not (block.findtext(child) or "").strip():
                problems.append(f"{block.get('type')} block lacks {child}")
        if block.findtext("socketType") not in ("SSL", "STARTTLS"):
            problems.append(f"{block.get('type')} block has socketType {block.findtext('socketType')}")
        if not 1 <= int(block.findtext("port") or 0) <= 65535:
            problems.append("port out of range")
    if not provider.findall("outgoingServer[@type='smtp']"):
        problems.append("no smtp outgoingServer")
    return problems


@pytest.mark.parametrize("path", PATHS)
def test_config_for_an_address_validates_and_satisfies_k9(client: FlaskClient, path: str) -> None:
    # When Thunderbird asks for an address
    response = client.get(f"{path}?emailaddress=mario.rossi@example.com")
    # Then it gets UTF-8 XML, no BOM, valid against the IETF draft schema and K-9's rules
    assert response.status_code == 200
    assert response.mimetype in ("application/xml", "text/xml")
    assert response.mimetype_params.get("charset", "utf-8").lower() == "utf-8"
    assert not response.data.startswith(b"\xef\xbb\xbf")
    doc = parse(response.data)
    assert schema().validate(doc), schema().error_log
    assert k9_accepts(doc) == []
    provider = doc.find("emailProvider")
    assert provider.get("id") == "example.com"
    assert provider.findtext("domain") == "example.com"
    assert provider.findtext("displayName") == "Example Hosting S.r.l."
    incoming = provider.findall("incomingServer")
    assert [b.get("type") for b in incoming] == ["imap", "pop3"]  # preference order kept
    assert incoming[0].findtext("hostname") == "mail.example.com"
    assert incoming[0].findtext("port") == "993"
    assert incoming[0].findtext("socketType") == "SSL"
    assert incoming[0].findtext("username") == "mario.rossi@example.com"
    smtp = provider.find("outgoingServer")
    assert smtp.findtext("socketType") == "STARTTLS"
    assert smtp.findtext("useGlobalPreferredServer") == "false"
    docs = provider.find("documentation")
    assert docs.get("url") == "https://support.example.com/faq/pop3-imap"
    assert {d.get("lang") for d in docs.findall("descr")} == {"it", "en"}


def test_without_address_the_domain_comes_from_the_host_and_usernames_stay_placeholders(
    client: FlaskClient,
) -> None:
    # Thunderbird for Android and KMail fetch autoconfig.<domain> without ?emailaddress=
    response = client.get(PATHS[0], headers={"Host": "autoconfig.example.org"})
    assert response.status_code == 200
    doc = parse(response.data)
    assert doc.find("emailProvider").get("id") == "example.org"
    assert {u.text for u in doc.iter("username")} == {"%EMAILADDRESS%"}
    assert k9_accepts(doc) == []


def test_well_known_path_on_the_bare_domain_with_a_port(client: FlaskClient) -> None:
    response = client.get(PATHS[1], headers={"Host": "Example.ORG:443"})
    assert response.status_code == 200
    assert parse(response.data).find("emailProvider").get("id") == "example.org"


def test_idn_host_and_address_resolve_to_one_provider(client: FlaskClient) -> None:
    by_host = client.get(PATHS[1], headers={"Host": "autoconfig.xn--bcher-kva.example"})
    by_address = client.get(PATHS[0] + "?emailaddress=luca@bücher.example")
    assert by_host.status_code == by_address.status_code == 200
    assert parse(by_address.data).find("emailProvider").get("id") == "xn--bcher-kva.example"


def test_evolution_fake_address_still_gets_its_domain(client: FlaskClient) -> None:
    response = client.get(PATHS[0] + "?emailaddress=EVOLUTIONUSER@example.com")
    assert response.status_code == 200
    assert parse(response.data).find("emailProvider/incomingServer/username").text == "EVOLUTIONUSER@example.com"


def test_localpart_username_template(tmp_path: Path) -> None:
    raw = base_raw()
    raw["provider"][0]["username"] = "%EMAILLOCALPART%"
    raw["provider"][0]["server"][0]["hostname"] = "imap.%EMAILDOMAIN%"
    client = create_app(build_config(raw, base_dir=tmp_path)).test_client()
    doc = parse(client.get(PATHS[0] + "?emailaddress=luca@example.org").data)
    assert doc.find("emailProvider/incomingServer/username").text == "luca"
    assert doc.find("emailProvider/incomingServer/hostname").text == "imap.example.org"


def test_plain_servers_are_never_published(tmp_path: Path) -> None:
    # K-9 rejects the whole file when one block is plain
    raw = base_raw()
    raw["provider"][0]["server"].insert(
        0, {"protocol": "imap", "hostname": "mail.example.com", "port": 143, "security": "plain"}
    )
    client = create_app(build_config(raw, base_dir=tmp_path)).test_client()
    doc = parse(client.get(PATHS[0] + "?emailaddress=a@example.com").data)
    assert [s.text for s in doc.iter("socketType")] == ["SSL", "SSL", "STARTTLS"]
    assert k9_accepts(doc) == []


def test_hostile_config_values_stay_well_formed(tmp_path: Path) -> None:
    # Given names with markup characters and non-ASCII text
    raw = base_raw()
    raw["provider"][0]["name"] = "Rossi & Figli <S.r.l.> \"l'Èlite\" ☃"
    raw["provider"][0]["short_name"] = "R&F <x>"
    raw["service"]["faq_url"] = "https://support.example.com/faq?a=1&b=<2>"
    client = create_app(build_config(raw, base_dir=tmp_path)).test_client()
    # When the document is rendered
    response = client.get(PATHS[0] + "?emailaddress=a@example.com")
    doc = parse(response.data)
    # Then the values come back exactly, the document still validates
    assert doc.find("emailProvider/displayName").text == "Rossi & Figli <S.r.l.> \"l'Èlite\" ☃"
    assert doc.find("emailProvider/displayShortName").text == "R&F <x>"
    assert doc.find("emailProvider/documentation").get("url") == "https://support.example.com/faq?a=1&b=<2>"
    assert schema().validate(doc)


def test_caching_headers_and_conditional_get(client: FlaskClient) -> None:
    first = client.get(PATHS[0] + "?emailaddress=a@example.com")
    assert "max-age" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = client.get(PATHS[0] + "?emailaddress=a@example.com", headers={"If-None-Match": etag})
    assert again.status_code == 304
    other = client.get(PATHS[0] + "?emailaddress=b@example.com", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_unknown_domain_is_404_and_bad_address_is_400(client: FlaskClient) -> None:
    unknown = client.get(PATHS[0] + "?emailaddress=a@unknown.example")
    assert unknown.status_code == 404
    assert unknown.json == {"error": "unknown_domain", "message": "no provider serves the domain unknown.example"}
    bad = client.get(PATHS[0] + "?emailaddress=a@@example.com")
    assert bad.status_code == 400
    assert "exactly one '@'" in bad.json["message"]


def test_reference_ispdb_samples_validate_so_the_schema_check_is_meaningful() -> None:
    rng = schema()
    assert rng.validate(etree.parse(str(DATA / "ispdb" / "web.de.xml")))
    broken = etree.fromstring(b'<clientConfig><emailProvider id="x"><port>abc</port></emailProvider></clientConfig>')
    assert not rng.validate(broken)
