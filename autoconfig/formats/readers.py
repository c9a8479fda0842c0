"""Documents read back the way each client reads them: pure, bytes in, servers out.

Discovery fetches a customer domain's autoconfig and autodiscover documents from the network
and must judge them as the client would, so each reader follows that client's own parser:
- Thunderbird desktop (`readFromXML`): lenient per server block; a block it cannot read is
  dropped, and the file fails only when no incoming or no outgoing block survives, when no
  `<domain>` is a host name, or when `emailProvider id` is not one.
- Thunderbird for Android (`RealAutoconfigParser`): strict; it reads every `imap` incoming and
  `smtp` outgoing block, and any of them with a missing field, a bad port or a socketType other
  than SSL or STARTTLS (`plain` too) rejects the whole file. It uses the first of each.
- Outlook POX as Outlook reads it (`Encryption` decides, then `SSL`), and as Thunderbird's
  `ExchangeAutoDiscover` reads it (`SSL` off or `Encryption` None is plain; otherwise the port
  decides between STARTTLS and TLS, whatever `Encryption` says).
A rejection raises `Rejected` with the reason in English, for staff (`data`), never for the page.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import InvalidInput
from ..model import PLACEHOLDER_ADDRESS, PLACEHOLDER_DOMAIN, PLACEHOLDER_LOCALPART, Security, Settings
from ..xmlinput import children, local_name, parse_xml

MAX_DOCUMENT = 64 * 1024
SOCKET_TYPES = {"SSL": Security.TLS, "STARTTLS": Security.STARTTLS, "plain": Security.PLAIN}
STARTTLS_PORTS = frozenset({143, 110, 25, 587})  # Thunderbird's guess for POX "SSL on"
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*\.?$")


class Rejected(Exception):
    """The client would not use this document; args[0] says why (English, for staff)."""

    @property
    def reason(self) -> str:
        return str(self.args[0])


@dataclass(frozen=True)
class ReadServer:
    protocol: str  # imap | pop3 | smtp
    hostname: str
    port: int
    security: Security
    username: str


@dataclass(frozen=True)
class ReadConfig:
    """What a client took from a document: incoming and outgoing servers, first is used."""

    incoming: tuple[ReadServer, ...]
    outgoing: tuple[ReadServer, ...]

    @property
    def servers(self) -> tuple[ReadServer, ...]:
        return self.incoming + self.outgoing

    @property
    def chosen(self) -> tuple[ReadServer, ...]:
        """What the client sets up: the first incoming and the first outgoing server (the
        others are alternatives a person may pick by hand)."""
        return self.incoming[:1] + self.outgoing[:1]


@dataclass(frozen=True)
class Identity:
    """The address the client fills placeholders with."""

    local: str
    domain: str

    @property
    def email(self) -> str:
        return f"{self.local}@{self.domain}"

    def expand(self, text: str) -> str:
        return (
            text.replace(PLACEHOLDER_ADDRESS, self.email)
            .replace(PLACEHOLDER_LOCALPART, self.local)
            .replace(PLACEHOLDER_DOMAIN, self.domain)
        )


def is_hostname(value: str) -> bool:
    return bool(_HOST.match(value.strip().lower()))


def _root(body: bytes) -> ET.Element:
    try:
        return parse_xml(body, max_bytes=MAX_DOCUMENT)
    except InvalidInput as exc:
        raise Rejected(exc.message) from None


def _text(parent: ET.Element, name: str) -> str | None:
    found = children(parent, name)
    return (found[0].text or "").strip() if found else None


def _provider(body: bytes) -> ET.Element:
    root = _root(body)
    if local_name(root.tag) != "clientConfig":
        raise Rejected(f"the root element is {local_name(root.tag)!r}, not clientConfig")
    providers = children(root, "emailProvider")
    if not providers:
        raise Rejected("no emailProvider element")
    return providers[0]


def _port(text: str | None) -> int:
    if text is None or not text.isdigit() or not 1 <= int(text) <= 65535:
        raise Rejected(f"port {text!r} is not a number from 1 to 65535")
    return int(text)


def _check_provider(provider: ET.Element, who: Identity) -> None:
    ident = provider.get("id")
    if ident is None or not is_hostname(ident):
        raise Rejected(f"emailProvider id {ident!r} is not a host name")
    domains = [who.expand(d.text or "").strip() for d in children(provider, "domain")]
    if not any(is_hostname(d) for d in domains):
        raise Rejected("no domain element holds a host name")


def _desktop_block(block: ET.Element, protocol: str, who: Identity) -> ReadServer:
    hostname = who.expand(_text(block, "hostname") or "")
    if not is_hostname(hostname):
        raise Rejected(f"hostname {hostname!r} is not a host name")
    port = _port(_text(block, "port"))
    username = _text(block, "username")
    if username is None and protocol != "smtp":
        raise Rejected("an incoming block has no username")
    texts = [(el.text or "").strip() for el in children(block, "socketType")]
    sockets = [SOCKET_TYPES[t] for t in texts if t in SOCKET_TYPES]
    if not sockets:
        raise Rejected("no socketType Thunderbird knows")
    return ReadServer(protocol, hostname.lower(), port, sockets[0], who.expand(username or ""))


def thunderbird_desktop(body: bytes, who: Identity) -> ReadConfig:
    """config-v1.1.xml as Thunderbird desktop reads it."""
    provider = _provider(body)
    _check_provider(provider, who)
    incoming: list[ReadServer] = []
    outgoing: list[ReadServer] = []
    last = "no incomingServer block"
    for block in children(provider, "incomingServer"):
        kind = block.get("type") or ""
        if kind not in ("imap", "pop3"):
            last = f"incomingServer type {kind!r} is not one it sets up"
            continue
        try:
            incoming.append(_desktop_block(block, kind, who))
        except Rejected as exc:
            last = exc.reason
    if not incoming:
        raise Rejected(last)
    last = "no outgoingServer block"
    for block in children(provider, "outgoingServer"):
        if block.get("type") != "smtp":
            last = "an outgoingServer is not smtp"
            continue
        try:
            outgoing.append(_desktop_block(block, "smtp", who))
        except Rejected as exc:
            last = exc.reason
    if not outgoing:
        raise Rejected(last)
    return ReadConfig(tuple(incoming), tuple(outgoing))


_ANDROID_AUTH = ("OAuth2", "password-cleartext", "password-encrypted")
_ANDROID_SOCKETS = {"SSL": Security.TLS, "STARTTLS": Security.STARTTLS}


def _android_block(block: ET.Element, protocol: str, who: Identity) -> ReadServer:
    hostname = _text(block, "hostname")
    if hostname is None:
        raise Rejected(f"an {protocol} block has no hostname")
    hostname = who.expand(hostname)
    if not is_hostname(hostname):
        raise Rejected(f"hostname {hostname!r} is not a host name")
    port_text = _text(block, "port")
    if port_text is None:
        raise Rejected(f"an {protocol} block has no port")
    port = _port(port_text)
    username = _text(block, "username")
    if username is None:
        raise Rejected(f"an {protocol} block has no username")
    if not any((a.text or "").strip() in _ANDROID_AUTH for a in children(block, "authentication")):
        raise Rejected(f"an {protocol} block has no authentication it knows")
    socket_type = _text(block, "socketType")
    if socket_type is None:
        raise Rejected(f"an {protocol} block has no socketType")
    if socket_type not in _ANDROID_SOCKETS:
        raise Rejected(f"an {protocol} block has socketType {socket_type!r} (only SSL and STARTTLS are accepted)")
    return ReadServer(protocol, hostname.lower(), port, _ANDROID_SOCKETS[socket_type], who.expand(username))


def thunderbird_android(body: bytes, who: Identity) -> ReadConfig:
    """config-v1.1.xml as Thunderbird for Android reads it: one bad imap/smtp block rejects the file."""
    provider = _provider(body)
    _check_provider(provider, who)
    incoming = [_android_block(b, "imap", who) for b in children(provider, "incomingServer") if b.get("type") == "imap"]
    outgoing = [_android_block(b, "smtp", who) for b in children(provider, "outgoingServer") if b.get("type") == "smtp"]
    if not incoming:
        raise Rejected("no imap incomingServer block")
    if not outgoing:
        raise Rejected("no smtp outgoingServer block")
    return ReadConfig((incoming[0],), (outgoing[0],))


def _pox_security(protocol: ET.Element, port: int, *, thunderbird: bool) -> Security:
    ssl = (_text(protocol, "SSL") or "").lower()
    encryption = (_text(protocol, "Encryption") or "").lower()
    if thunderbird:
        if ssl == "off" or encryption == "none":
            return Security.PLAIN
        return Security.STARTTLS if port in STARTTLS_PORTS else Security.TLS
    if encryption in ("ssl", "tls", "none"):
        return {"ssl": Security.TLS, "tls": Security.STARTTLS, "none": Security.PLAIN}[encryption]
    return Security.PLAIN if ssl == "off" else Security.TLS


def outlook_pox(body: bytes, who: Identity, *, thunderbird: bool = False) -> ReadConfig:
    """An Autodiscover POX response as Outlook reads it (or Thunderbird, with `thunderbird`)."""
    root = _root(body)
    if local_name(root.tag) != "Autodiscover":
        raise Rejected(f"the root element is {local_name(root.tag)!r}, not Autodiscover")
    response = children(root, "Response")
    if not response:
        raise Rejected("no Response element")
    if children(response[0], "Error"):
        error = children(response[0], "Error")[0]
        raise Rejected(f"an Error response ({_text(error, 'ErrorCode') or '?'}: {_text(error, 'Message') or ''})")
    accounts = children(response[0], "Account")
    if not accounts:
        raise Rejected("no Account element")
    account = accounts[0]
    if children(account, "RedirectAddr") or children(account, "RedirectUrl"):
        raise Rejected("a redirect to another address or URL instead of settings")
    incoming: list[ReadServer] = []
    outgoing: list[ReadServer] = []
    for protocol in children(account, "Protocol"):
        kind = (_text(protocol, "Type") or "").upper()
        if kind not in ("IMAP", "POP3", "SMTP"):
            continue
        hostname = _text(protocol, "Server") or ""
        port_text = _text(protocol, "Port")
        if not is_hostname(hostname) or port_text is None or not port_text.isdigit():
            continue
        port = int(port_text)
        login = _text(protocol, "LoginName")
        read = ReadServer(kind.lower(), hostname.lower(), port, _pox_security(protocol, port, thunderbird=thunderbird),
                          who.expand(login) if login else who.email)
        (outgoing if kind == "SMTP" else incoming).append(read)
    if not incoming:
        raise Rejected("no usable IMAP or POP3 Protocol element")
    if not outgoing and not thunderbird:
        raise Rejected("no usable SMTP Protocol element")
    return ReadConfig(tuple(incoming), tuple(outgoing))


def expected(settings: Settings, who: Identity) -> set[ReadServer]:
    """The servers the configuration publishes (never plain), as a client would read them."""
    return {
        ReadServer(s.protocol.value, s.hostname.lower(), s.port, s.security, who.expand(s.username))
        for s in settings.servers
        if s.security is not Security.PLAIN
    }


def foreign(found: Iterable[ReadServer], settings: Settings, who: Identity) -> tuple[ReadServer, ...]:
    """The servers read that the configuration does not name (host, port, security or user name)."""
    ours = expected(settings, who)
    return tuple(s for s in found if s not in ours)


def describe(servers: Iterable[ReadServer]) -> str:
    """`imap mail.example.com:993 tls` lines joined, for messages and staff."""
    return ", ".join(f"{s.protocol} {s.hostname}:{s.port} {s.security.value}" for s in servers) or "—"
