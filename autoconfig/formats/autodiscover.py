"""Outlook autodiscover: the POX request parsed, the settings and Error documents rendered, v2 JSON.

What clients read (Outlook, Thunderbird's ExchangeAutoDiscover, exchangelib):
- the outer `Autodiscover` is in the base response namespace, the inner `Response` in the schema the
  client asked for (`AcceptableResponseSchema`); an `Error` `Response` stays in the base namespace
  (MS docs, exchangelib), except for ActiveSync clients, which read errors in their own schema;
- `SPA` absent means on to Outlook, so it is always written; `SSL` off or `Encryption` None means
  plaintext to Thunderbird, so both are written for every (never plain) server;
- `Encryption` overrides `SSL` for Outlook: `SSL` is implicit TLS, `TLS` is STARTTLS.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from ..errors import InvalidInput
from ..model import Auth, Protocol, ResolvedServer, Security, Settings
from ..xmlinput import children, local_name, parse_xml

_MS = "http://schemas.microsoft.com/exchange/autodiscover"
NS_REQUEST = f"{_MS}/outlook/requestschema/2006"
NS_RESPONSE = f"{_MS}/responseschema/2006"
NS_OUTLOOK = f"{_MS}/outlook/responseschema/2006a"
NS_OUTLOOK_2006 = f"{_MS}/outlook/responseschema/2006"
NS_MOBILESYNC = f"{_MS}/mobilesync/responseschema/2006"
OUTLOOK_SCHEMAS = (NS_OUTLOOK, NS_OUTLOOK_2006)

PROTOCOL_TYPES = {Protocol.IMAP: "IMAP", Protocol.POP3: "POP3", Protocol.SMTP: "SMTP"}
ENCRYPTION = {Security.TLS: "SSL", Security.STARTTLS: "TLS"}
SPA_AUTH = (Auth.NTLM, Auth.GSSAPI)  # Secure Password Authentication: NTLM or Kerberos
NO_AUTH = (Auth.NONE, Auth.CLIENT_IP_ADDRESS)
# What POX can say: a password (SPA off), SPA, or no login. OAuth2 and client certificates it cannot.
EXPRESSIBLE = (Auth.PASSWORD_CLEARTEXT, Auth.PASSWORD_ENCRYPTED, *SPA_AUTH, *NO_AUTH)
TTL_HOURS = 1

V2_PROTOCOL = "AutodiscoverV1"
POX_PATH = "/autodiscover/autodiscover.xml"


class ErrorCode(IntEnum):
    """[MS-OXDSCLI] error codes, with the standard message each is sent with."""

    ADDRESS_NOT_FOUND = 500
    INVALID_REQUEST = 600
    SCHEMA_NOT_AVAILABLE = 601
    INTERNAL_ERROR = 603

    @property
    def message(self) -> str:
        return {
            500: "The e-mail address cannot be found.",  # exchangelib matches this text exactly
            600: "Invalid Request",
            601: "The requested schema is not available.",
            603: "Internal Server Error",
        }[self.value]


class AutodiscoverRequestError(InvalidInput):
    """A POX request we cannot answer with settings; carries the Error code and its namespace."""

    code = "invalid_autodiscover_request"

    def __init__(
        self, message: str, *, error: ErrorCode = ErrorCode.INVALID_REQUEST, namespace: str = NS_RESPONSE
    ) -> None:
        super().__init__(message)
        self.error = error
        self.namespace = namespace


@dataclass(frozen=True)
class AutodiscoverRequest:
    email: str
    response_schema: str = NS_OUTLOOK


def _only_text(parent: ET.Element, name: str, *, required: bool) -> str | None:
    found = children(parent, name)
    if len(found) > 1:
        raise AutodiscoverRequestError(f"the request has {len(found)} {name} elements; send exactly one")
    if not found:
        if required:
            raise AutodiscoverRequestError(f"the request has no {name} element")
        return None
    text = found[0].text or ""
    if not text.strip() and required:
        raise AutodiscoverRequestError(f"the {name} element is empty")
    return text or None


def parse_request(body: bytes) -> AutodiscoverRequest:
    """The address and wanted schema of a POX request; AutodiscoverRequestError when unusable."""
    root = parse_xml(body)
    if local_name(root.tag) != "Autodiscover":
        raise AutodiscoverRequestError(f"the root element is {local_name(root.tag)!r}, not 'Autodiscover'")
    requests = children(root, "Request")
    if len(requests) != 1:
        raise AutodiscoverRequestError("the Autodiscover element needs exactly one Request element")
    request = requests[0]
    schema = (_only_text(request, "AcceptableResponseSchema", required=False) or "").strip() or NS_OUTLOOK
    if schema not in OUTLOOK_SCHEMAS:
        what = "ActiveSync (mobilesync)" if schema == NS_MOBILESYNC else repr(schema[:200])
        raise AutodiscoverRequestError(
            f"the response schema {what} is not served here; ask for {NS_OUTLOOK}",
            error=ErrorCode.SCHEMA_NOT_AVAILABLE,
            namespace=NS_MOBILESYNC if schema == NS_MOBILESYNC else NS_RESPONSE,
        )
    email = _only_text(request, "EMailAddress", required=True)
    assert email is not None
    return AutodiscoverRequest(email=email, response_schema=schema)


def _on(value: bool) -> str:
    return "on" if value else "off"


def pox_auth(server: ResolvedServer) -> Auth:
    """The first method of the server's list that POX can express (a password when none can)."""
    return server.first_of(EXPRESSIBLE) or Auth.PASSWORD_CLEARTEXT


def _protocol(account: ET.Element, server: ResolvedServer) -> None:
    auth = pox_auth(server)
    el = ET.SubElement(account, "Protocol")
    ET.SubElement(el, "Type").text = PROTOCOL_TYPES[server.protocol]
    ET.SubElement(el, "TTL").text = str(TTL_HOURS)
    ET.SubElement(el, "Server").text = server.hostname
    ET.SubElement(el, "Port").text = str(server.port)
    ET.SubElement(el, "LoginName").text = server.username
    ET.SubElement(el, "DomainRequired").text = "off"
    ET.SubElement(el, "SPA").text = _on(auth in SPA_AUTH)
    ET.SubElement(el, "SSL").text = "on"
    ET.SubElement(el, "Encryption").text = ENCRYPTION[server.security]
    ET.SubElement(el, "AuthRequired").text = _on(auth not in NO_AUTH)
    if server.protocol is Protocol.SMTP:
        ET.SubElement(el, "UsePOPAuth").text = _on(auth not in NO_AUTH)  # same login as incoming
        ET.SubElement(el, "SMTPLast").text = "off"


def _document(response_ns: str) -> tuple[ET.Element, ET.Element]:
    root = ET.Element("Autodiscover", xmlns=NS_RESPONSE)
    return root, ET.SubElement(root, "Response", xmlns=response_ns)


def _bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def render(settings: Settings, *, schema: str = NS_OUTLOOK) -> bytes:
    """The settings response: IMAP, POP3 and SMTP blocks in the configuration's order, never plain."""
    if schema not in OUTLOOK_SCHEMAS:
        raise ValueError(f"not an Outlook response schema: {schema}")
    root, response = _document(schema)
    user = ET.SubElement(response, "User")
    ET.SubElement(user, "DisplayName").text = settings.address.email_unicode if settings.address else settings.email
    account = ET.SubElement(response, "Account")
    ET.SubElement(account, "AccountType").text = "email"
    ET.SubElement(account, "Action").text = "settings"
    for server in settings.servers:
        if server.security in ENCRYPTION:
            _protocol(account, server)
    return _bytes(root)


def error_id(public_url: str) -> str:
    """The Error `Id`: per MS docs a hash of the answering server's name; stable, reveals nothing."""
    return str(zlib.crc32(public_url.encode("utf-8")))


def render_error(
    error: ErrorCode,
    debug: str = "",
    *,
    namespace: str = NS_RESPONSE,
    at: dt.datetime | None = None,
    server_id: str = "0",
) -> bytes:
    """An Autodiscover `Error` document: standard `Message`, our explanation in `DebugData`."""
    root, response = _document(namespace)
    attrs = {"Id": server_id}
    if at is not None:
        attrs = {"Time": f"{at:%H:%M:%S}.{at.microsecond:06d}0", **attrs}
    el = ET.SubElement(response, "Error", attrs)
    ET.SubElement(el, "ErrorCode").text = str(error.value)
    ET.SubElement(el, "Message").text = error.message
    ET.SubElement(el, "DebugData").text = debug or None
    return _bytes(root)


def v2_response(public_url: str) -> dict[str, Any]:
    """Autodiscover v2 for Protocol=AutodiscoverV1: where the POX endpoint is."""
    return {"Protocol": V2_PROTOCOL, "Url": public_url.rstrip("/") + POX_PATH}


def v2_invalid_protocol(value: str | None) -> dict[str, Any]:
    """The v2 error for a protocol we do not serve (Exchange's wording and shape; sent with 400)."""
    if not value:
        message = (
            "A valid value must be provided for the query parameter 'Protocol'. "
            f"Supported values are '{V2_PROTOCOL}'"
        )
    else:
        message = f"The given protocol value '{value[:64]}' is invalid. Supported values are '{V2_PROTOCOL}'"
    return {"ErrorCode": "InvalidProtocol", "ErrorMessage": message}
