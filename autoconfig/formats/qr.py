"""QR codes for phones: Thunderbird for Android's account import, and the Apple profile's link.

Thunderbird for Android reads the "Export for Mobile" format, version 1, of the
thunderbird-android repository (`feature/migration/qrcode/qr-code-format.md`): UTF-8 JSON
made of nested arrays,
`[1, [1, 1], IncomingServer, [[OutgoingServer, Identity]]]`. One account per code. Never a
password: the format lets a writer leave it out, and the app asks for it. Its reader
refuses the whole account for one value it does not know, so only what it accepts is written:
hostnames and the address in ASCII, no line breaks, connection security 2 (STARTTLS) or 3 (TLS).
"""

from __future__ import annotations

import io
import json
from typing import Any

import segno

from ..errors import InvalidInput
from ..model import Auth, Protocol, ResolvedServer, Security, Settings
from .mobileconfig import choose_incoming, choose_outgoing

FORMAT_VERSION = 1
INCOMING_PROTOCOLS = {Protocol.IMAP: 0, Protocol.POP3: 1}
SMTP = 0
CONNECTION_SECURITY = {Security.STARTTLS: 2, Security.TLS: 3}  # 0 plain is never published; 1 is reserved
AUTHENTICATION_TYPES = {
    Auth.NONE: 0,
    Auth.CLIENT_IP_ADDRESS: 0,
    Auth.PASSWORD_CLEARTEXT: 1,
    Auth.PASSWORD_ENCRYPTED: 2,
    Auth.GSSAPI: 3,
    Auth.NTLM: 4,
    Auth.TLS_CLIENT_CERT: 5,
    Auth.OAUTH2: 6,
}
SVG_SCALE = 4  # pixels a module: a phone camera reads it off a screen at arm's length


def _authentication(server: ResolvedServer) -> int:
    """A password method first: the app does OAuth2 only for providers it knows itself."""
    passwords = server.password_methods
    method = passwords[0] if passwords else server.first_of(AUTHENTICATION_TYPES)
    return AUTHENTICATION_TYPES[method or Auth.PASSWORD_CLEARTEXT]


def _ascii(value: str, what: str) -> str:
    if not value.isascii():
        raise InvalidInput(f"Thunderbird for Android's QR code takes {what} in ASCII only", field="email")
    return value


def _server(kind: int, server: ResolvedServer) -> list[Any]:
    return [
        kind,
        _ascii(server.hostname, "host names"),
        server.port,
        CONNECTION_SECURITY[server.security],
        _authentication(server),
        server.username,
    ]


def thunderbird_payload(settings: Settings, *, display_name: str | None = None) -> str:
    """The import payload for one address: its preferred incoming and SMTP servers, no password."""
    if settings.address is None:
        raise ValueError("a QR code is made for one address")
    incoming = choose_incoming(settings, None)
    outgoing = choose_outgoing(settings)
    email = _ascii(settings.address.email, "the address")
    payload = [
        FORMAT_VERSION,
        [1, 1],  # this code, of one
        _server(INCOMING_PROTOCOLS[incoming.protocol], incoming),
        [[_server(SMTP, outgoing), [email, display_name or ""]]],
    ]
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def svg(text: str, *, title: str = "") -> bytes:
    """`text` as a QR code in SVG (byte mode, UTF-8), black on white with the standard quiet zone."""
    code = segno.make(text, error="m", micro=False, encoding="utf-8")
    out = io.BytesIO()
    code.save(out, kind="svg", scale=SVG_SCALE, border=4, dark="#000", light="#fff", title=title or None)
    return out.getvalue()
