"""Apple configuration profile (.mobileconfig) with one `com.apple.mail.managed` payload.

Identity, decided once and kept: the profile's `PayloadIdentifier` and every `PayloadUUID` are
uuid5 values of (configured identifier, lower-cased address[, payload role]). So

- installing the profile for the same address again *replaces* it: iOS and macOS match the
  top-level `PayloadIdentifier`, and update in place the payloads whose identifier *and* UUID are
  unchanged, so the account is updated, not deleted and re-created (no re-download of the mail);
- two addresses, two providers or two payloads never share a UUID (uuid5 of distinct names);
- switching IMAP ↔ POP3 changes the mail payload's UUID: the old account is removed and a new
  one added, which is what a change of account type needs.
Random UUIDs would turn every download into a new payload and every re-install into a new
account; the same bytes for the same request also keep responses cacheable and testable.

A profile never holds a password: the device asks for it during installation, once for both
servers (`OutgoingPasswordSameAsIncomingPassword`).
"""

from __future__ import annotations

import plistlib
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from ..errors import InvalidInput
from ..model import Auth, Protocol, Provider, ResolvedServer, Security, ServiceOptions, Settings

CONTENT_TYPE = "application/x-apple-aspen-config"
# uuid5(NAMESPACE_URL, "urn:autoconfig:mobileconfig"): fixed for ever, or every UUID changes.
UUID_NAMESPACE = uuid.UUID("2fd0853b-26ee-5e22-a932-bdcd876b0cee")
ACCOUNT_TYPES = {Protocol.IMAP: "EmailTypeIMAP", Protocol.POP3: "EmailTypePOP"}
AUTH = {
    Auth.PASSWORD_CLEARTEXT: "EmailAuthPassword",
    Auth.PASSWORD_ENCRYPTED: "EmailAuthCRAMMD5",
    Auth.NTLM: "EmailAuthNTLM",
    Auth.NONE: "EmailAuthNone",
    Auth.CLIENT_IP_ADDRESS: "EmailAuthNone",
}  # OAuth2, GSSAPI and client certificates have no profile value: the password is asked for
PUBLISHED = (Security.TLS, Security.STARTTLS)  # `UseSSL` true: implicit TLS by port, else STARTTLS
MAX_ACCOUNT_NAME = 200

TEXTS = {
    "it": {
        "profile": "Posta {email}",
        "description": (
            "{provider}: configura l'account di posta {email} ({protocol}). "
            "La password viene chiesta durante l'installazione."
        ),
    },
    "en": {
        "profile": "E-mail {email}",
        "description": (
            "{provider}: sets up the e-mail account {email} ({protocol}). "
            "The password is asked for during installation."
        ),
    },
}


def identifier_for(provider: Provider, service: ServiceOptions) -> str:
    """The configured reverse-DNS identifier, else one built from the service's host and provider id."""
    if provider.mobileconfig is not None:
        return provider.mobileconfig.identifier
    host = urlsplit(service.public_url).hostname or "localhost"
    labels = [label for label in host.split(".") if label]
    return ".".join([*reversed(labels), re.sub(r"[^A-Za-z0-9-]", "-", provider.id)])


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(UUID_NAMESPACE, "/".join(parts))).upper()


def choose_incoming(settings: Settings, protocol: Protocol | None) -> ResolvedServer:
    """The first published incoming server of `protocol` (default: the first one configured)."""
    for server in settings.incoming:
        if server.security in PUBLISHED and (protocol is None or server.protocol is protocol):
            return server
    raise InvalidInput(f"{settings.provider.short_name} offers no {protocol.value.upper() if protocol else 'incoming'} "
                       "server for this address", field="protocol")


def choose_outgoing(settings: Settings) -> ResolvedServer:
    for server in settings.outgoing:
        if server.security in PUBLISHED:
            return server
    raise InvalidInput(f"{settings.provider.short_name} offers no SMTP server for this address")


def _servers(prefix: str, server: ResolvedServer) -> dict[str, Any]:
    return {
        f"{prefix}MailServerAuthentication": AUTH.get(server.auth, "EmailAuthPassword"),
        f"{prefix}MailServerHostName": server.hostname,
        f"{prefix}MailServerPortNumber": server.port,
        f"{prefix}MailServerUseSSL": server.security in PUBLISHED,
        f"{prefix}MailServerUsername": server.username,
    }


def build(
    settings: Settings,
    service: ServiceOptions,
    *,
    protocol: Protocol | None = None,
    account_name: str | None = None,
    lang: str | None = None,
) -> dict[str, Any]:
    """The profile as a plist dictionary (what `render` serialises)."""
    if settings.address is None:
        raise ValueError("a profile is made for one address")
    provider = settings.provider
    email = settings.address.email
    incoming = choose_incoming(settings, protocol)
    outgoing = choose_outgoing(settings)
    account_type = ACCOUNT_TYPES[incoming.protocol]
    identifier = identifier_for(provider, service)
    key = email.lower()
    token = uuid.uuid5(UUID_NAMESPACE, f"{identifier}/{key}").hex
    texts = TEXTS.get(lang or service.default_language, TEXTS["en"])
    fill = {"email": settings.address.email_unicode, "protocol": incoming.protocol.value.upper(),
            "provider": provider.name}
    mail: dict[str, Any] = {
        "PayloadType": "com.apple.mail.managed",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{identifier}.{token}.mail",
        "PayloadUUID": _uuid(identifier, key, "mail", account_type),
        "PayloadDisplayName": f"{provider.short_name} ({incoming.protocol.value.upper()})",
        "PayloadOrganization": provider.name,
        "EmailAccountDescription": settings.address.email_unicode,
        "EmailAccountType": account_type,
        "EmailAddress": email,
        **_servers("Incoming", incoming),
        **_servers("Outgoing", outgoing),
        "OutgoingPasswordSameAsIncomingPassword": True,
    }
    if account_name:
        mail["EmailAccountName"] = account_name
    return {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{identifier}.{token}",
        "PayloadUUID": _uuid(identifier, key, "profile"),
        "PayloadDisplayName": texts["profile"].format(**fill),
        "PayloadDescription": texts["description"].format(**fill),
        "PayloadOrganization": provider.name,
        "PayloadContent": [mail],
    }


def render(
    settings: Settings,
    service: ServiceOptions,
    *,
    protocol: Protocol | None = None,
    account_name: str | None = None,
    lang: str | None = None,
) -> bytes:
    """The unsigned profile: an XML plist, UTF-8 (plistlib escapes every value)."""
    profile = build(settings, service, protocol=protocol, account_name=account_name, lang=lang)
    return plistlib.dumps(profile, fmt=plistlib.FMT_XML, sort_keys=True)


def filename(settings: Settings) -> str:
    """A download name safe on every system: ASCII letters, digits, `.`, `_`, `-` only."""
    stem = settings.address.email if settings.address else settings.domain
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", stem.replace("@", "_at_")).strip("._") or "profile"
    return f"{safe[:100]}.mobileconfig"


def check_account_name(value: str | None) -> str | None:
    """The `name=` shown as sender name: bounded, printable (XML 1.0 cannot carry controls)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > MAX_ACCOUNT_NAME:
        raise InvalidInput(f"the name is longer than {MAX_ACCOUNT_NAME} characters", field="name")
    if any(not ch.isprintable() for ch in value):
        raise InvalidInput("the name contains a control or invisible character", field="name")
    return value
