"""QR codes read as a phone reads them: the SVG rasterised (rsvg-convert) and decoded by a real
QR reader (zbarimg), then the payload checked field by field against Thunderbird for Android's
"Export for Mobile" format, version 1 (thunderbird-android `feature/migration/qrcode/`)."""

from __future__ import annotations

import json
import plistlib
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient

from autoconfig import create_app
from tests.conftest import ConfigFactory, base_raw
from tests.test_client_setup import whole_account

EMAIL = "mario.rossi@example.com"
LINE_BREAK = re.compile(r"[\r\n]")


def decode(svg: bytes, tmp_path: Path) -> str:
    """What a phone's camera reads: rasterise the SVG, then decode it with ZBar."""
    for tool in ("rsvg-convert", "zbarimg"):
        assert shutil.which(tool), f"{tool} is missing: install librsvg2-bin and zbar-tools (tests/debian-packages.txt)"
    source, png = tmp_path / "code.svg", tmp_path / "code.png"
    source.write_bytes(svg)
    subprocess.run(["rsvg-convert", "--zoom", "3", "-b", "white", "-o", str(png), str(source)], check=True, timeout=30)
    result = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sbinary", str(png)],
                            capture_output=True, timeout=30, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode("utf-8").removesuffix("\n")


def thunderbird_android_reads(payload: Any) -> list[str]:
    """The checks of thunderbird-android's QrCodePayloadParser and QrCodePayloadValidator, as violations."""
    problems = []
    if not (isinstance(payload, list) and payload[:1] == [1]):
        return ["not format version 1"]
    if not (isinstance(payload[1], list) and len(payload[1]) >= 2 and 1 <= payload[1][0] <= payload[1][1]):
        problems.append("bad sequence")
    if (len(payload) - 2) % 2 or len(payload) < 4:
        return [*problems, "accounts must come as IncomingServer, OutgoingServerGroups pairs"]

    def server(values: list[Any], protocols: tuple[int, ...], optional: int) -> None:
        if not (6 <= len(values) <= 6 + optional):
            problems.append(f"server has {len(values)} elements")
            return
        protocol, host, port, security, auth, username = values[:6]
        if protocol not in protocols:
            problems.append(f"protocol {protocol}")
        if not (isinstance(host, str) and host.isascii() and re.fullmatch(r"[A-Za-z0-9.-]+", host)):
            problems.append(f"hostname {host!r}")
        if not (isinstance(port, int) and 1 <= port <= 65535):
            problems.append(f"port {port!r}")
        if security not in (0, 2, 3):
            problems.append(f"connection security {security!r}")
        if auth not in range(7):
            problems.append(f"authentication type {auth!r}")
        if not isinstance(username, str) or LINE_BREAK.search(username):
            problems.append("username")

    for incoming, groups in zip(payload[2::2], payload[3::2], strict=True):
        server(incoming, (0, 1), optional=2)
        if not groups:
            problems.append("no outgoing server group")
        for group in groups:
            server(group[0], (0,), optional=1)
            for identity in group[1:]:
                address, name = identity[:2]
                if not (isinstance(address, str) and address.isascii() and address.count("@") == 1):
                    problems.append(f"email {address!r}")
                if not isinstance(name, str) or LINE_BREAK.search(name):
                    problems.append("display name")
    return problems


def test_thunderbird_android_code_carries_the_account_field_by_field(client: FlaskClient, tmp_path: Path) -> None:
    # When the page's Thunderbird code for an address is scanned
    response = client.get(f"/qr/thunderbird.svg?email={EMAIL}&name=Mario%20Rossi")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    payload = json.loads(decode(response.data, tmp_path))
    # Then Thunderbird for Android accepts it, and it says, field by field:
    assert thunderbird_android_reads(payload) == []
    version, sequence, incoming, groups = payload
    assert version == 1
    assert sequence == [1, 1]  # one code holds the whole account
    # incoming: IMAP (0), the preferred server, implicit TLS (3), password-cleartext (1), the user name
    assert incoming == [0, "mail.example.com", 993, 3, 1, EMAIL]
    # outgoing: SMTP (0), STARTTLS (2), same login; the identity is the address and the name
    assert groups == [[[0, "smtp.example.com", 587, 2, 1, EMAIL], [EMAIL, "Mario Rossi"]]]
    # and never a password: both server arrays stop before the optional password element
    assert len(incoming) == 6 and len(groups[0][0]) == 6


def test_thunderbird_android_code_uses_a_password_method_before_oauth2(make_config: ConfigFactory,
                                                                         tmp_path: Path) -> None:
    # Given IMAP with ["OAuth2", "password-cleartext"], SMTP with ["OAuth2", "password-encrypted", …]
    client = create_app(make_config(whole_account())).test_client()
    payload = json.loads(decode(client.get(f"/qr/thunderbird.svg?email={EMAIL}").data, tmp_path))
    # Then the app is told to log in with the password (it does OAuth2 only for providers it knows)
    assert payload[2][4] == 1
    assert payload[3][0][0][4] == 2
    assert payload[3][0][1] == [EMAIL, ""]


def test_pop3_first_provider_and_idn_domain_get_ascii_forms(make_config: ConfigFactory, tmp_path: Path) -> None:
    raw = base_raw()
    raw["provider"][0]["server"] = [
        {"protocol": "pop3", "hostname": "pop.%EMAILDOMAIN%", "port": 995, "security": "tls"},
        {"protocol": "smtp", "hostname": "smtp.example.com", "port": 465, "security": "tls"},
    ]
    client = create_app(make_config(raw)).test_client()
    payload = json.loads(decode(client.get("/qr/thunderbird.svg?email=anna@bücher.example").data, tmp_path))
    assert thunderbird_android_reads(payload) == []
    assert payload[2] == [1, "pop.xn--bcher-kva.example", 995, 3, 1, "anna@xn--bcher-kva.example"]
    assert payload[3][0][1][0] == "anna@xn--bcher-kva.example"


def test_apple_code_is_the_profile_link_and_the_link_gives_the_profile(client: FlaskClient, tmp_path: Path) -> None:
    # When the iPhone's camera reads the page's Apple code
    link = decode(client.get(f"/qr/mobileconfig.svg?email={EMAIL}&lang=en").data, tmp_path)
    # Then it is the service's own profile link for the address
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == "https://autoconfig.example.com"
    assert parts.path == "/mobileconfig"
    assert "password" not in link
    # And following it downloads this address's profile, in the language asked for
    profile = plistlib.loads(client.get(f"{parts.path}?{parts.query}").data)
    assert profile["PayloadContent"][0]["EmailAddress"] == EMAIL
    assert "password is asked for" in profile["PayloadDescription"]


@pytest.mark.parametrize("path", ["/qr/thunderbird.svg", "/qr/mobileconfig.svg"])
def test_a_password_in_the_url_is_refused_and_bad_addresses_are_clear(client: FlaskClient, path: str) -> None:
    response = client.get(f"{path}?email={EMAIL}&password=secret")
    assert response.status_code == 400
    assert response.json["field"] == "password"
    assert client.get(f"{path}?email=not-an-address").status_code == 400
    assert client.get(f"{path}?email=a@unknown.example").status_code == 404
    assert client.get(path).status_code == 400


def test_a_non_ascii_local_part_cannot_go_into_thunderbirds_code(client: FlaskClient) -> None:
    response = client.get("/qr/thunderbird.svg?email=rené@example.com")
    assert response.status_code == 400
    assert "ASCII" in response.json["message"]


@pytest.mark.parametrize(("lang", "thunderbird_words", "apple_words"), [
    ("it", "scegli di importare le impostazioni", "apri l'app Fotocamera"),
    ("en", "choose to import settings", "open the Camera app"),
])
def test_the_page_shows_both_codes_and_says_which_app_scans_which(
    client: FlaskClient, tmp_path: Path, lang: str, thunderbird_words: str, apple_words: str
) -> None:
    import lxml.html

    # When a customer looks up their address on the page
    page = lxml.html.fromstring(client.get(f"/?email={EMAIL}&lang={lang}").data)
    # Then it shows the Thunderbird for Android code and the Apple code, each with its own words
    thunderbird = page.get_element_by_id("qr-thunderbird")
    apple = page.get_element_by_id("qr-apple")
    assert thunderbird_words in thunderbird.text_content()
    assert apple_words in apple.text_content()
    # And each picture is a code that decodes to what its endpoint promises
    for figure, expected in ((thunderbird, "[1,[1,1],[0,"), (apple, "https://autoconfig.example.com/mobileconfig?")):
        (img,) = figure.iter("img")
        assert img.get("alt")
        svg = client.get(img.get("src"))
        assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
        assert decode(svg.data, tmp_path).startswith(expected)


def test_the_page_lists_calendars_and_contacts_for_typing_by_hand(make_config: ConfigFactory) -> None:
    client = create_app(make_config(whole_account())).test_client()
    text = client.get(f"/?email={EMAIL}&lang=en").get_data(as_text=True)
    assert "Calendars (CalDAV)" in text and "Contacts (CardDAV)" in text
    assert f"https://dav.example.com/calendars/{EMAIL}/" in text
    assert "https://dav.example.com:8443/addressbooks/mario.rossi/" in text
    assert 'href="https://reseller.example/setup"' in text  # the reseller's set-up guide
