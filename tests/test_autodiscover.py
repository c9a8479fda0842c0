"""Outlook autodiscover, judged by the clients: exchangelib's POX parser and Thunderbird's rules.

Thunderbird's reading (releases-comm-central `ExchangeAutoDiscover.sys.mjs`, readAutoDiscoverXML)
is encoded in `thunderbird_reads` below, rule for rule, so a change that Thunderbird would
misread fails here.
"""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring as parse_xml
from exchangelib.autodiscover.properties import Autodiscover
from exchangelib.errors import AutoDiscoverFailed, ErrorNonExistentMailbox
from flask.testing import FlaskClient

from autoconfig import create_app
from autoconfig.formats import autodiscover
from tests.conftest import DATA, ConfigFactory, base_raw

SAMPLES = DATA / "autodiscover"
NS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
OUTLOOK = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
OUTLOOK_2006 = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006"
MOBILESYNC = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"
POX = "/autodiscover/autodiscover.xml"


def local(el: ET.Element) -> str:
    return str(el.tag).rsplit("}", 1)[-1]


def namespace_of(el: ET.Element) -> str:
    return str(el.tag)[1:].split("}", 1)[0] if str(el.tag).startswith("{") else ""


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def pox_request(email: str, *, sample_name: str = "pox-request-outlook.xml", schema: str | None = None) -> bytes:
    """A reference request (as Outlook or Thunderbird send it) for another address or schema."""
    body = sample(sample_name)
    for placeholder in (b"user@contoso.com", b"fred@example.com", b"chris@woodgrovebank.com"):
        body = body.replace(placeholder, email.encode("utf-8"))
    if schema is not None:
        body = body.replace(OUTLOOK.encode(), schema.encode()).replace(MOBILESYNC.encode(), schema.encode())
    return body


@dataclass(frozen=True)
class Read:
    """One server as a client understood it."""

    protocol: str
    hostname: str
    port: int
    security: str  # tls | starttls | plain
    username: str
    auth: str = "password-cleartext"


def thunderbird_reads(body: bytes) -> list[Read]:
    """Thunderbird's readAutoDiscoverXML for IMAP/POP3/SMTP blocks, rule for rule.

    SSL "off" or Encryption "None" → plaintext; otherwise the port decides: 143, 110, 25 and
    587 are STARTTLS, every other port implicit TLS. SPA "on" → a secure (NTLM/Kerberos) login.
    A missing LoginName → the address placeholder.
    """
    root = parse_xml(body)  # Thunderbird's JXON reads local names, namespaces ignored
    responses = [el for el in root if local(el) == "Response"] if local(root) == "Autodiscover" else []
    accounts = [el for r in responses for el in r if local(el) == "Account"]
    assert accounts, "Thunderbird: no_autodiscover.error"
    account = accounts[0]
    found = []
    for proto in account:
        fields = {local(child): (child.text or "") for child in proto}
        kind = fields.get("Type")
        if kind not in ("IMAP", "POP3", "SMTP"):
            continue
        port = int(fields["Port"])
        if fields.get("SSL", "").lower() == "off" or fields.get("Encryption", "").lower() == "none":
            security = "plain"
        else:
            security = "starttls" if port in (143, 110, 25, 587) else "tls"
        auth = "secure" if fields.get("SPA", "").lower() == "on" else "password-cleartext"
        found.append(Read(kind.lower(), fields["Server"], port, security,
                          fields.get("LoginName") or "%EMAILADDRESS%", auth))
    return found


def outlook_reads(body: bytes) -> list[Read]:
    """Outlook's reading via exchangelib, with Encryption (which overrides SSL) from the XML."""
    parsed = Autodiscover.from_bytes(body)
    parsed.raise_errors()
    root = parse_xml(body)
    encryptions = [
        (p.findtext(f"{{{OUTLOOK}}}Encryption") or p.findtext(f"{{{OUTLOOK_2006}}}Encryption"))
        for p in root.iter()
        if local(p) == "Protocol"
    ]
    result = []
    for proto, encryption in zip(parsed.response.account.protocols, encryptions, strict=True):
        security = "plain" if not proto.ssl else {"SSL": "tls", "TLS": "starttls"}[encryption]
        auth = "password-cleartext" if not proto.spa else "secure"
        result.append(Read(proto.type.lower(), proto.server, proto.port, security, proto.login_name, auth))
    return result


def post(client: FlaskClient, body: bytes, path: str = POX, **headers: str) -> Any:
    return client.post(path, data=body, headers={"Content-Type": "text/xml; charset=utf-8", **headers})


# --- settings responses -----------------------------------------------------------------


def test_outlook_request_gets_every_server_in_configuration_order(client: FlaskClient) -> None:
    # Given Outlook's request (reference sample) for an address of a served domain
    # When it is POSTed
    response = post(client, pox_request("mario.rossi@example.com"))
    # Then exchangelib (Outlook's POX model) reads IMAP, POP3 and SMTP as configured
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    assert outlook_reads(response.data) == [
        Read("imap", "mail.example.com", 993, "tls", "mario.rossi@example.com"),
        Read("pop3", "mail.example.com", 995, "tls", "mario.rossi@example.com"),
        Read("smtp", "smtp.example.com", 587, "starttls", "mario.rossi@example.com"),
    ]
    parsed = Autodiscover.from_bytes(response.data)
    assert parsed.response.user.display_name == "mario.rossi@example.com"
    assert parsed.response.account.type == "email"
    assert parsed.response.account.action == "settings"
    for proto in parsed.response.account.protocols:
        assert (proto.domain_required, proto.spa, proto.auth_required, proto.ssl) == (False, False, True, True)


def test_every_protocol_block_spells_out_what_clients_default_differently(client: FlaskClient) -> None:
    # When Outlook asks
    root = parse_xml(post(client, pox_request("a@example.com")).data)
    # Then the namespaces are Microsoft's http:// ones, inner Response in the asked schema
    assert root.tag == f"{{{NS}}}Autodiscover"
    assert root[0].tag == f"{{{OUTLOOK}}}Response"
    protocols = root.findall(f".//{{{OUTLOOK}}}Protocol")
    assert [p.findtext(f"{{{OUTLOOK}}}Type") for p in protocols] == ["IMAP", "POP3", "SMTP"]
    for proto in protocols:
        values = {local(c): c.text for c in proto}
        # SPA absent means on to Outlook, SSL off means plaintext to Thunderbird: both are explicit
        assert values["DomainRequired"] == "off"
        assert values["SPA"] == "off"
        assert values["AuthRequired"] == "on"
        assert values["SSL"] == "on"
        assert values["Encryption"] in ("SSL", "TLS")
        assert values["LoginName"] == "a@example.com"
    assert [p.findtext(f"{{{OUTLOOK}}}Encryption") for p in protocols] == ["SSL", "SSL", "TLS"]


def test_thunderbird_request_is_read_by_thunderbird_rules(client: FlaskClient) -> None:
    # Given Thunderbird's own request body (leading whitespace and all)
    response = post(client, pox_request("mario@example.org", sample_name="pox-request-thunderbird.xml"))
    # Then Thunderbird's reading gives the configured security: SSL on, 993/995 TLS, 587 STARTTLS
    assert response.status_code == 200
    assert thunderbird_reads(response.data) == [
        Read("imap", "mail.example.com", 993, "tls", "mario@example.org"),
        Read("pop3", "mail.example.com", 995, "tls", "mario@example.org"),
        Read("smtp", "smtp.example.com", 587, "starttls", "mario@example.org"),
    ]


@pytest.mark.parametrize(
    "path",
    [POX, "/Autodiscover/Autodiscover.xml", "/AUTODISCOVER/AUTODISCOVER.XML", "/autoDiscover/AutoDiscover.Xml"],
)
def test_path_in_any_letter_case(client: FlaskClient, path: str) -> None:
    response = post(client, pox_request("a@example.com"), path)
    assert response.status_code == 200
    assert outlook_reads(response.data)[0].hostname == "mail.example.com"


@pytest.mark.parametrize(
    "content_type",
    ["text/xml; charset=utf-8", "application/xml", "text/plain", "application/x-www-form-urlencoded",
     "multipart/form-data; boundary=x", "application/json", None],
)
def test_any_request_content_type_is_accepted(client: FlaskClient, content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post(POX, data=pox_request("a@example.com"), headers=headers)
    assert response.status_code == 200, response.data
    assert [r.protocol for r in outlook_reads(response.data)] == ["imap", "pop3", "smtp"]


def test_authorization_header_is_accepted_and_never_logged(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    # Given Outlook retrying with Basic credentials, and Thunderbird with a Bearer token
    secrets = ["Basic bWFyaW86U3VwZXJTZWdyZXRhMjAyNiE=", "Bearer eyJhbGciOi.SECRET-TOKEN.sig"]
    caplog.set_level(logging.DEBUG)
    for value in secrets:
        # When they POST with it
        response = post(client, pox_request("mario@example.com"), Authorization=value)
        bad = post(client, b"<nope", Authorization=value)
        # Then they are answered, and the value appears in no log line and no answer
        assert response.status_code == 200
        assert bad.status_code == 400
        for text in (caplog.text, response.get_data(as_text=True), bad.get_data(as_text=True)):
            assert value not in text
            assert value.split()[1] not in text
    assert "mario@example.com" not in caplog.text  # no address in the logs either


def test_response_schema_2006_without_a_is_echoed(client: FlaskClient) -> None:
    response = post(client, pox_request("a@example.com", schema=OUTLOOK_2006))
    root = parse_xml(response.data)
    assert root[0].tag == f"{{{OUTLOOK_2006}}}Response"
    assert thunderbird_reads(response.data)[0].hostname == "mail.example.com"


def test_request_without_acceptable_response_schema_gets_outlook_schema(client: FlaskClient) -> None:
    body = (b'<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">'
            b"<Request><EMailAddress>a@example.com</EMailAddress></Request></Autodiscover>")
    response = post(client, body)
    assert response.status_code == 200
    assert parse_xml(response.data)[0].tag == f"{{{OUTLOOK}}}Response"


def test_plain_servers_are_never_published_and_auth_maps_to_spa(make_config: ConfigFactory) -> None:
    # Given a provider whose first IMAP server is plain, with an NTLM server and IP-authorised SMTP
    raw = base_raw()
    raw["provider"][0]["server"] = [
        {"protocol": "imap", "hostname": "old.example.com", "port": 143, "security": "plain"},
        {"protocol": "imap", "hostname": "mail.example.com", "port": 993, "security": "tls", "auth": "NTLM"},
        {"protocol": "smtp", "hostname": "smtp.example.com", "port": 25, "security": "plain"},
        {"protocol": "smtp", "hostname": "relay.example.com", "port": 465, "security": "tls",
         "auth": "client-IP-address"},
    ]
    client = create_app(make_config(raw)).test_client()
    # When Outlook and Thunderbird read the answer
    body = post(client, pox_request("a@example.com")).data
    # Then no plain server appears, SPA says NTLM, and IP-authorised SMTP needs no login
    assert b"old.example.com" not in body and b">25<" not in body
    assert [(r.hostname, r.auth) for r in thunderbird_reads(body)] == [
        ("mail.example.com", "secure"), ("relay.example.com", "password-cleartext")]
    parsed = Autodiscover.from_bytes(body).response.account.protocols
    assert [(p.spa, p.auth_required) for p in parsed] == [(True, True), (False, False)]


def test_placeholders_are_expanded_for_the_asked_address(make_config: ConfigFactory) -> None:
    raw = base_raw()
    raw["provider"][0]["username"] = "%EMAILLOCALPART%"
    raw["provider"][0]["server"][0]["hostname"] = "imap.%EMAILDOMAIN%"
    client = create_app(make_config(raw)).test_client()
    reads = outlook_reads(post(client, pox_request("Giulia.Bianchi@example.org")).data)
    assert reads[0] == Read("imap", "imap.example.org", 993, "tls", "Giulia.Bianchi")


def test_idn_address_gets_a_label_login_and_unicode_display_name(client: FlaskClient) -> None:
    response = post(client, pox_request("anna@bücher.example"))
    assert response.status_code == 200
    parsed = Autodiscover.from_bytes(response.data).response
    assert parsed.user.display_name == "anna@bücher.example"
    assert parsed.account.protocols[0].login_name == "anna@xn--bcher-kva.example"


# --- error documents ----------------------------------------------------------------------


def error_of(body: bytes) -> tuple[str, str, int, str]:
    """(Response namespace, Error code, ..., Message) of an Error document; asserts its shape."""
    root = parse_xml(body)
    assert root.tag == f"{{{NS}}}Autodiscover"
    response = root[0]
    namespace = namespace_of(response)
    error = response.find(f"{{{namespace}}}Error")
    assert error is not None, body
    assert error.get("Time") and error.get("Id")
    debug = error.find(f"{{{namespace}}}DebugData")
    assert debug is not None
    return (namespace, error.findtext(f"{{{namespace}}}ErrorCode") or "", len(debug.text or ""),
            error.findtext(f"{{{namespace}}}Message") or "")


def test_mobilesync_request_gets_601_in_the_activesync_schema(client: FlaskClient) -> None:
    # Given an ActiveSync device's request (reference sample)
    response = post(client, sample("pox-request-mobilesync.xml"))
    # Then a well-formed 601 Error in the schema it reads (we serve no ActiveSync)
    assert response.status_code == 200
    namespace, code, debug_len, _ = error_of(response.data)
    assert (namespace, code) == (MOBILESYNC, "601")
    assert debug_len > 0
    # and the reference ActiveSync error sample has the same namespaces
    assert error_of(sample("pox-response-mobilesync-error-600.xml"))[0] == namespace


def test_unknown_response_schema_gets_601(client: FlaskClient) -> None:
    response = post(client, pox_request("a@example.com", schema="urn:example:other"))
    assert response.status_code == 200
    assert error_of(response.data)[:2] == (NS, "601")


def test_error_document_is_an_error_to_exchangelib(client: FlaskClient) -> None:
    # Given a request without EMailAddress
    body = (b'<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">'
            b"<Request><AcceptableResponseSchema>" + OUTLOOK.encode() +
            b"</AcceptableResponseSchema></Request></Autodiscover>")
    response = post(client, body)
    # Then 400 with Error 600, which exchangelib recognises as a failure, not as settings
    assert response.status_code == 400
    assert error_of(response.data)[:2] == (NS, "600")
    parsed = Autodiscover.from_bytes(response.data)
    assert parsed.response is None
    assert parsed.error_response.error.code == "600"
    with pytest.raises(AutoDiscoverFailed, match="600"):
        parsed.raise_errors()
    # and the reference error sample has the same shape and reads the same
    reference = Autodiscover.from_bytes(sample("pox-response-error-600.xml"))
    assert reference.error_response.error.code == parsed.error_response.error.code
    assert reference.error_response.error.message == parsed.error_response.error.message


def test_unknown_domain_is_404_with_error_500_mailbox_not_found(client: FlaskClient) -> None:
    response = post(client, pox_request("someone@not-served.example"))
    assert response.status_code == 404
    assert error_of(response.data)[:2] == (NS, "500")
    with pytest.raises(ErrorNonExistentMailbox):
        Autodiscover.from_bytes(response.data).raise_errors()


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_other_methods_get_405_with_an_error_document(client: FlaskClient, method: str) -> None:
    response = client.open("/Autodiscover/Autodiscover.xml", method=method)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.mimetype == "text/xml"
    assert error_of(response.data)[:2] == (NS, "600")


def test_head_gets_405_without_body(client: FlaskClient) -> None:
    response = client.head(POX)
    assert response.status_code == 405
    assert response.data == b""


def test_error_document_renderer_matches_the_reference_sample() -> None:
    # The reference error-600 sample and ours differ only in Time, Id and DebugData text
    ours = parse_xml(autodiscover.render_error(autodiscover.ErrorCode.INVALID_REQUEST, server_id="7"))
    ref = parse_xml(sample("pox-response-error-600.xml"))

    def shape(el: ET.Element) -> list[tuple[str, str]]:
        return [(e.tag, (e.text or "").strip()) for e in el.iter() if e.tag != f"{{{NS}}}DebugData"]

    assert shape(ours) == shape(ref)


# --- Autodiscover v2 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/autodiscover/autodiscover.json/v1.0/mario@example.com?Protocol=AutodiscoverV1",
        "/autodiscover/autodiscover.json/v1.0/mario@example.com?Protocol=AutodiscoverV1&RedirectCount=1",
        "/autodiscover/autodiscover.json?Email=mario%40example.com&Protocol=AutodiscoverV1&RedirectCount=1",
        "/Autodiscover/Autodiscover.json?email=mario@example.com&protocol=autodiscoverv1",
    ],
)
def test_v2_points_outlook_at_the_pox_endpoint(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.json == {"Protocol": "AutodiscoverV1", "Url": "https://autoconfig.example.com/autodiscover/autodiscover.xml"}
    # the same shape as Exchange's (reference sample)
    assert set(json.loads(sample("v2-response-autodiscoverv1.json"))) == set(response.json)
    # and the URL it gives answers POX
    follow = post(client, pox_request("mario@example.com"), path=response.json["Url"].split(".com", 1)[1])
    assert follow.status_code == 200


@pytest.mark.parametrize("protocol", ["ActiveSync", "Ews", "Rest", ""])
def test_v2_other_protocols_get_invalid_protocol(client: FlaskClient, protocol: str) -> None:
    response = client.get(f"/autodiscover/autodiscover.json/v1.0/mario@example.com?Protocol={protocol}")
    assert response.status_code == 400
    assert response.json["ErrorCode"] == "InvalidProtocol"
    assert "AutodiscoverV1" in response.json["ErrorMessage"]
    assert set(json.loads(sample("v2-response-error-invalidprotocol.json"))) == set(response.json)


def test_v2_without_protocol_is_invalid_protocol(client: FlaskClient) -> None:
    response = client.get("/autodiscover/autodiscover.json?Email=mario@example.com")
    assert response.status_code == 400
    assert response.json["ErrorCode"] == "InvalidProtocol"


def test_v2_unknown_domain_and_bad_address(client: FlaskClient) -> None:
    unknown = client.get("/autodiscover/autodiscover.json/v1.0/a@elsewhere.example?Protocol=AutodiscoverV1")
    assert unknown.status_code == 404
    assert unknown.json["error"] == "unknown_domain"
    bad = client.get("/autodiscover/autodiscover.json?Email=not-an-address&Protocol=AutodiscoverV1")
    assert bad.status_code == 400
    assert bad.json["error"] == "invalid_address"
    missing = client.get("/autodiscover/autodiscover.json?Protocol=AutodiscoverV1")
    assert missing.status_code == 400


# --- command line -------------------------------------------------------------------------


def test_cli_render_autodiscover_prints_the_pox_response(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from autoconfig.cli import main

    result = CliRunner().invoke(main, ["render", "autodiscover", "mario.rossi@example.com"])
    assert result.exit_code == 0, result.output
    reads = outlook_reads(result.stdout_bytes)
    assert reads[0] == Read("imap", "mail.example.com", 993, "tls", "mario.rossi@example.com")
    assert {r.protocol for r in reads} == {"imap", "pop3", "smtp"}
