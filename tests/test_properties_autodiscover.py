"""Properties of the Autodiscover request parser (autoconfig/xmlinput.py and
formats/autodiscover.py `parse_request`), for every body hypothesis can think of: an
address and a schema, or our own clear error, never another exception (that would be a
500 and no Error document for Outlook); the address a client sent comes back exactly;
and no DOCTYPE, entity or external reference ever gets through, however it is dressed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

import defusedxml.ElementTree as DefusedET
import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from autoconfig import create_app
from autoconfig.errors import InvalidInput
from autoconfig.formats.autodiscover import (
    NS_MOBILESYNC,
    NS_OUTLOOK,
    NS_OUTLOOK_2006,
    NS_REQUEST,
    AutodiscoverRequest,
    AutodiscoverRequestError,
    ErrorCode,
    parse_request,
)
from autoconfig.xmlinput import MAX_XML_BYTES, XmlInputError, XmlTooLarge, parse_xml
from tests.conftest import ConfigFactory, base_raw
from tests.test_properties_addresses import addresses

NS_RESPONSE_ERRORS = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
# What expat reads; ElementTree writes non-Latin text as character references in the last two.
ENCODINGS = ["utf-8", "utf-16", "iso-8859-1", "us-ascii"]

# Text XML 1.0 can carry (minus CR, which every parser turns into LF: no client sends one).
xml_chars = st.characters(
    blacklist_categories=["Cs"],
    blacklist_characters="\r\ufffe\uffff",
).filter(lambda c: c in "\t\n" or ord(c) >= 0x20)
xml_text = st.text(xml_chars, max_size=80)
names = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12)


def parsed_or_refused(body: bytes) -> AutodiscoverRequest | None:
    """parse_request's two allowed outcomes; anything else fails the property."""
    try:
        return parse_request(body)
    except InvalidInput as exc:
        assert isinstance(exc, (XmlInputError, AutodiscoverRequestError)), type(exc)
        assert exc.message and 400 <= exc.status < 500
        return None


def request_body(
    email: str,
    *,
    schema: str | None = NS_OUTLOOK,
    namespace: str | None = NS_REQUEST,
    prefix: str | None = None,
    encoding: str = "utf-8",
    extras: Sequence[str] = (),
) -> bytes:
    """A well-formed POX request built with ElementTree (which escapes), as clients send it."""
    def tag(name: str) -> str:
        return f"{{{namespace}}}{name}" if namespace else name

    if prefix and namespace:
        ET.register_namespace(prefix, namespace)
    root = ET.Element(tag("Autodiscover"))
    request = ET.SubElement(root, tag("Request"))
    for name in extras:  # elements the parser must ignore
        ET.SubElement(request, tag(name)).text = "ignored"
    ET.SubElement(request, tag("EMailAddress")).text = email
    if schema is not None:
        ET.SubElement(request, tag("AcceptableResponseSchema")).text = schema
    return ET.tostring(root, encoding=encoding, xml_declaration=True)


# --- any bytes -------------------------------------------------------------------------


@settings(max_examples=1000)
@given(st.binary(max_size=600))
@example(b"")
@example(b"\x00" * 10)
@example(b"\xef\xbb\xbf")
@example(b"\xff\xfe<\x00")
@example(b'<?xml version="1.0" encoding="klingon"?><a/>')
@example(b'<?xml version="1.0" encoding="utf-7"?><a/>')
@example(b'<?xml version="1.0" encoding="cp1252"?><Autodiscover/>')
@example(b"<Autodiscover><Request><EMailAddress>\xff</EMailAddress></Request></Autodiscover>")
def test_any_bytes_are_a_request_or_our_clear_error(body: bytes) -> None:
    parsed_or_refused(body)


# Bytes that look like XML: fragments of the request, markup and junk, shuffled together.
fragments = st.sampled_from([
    "<Autodiscover>", "</Autodiscover>", f'<Autodiscover xmlns="{NS_REQUEST}">', "<Request>", "</Request>",
    "<EMailAddress>", "</EMailAddress>", "mario@example.com", "<AcceptableResponseSchema>",
    "</AcceptableResponseSchema>", NS_OUTLOOK, NS_MOBILESYNC, "<a:Request xmlns:a='x'>", "</a:Request>",
    '<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-16"?>', "<!-- c -->", "<![CDATA[x]]>",
    "<!DOCTYPE a>", '<!ENTITY e "x">', "&e;", "&amp;", "&#0;", "&#x41;", "&#xD800;", "<?pi x?>", "<", ">",
    "/>", "'", '"', "=", " ", "\n", "\x00", "é", "\ufeff", "xmlns=''", "xmlns:p='u'", "<p:x/>",
])


@settings(max_examples=1000)
@given(st.lists(st.one_of(fragments, xml_text), max_size=25), st.sampled_from(["utf-8", "utf-16", "latin-1"]))
def test_xml_like_bodies_are_a_request_or_our_clear_error(parts: list[str], encoding: str) -> None:
    parsed_or_refused("".join(parts).encode(encoding, "replace"))


@settings(max_examples=200)
@given(st.binary(min_size=1, max_size=64), st.integers(min_value=1, max_value=4096))
def test_a_body_over_the_cap_is_refused_unread(head: bytes, extra: int) -> None:
    body = (head * (MAX_XML_BYTES // len(head) + 1))[: MAX_XML_BYTES + extra]
    try:
        parse_xml(body)
    except XmlTooLarge as exc:
        assert exc.status == 413
    else:
        raise AssertionError("a body over the cap was parsed")


# --- well-formed requests --------------------------------------------------------------


@settings(max_examples=300)
@given(
    addresses,
    st.sampled_from([NS_OUTLOOK, NS_OUTLOOK_2006, None]),
    st.sampled_from([NS_REQUEST, None, "urn:someone-else"]),
    st.sampled_from([None, "a", "req"]),
    st.sampled_from(ENCODINGS),
    st.lists(names.filter(lambda n: n not in {"EMailAddress", "AcceptableResponseSchema"}), max_size=3),
)
def test_a_well_formed_request_gives_back_its_address_and_schema(
    email: str, schema: str | None, namespace: str | None, prefix: str | None, encoding: str, extras: list[str]
) -> None:
    body = request_body(email, schema=schema, namespace=namespace, prefix=prefix, encoding=encoding, extras=extras)
    parsed = parse_request(body)
    assert parsed.email == email
    assert parsed.response_schema == (schema or NS_OUTLOOK)


@settings(max_examples=300)
@given(xml_text.filter(lambda t: t.strip() != ""), st.sampled_from(ENCODINGS))
def test_whatever_text_the_address_element_holds_comes_back_exactly(text: str, encoding: str) -> None:
    # The parser hands on what the client sent; judging it is the address parser's job.
    assert parse_request(request_body(text, encoding=encoding)).email == text


@settings(max_examples=100)
@given(addresses, st.sampled_from([NS_MOBILESYNC, "http://example.com/other", " "]))
def test_a_schema_we_do_not_serve_is_an_error_document_request(email: str, schema: str) -> None:
    try:
        parse_request(request_body(email, schema=schema))
    except AutodiscoverRequestError as exc:
        assert schema.strip(), "a blank schema means the default"
        assert exc.error is ErrorCode.SCHEMA_NOT_AVAILABLE
        assert exc.namespace == (NS_MOBILESYNC if schema == NS_MOBILESYNC else NS_RESPONSE_ERRORS)
    else:
        assert not schema.strip()


@settings(max_examples=50)
@given(addresses, st.sampled_from(["utf-16-le", "utf-16-be", "utf-32"]))
def test_encodings_expat_cannot_read_are_refused_clearly(email: str, encoding: str) -> None:
    # BOM-less UTF-16 labelled -le/-be and UTF-32 (no client sends them): a 400 that says so.
    body = request_body(email, encoding=encoding)
    assert parsed_or_refused(body) is None


# --- DTDs and entities -----------------------------------------------------------------

DOCTYPES = [
    "<!DOCTYPE Autodiscover>",
    '<!DOCTYPE Autodiscover [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE Autodiscover [<!ENTITY xxe SYSTEM "http://192.0.2.1/x">]>',
    '<!DOCTYPE Autodiscover SYSTEM "http://192.0.2.1/a.dtd">',
    '<!DOCTYPE Autodiscover PUBLIC "-//X//EN" "file:///etc/passwd">',
    '<!DOCTYPE Autodiscover [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>',
    '<!DOCTYPE Autodiscover [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
    '<!DOCTYPE Autodiscover [<!ELEMENT Autodiscover ANY><!ATTLIST Autodiscover a CDATA "x">]>',
    '<!DOCTYPE Autodiscover [<!ENTITY x "mario@example.com">]>',
]
REFERENCES = ["&xxe;", "&d;", "&x;", "&p;", ""]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(DOCTYPES),
    st.sampled_from(REFERENCES),
    st.sampled_from(["", '<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-8"?>']),
    st.sampled_from(["", "\n", "<!-- hi -->", "<?pi x?>"]),
    st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-32"]),
)
def test_a_doctype_is_always_refused_and_nothing_expanded(
    doctype: str, reference: str, declaration: str, between: str, encoding: str
) -> None:
    if declaration and encoding != "utf-8":
        declaration = f'<?xml version="1.0" encoding="{encoding}"?>'
    body = (
        f"{declaration}{between}{doctype}{between}<Autodiscover xmlns=\"{NS_REQUEST}\"><Request>"
        f"<EMailAddress>{reference or 'mario@example.com'}</EMailAddress></Request></Autodiscover>"
    ).encode(encoding)
    try:
        parse_request(body)
    except XmlInputError as exc:
        if encoding in ("utf-8", "utf-16"):  # the others are refused before the DOCTYPE is read
            assert "DOCTYPE" in exc.message, exc.message
    else:
        raise AssertionError("a body with a DOCTYPE was parsed")


@settings(max_examples=200)
@given(addresses, st.sampled_from(["&xxe;", "&lt", "&unknown;", "&#0;", "&#xFFFE;"]), st.integers(0, 200))
def test_an_entity_without_a_dtd_is_never_expanded(email: str, reference: str, where: int) -> None:
    position = where % (len(email) + 1)
    text = email[:position] + reference + email[position:]
    body = (f'<Autodiscover xmlns="{NS_REQUEST}"><Request><EMailAddress>{text}</EMailAddress>'
            "</Request></Autodiscover>").encode()
    try:
        parse_request(body)
    except XmlInputError as exc:
        assert "well-formed" in exc.message
    else:
        raise AssertionError("an undefined entity was accepted")


# --- over HTTP -------------------------------------------------------------------------


@pytest.fixture
def pox_client(make_config: ConfigFactory) -> FlaskClient:
    raw = base_raw()
    raw["limits"] = {"autoconfig_per_ip": "100000/minute"}  # one client address, many requests
    app = create_app(make_config(raw))
    app.config["TESTING"] = True
    return app.test_client()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=300), st.lists(fragments, max_size=15).map(lambda p: "".join(p).encode())))
def test_the_pox_endpoint_answers_any_body_with_an_autodiscover_document(pox_client: FlaskClient, body: bytes) -> None:
    response = pox_client.post("/autodiscover/autodiscover.xml", data=body, headers={"Content-Type": "text/xml"})
    assert response.status_code in (200, 400, 404, 413)
    assert response.mimetype == "text/xml"
    root = DefusedET.fromstring(response.data)
    assert root.tag.endswith("}Autodiscover")
    if response.status_code != 200:
        assert root.find(".//{*}Error/{*}ErrorCode") is not None
