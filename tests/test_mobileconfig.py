"""Apple profiles: checked key by key against Apple's own schema (apple/device-management YAML)."""

from __future__ import annotations

import datetime as dt
import plistlib
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from flask.testing import FlaskClient

from autoconfig import create_app
from autoconfig.cli import main
from autoconfig.formats import mobileconfig
from tests.conftest import DATA, ConfigFactory, base_raw

APPLE = DATA / "apple"
TYPES: dict[str, type | tuple[type, ...]] = {
    "<string>": str,
    "<integer>": int,
    "<boolean>": bool,
    "<array>": list,
    "<dictionary>": dict,
    "<data>": bytes,
    "<date>": dt.datetime,
    "<real>": float,
    "<any>": object,
}


def schema_keys(name: str) -> dict[str, dict[str, Any]]:
    doc = yaml.safe_load((APPLE / f"apple-device-management-{name}.yaml").read_text(encoding="utf-8"))
    return {k["key"]: k for k in doc["payloadkeys"]}


def check_against_schema(payload: dict[str, Any], keys: dict[str, dict[str, Any]]) -> None:
    """Every key known with the right type, values in range and format, every required key present."""
    for key, value in payload.items():
        assert key in keys, f"{key} is not in Apple's schema"
        spec = keys[key]
        expected = TYPES[spec["type"]]
        assert isinstance(value, expected), f"{key}: {type(value).__name__}, schema says {spec['type']}"
        if spec["type"] == "<integer>":
            assert not isinstance(value, bool), f"{key}: a boolean where an integer belongs"
        if "rangelist" in spec:
            assert value in spec["rangelist"], f"{key}: {value!r} not in {spec['rangelist']}"
        if "format" in spec:
            assert re.match(spec["format"], value), f"{key}: {value!r} does not match {spec['format']}"
    missing = [k for k, spec in keys.items() if spec.get("presence") == "required" and k not in payload]
    assert not missing, f"required keys missing: {missing}"


def profile_of(client: FlaskClient, query: str) -> dict[str, Any]:
    response = client.get(f"/mobileconfig?{query}")
    assert response.status_code == 200, response.data
    return plistlib.loads(response.data)  # type: ignore[no-any-return]


def mail_payload(profile: dict[str, Any]) -> dict[str, Any]:
    (mail,) = [p for p in profile["PayloadContent"] if p["PayloadType"] == "com.apple.mail.managed"]
    return mail  # type: ignore[no-any-return]


@pytest.mark.parametrize("query", ["email=mario.rossi@example.com", "emailaddress=mario.rossi@example.com",
                                   "email=mario.rossi@example.com&protocol=pop3&name=Mario%20Rossi&lang=en"])
def test_profile_matches_apples_schema(client: FlaskClient, query: str) -> None:
    # Given Apple's schema for the top level, the common payload keys and the mail payload
    top = schema_keys("TopLevel")
    common = schema_keys("CommonPayloadKeys")
    mail_keys = {**common, **schema_keys("com.apple.mail.managed")}
    # When a profile is fetched
    profile = profile_of(client, query)
    # Then every key we emit is Apple's, with the right type, and every required key is there
    check_against_schema(profile, top)
    check_against_schema(mail_payload(profile), mail_keys)
    assert profile["PayloadType"] == "Configuration" and profile["PayloadVersion"] == 1
    assert mail_payload(profile)["PayloadType"] == "com.apple.mail.managed"


def test_profile_carries_the_first_imap_and_smtp_servers_and_no_password(client: FlaskClient) -> None:
    response = client.get("/mobileconfig?email=mario.rossi@example.com&name=Mario%20Rossi")
    mail = mail_payload(plistlib.loads(response.data))
    assert mail["EmailAccountType"] == "EmailTypeIMAP"
    assert mail["EmailAddress"] == "mario.rossi@example.com"
    assert mail["EmailAccountName"] == "Mario Rossi"
    assert (mail["IncomingMailServerHostName"], mail["IncomingMailServerPortNumber"]) == ("mail.example.com", 993)
    assert (mail["OutgoingMailServerHostName"], mail["OutgoingMailServerPortNumber"]) == ("smtp.example.com", 587)
    assert mail["IncomingMailServerUseSSL"] is True and mail["OutgoingMailServerUseSSL"] is True
    assert mail["IncomingMailServerUsername"] == mail["OutgoingMailServerUsername"] == "mario.rossi@example.com"
    assert mail["IncomingMailServerAuthentication"] == mail["OutgoingMailServerAuthentication"] == "EmailAuthPassword"
    assert mail["OutgoingPasswordSameAsIncomingPassword"] is True  # asked once, on the device
    assert not any("Password" in key and key != "OutgoingPasswordSameAsIncomingPassword" for key in mail)
    assert b"Password</key>\n\t\t\t<string" not in response.data


def test_pop3_is_chosen_on_request(client: FlaskClient) -> None:
    mail = mail_payload(profile_of(client, "email=a@example.com&protocol=pop3"))
    assert mail["EmailAccountType"] == "EmailTypePOP"
    assert (mail["IncomingMailServerHostName"], mail["IncomingMailServerPortNumber"]) == ("mail.example.com", 995)


def test_protocol_the_provider_lacks_is_a_clear_400(make_config: ConfigFactory) -> None:
    raw = base_raw()
    raw["provider"][0]["server"] = [s for s in raw["provider"][0]["server"] if s["protocol"] != "pop3"]
    client = create_app(make_config(raw)).test_client()
    response = client.get("/mobileconfig?email=a@example.com&protocol=pop3")
    assert response.status_code == 400
    assert "POP3" in response.json["message"]


def test_response_is_an_attachment_with_a_safe_name(client: FlaskClient) -> None:
    response = client.get("/mobileconfig?email=Mario.O'Neil%2Bnews@bücher.example")
    assert response.status_code == 200
    assert response.mimetype == "application/x-apple-aspen-config"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    name = re.search(r'filename="?([^";]+)"?', disposition).group(1)  # type: ignore[union-attr]
    assert re.fullmatch(r"[A-Za-z0-9._-]+\.mobileconfig", name), name
    assert name == "Mario.O_Neil_news_at_xn--bcher-kva.example.mobileconfig"
    assert response.headers["Cache-Control"] == "no-store"


def test_same_address_same_identity_so_reinstalling_replaces(client: FlaskClient) -> None:
    # Given two downloads for the same address (one with another letter case and a name)
    first = profile_of(client, "email=mario.rossi@example.com")
    again = profile_of(client, "email=Mario.Rossi@example.com&name=Mario")
    # Then the profile identifier and every UUID are the same: the device replaces, never duplicates
    assert first["PayloadIdentifier"] == again["PayloadIdentifier"]
    assert first["PayloadUUID"] == again["PayloadUUID"]
    assert mail_payload(first)["PayloadIdentifier"] == mail_payload(again)["PayloadIdentifier"]
    assert mail_payload(first)["PayloadUUID"] == mail_payload(again)["PayloadUUID"]
    # And the identifier is reverse-DNS under the configured one
    assert re.fullmatch(r"com\.example\.mail\.[0-9a-f]{32}", first["PayloadIdentifier"])
    assert mail_payload(first)["PayloadIdentifier"].startswith(first["PayloadIdentifier"] + ".")


def test_uuids_are_unique_per_payload_address_and_account_type(client: FlaskClient) -> None:
    profiles = [profile_of(client, q) for q in (
        "email=mario@example.com", "email=luigi@example.com", "email=mario@example.org",
        "email=mario@example.com&protocol=pop3")]
    uuids = [p["PayloadUUID"] for p in profiles[:3]] + [mail_payload(p)["PayloadUUID"] for p in profiles]
    assert len(set(uuids)) == len(uuids)
    for value in uuids:
        assert uuid.UUID(value).version == 5
    # the profile for another address is a different profile; switching to POP3 replaces the profile
    # but brings a new mail payload (a new account), since an account cannot change type in place
    assert profiles[0]["PayloadIdentifier"] != profiles[1]["PayloadIdentifier"]
    assert profiles[0]["PayloadIdentifier"] == profiles[3]["PayloadIdentifier"]


def test_providers_without_a_mobileconfig_section_get_an_identifier_from_the_service(
    make_config: ConfigFactory,
) -> None:
    raw = base_raw()
    del raw["provider"][0]["mobileconfig"]
    client = create_app(make_config(raw)).test_client()
    profile = profile_of(client, "email=a@example.com")
    assert re.fullmatch(r"com\.example\.autoconfig\.example\.[0-9a-f]{32}", profile["PayloadIdentifier"])


def test_values_are_escaped_not_interpreted(client: FlaskClient) -> None:
    response = client.get("/mobileconfig?email=a@example.com&name=%3C/string%3E%3Ckey%3EIncomingPassword%3C/key%3E")
    mail = mail_payload(plistlib.loads(response.data))
    assert mail["EmailAccountName"] == "</string><key>IncomingPassword</key>"
    assert "IncomingPassword" not in mail


def test_texts_follow_the_service_language(client: FlaskClient) -> None:
    it = profile_of(client, "email=a@example.com")
    en = profile_of(client, "email=a@example.com&lang=en")
    assert "La password viene chiesta" in it["PayloadDescription"]
    assert "password is asked for" in en["PayloadDescription"]


def test_unsigned_profile_is_a_plain_xml_plist_and_the_same_every_time(client: FlaskClient) -> None:
    body = client.get("/mobileconfig?email=a@example.com").data
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert client.get("/mobileconfig?email=a@example.com").data == body
    assert mobileconfig.CONTENT_TYPE == "application/x-apple-aspen-config"


def test_cli_render_mobileconfig_writes_the_profile(tmp_path: Path) -> None:
    out = tmp_path / "mario.mobileconfig"
    result = CliRunner().invoke(main, ["render", "mobileconfig", "mario.rossi@example.com", "--out", str(out),
                                       "--protocol", "pop3", "--name", "Mario Rossi"])
    assert result.exit_code == 0, result.output
    mail = mail_payload(plistlib.loads(out.read_bytes()))
    assert (mail["EmailAccountType"], mail["EmailAccountName"]) == ("EmailTypePOP", "Mario Rossi")
    printed = CliRunner().invoke(main, ["render", "mobileconfig", "mario.rossi@example.com"])
    assert plistlib.loads(printed.stdout_bytes)["PayloadType"] == "Configuration"
