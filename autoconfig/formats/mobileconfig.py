"""Apple configuration profile (.mobileconfig): one `com.apple.mail.managed` payload, and a
`com.apple.caldav.account` or `com.apple.carddav.account` payload per `[[provider.dav]]`.

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
mail servers (`OutgoingPasswordSameAsIncomingPassword`) and once for each calendar or contacts account.
"""

from __future__ import annotations

import plistlib
import re
import uuid
from typing import Any
from urllib.parse import urlsplit

from ..errors import InvalidInput
from ..model import Auth, DavType, Protocol, Provider, ResolvedDav, ResolvedServer, Security, ServiceOptions, Settings
from ..texts import N_, translate

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

# The profile's words, from the gettext catalogues (autoconfig/texts.py): one per language there.
PROFILE_NAME = N_("E-mail %(email)s")
PROFILE_DESCRIPTION = N_(
    "%(provider)s: sets up the e-mail account %(email)s (%(protocol)s). "
    "The password is asked for during installation."
)
PROFILE_DESCRIPTION_DAV = N_(
    "%(provider)s: sets up the e-mail account %(email)s (%(protocol)s), with its calendars and contacts. "
    "The password is asked for during installation."
)
DAV_DESCRIPTIONS = {
    DavType.CALDAV: N_("%(provider)s calendars (%(email)s)"),
    DavType.CARDDAV: N_("%(provider)s contacts (%(email)s)"),
}
DAV_PREFIXES = {DavType.CALDAV: "CalDAV", DavType.CARDDAV: "CardDAV"}


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
        f"{prefix}MailServerAuthentication": AUTH[server.first_of(AUTH) or Auth.PASSWORD_CLEARTEXT],
        f"{prefix}MailServerHostName": server.hostname,
        f"{prefix}MailServerPortNumber": server.port,
        f"{prefix}MailServerUseSSL": server.security in PUBLISHED,
        f"{prefix}MailServerUsername": server.username,
    }


def _dav_payload(dav: ResolvedDav, identifier: str, token: str, key: str, index: int, fill: dict[str, str],
                 lang: str) -> dict[str, Any]:
    """A `com.apple.caldav.account` or `com.apple.carddav.account` payload: no password, like the mail one."""
    prefix = DAV_PREFIXES[dav.type]
    role = f"{dav.type.value}{index or ''}"
    return {
        "PayloadType": f"com.apple.{dav.type.value}.account",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{identifier}.{token}.{role}",
        "PayloadUUID": _uuid(identifier, key, role),
        "PayloadDisplayName": translate(lang, DAV_DESCRIPTIONS[dav.type]) % fill,
        "PayloadOrganization": fill["provider"],
        f"{prefix}AccountDescription": translate(lang, DAV_DESCRIPTIONS[dav.type]) % fill,
        f"{prefix}HostName": dav.hostname,
        f"{prefix}Port": dav.port,
        f"{prefix}PrincipalURL": dav.url,
        f"{prefix}UseSSL": True,
        f"{prefix}Username": dav.username,
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
    lang = lang or service.default_language
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
    counts: dict[DavType, int] = {}
    dav_payloads = []
    for dav in settings.dav:
        index = counts[dav.type] = counts.get(dav.type, -1) + 1
        dav_payloads.append(_dav_payload(dav, identifier, token, key, index, fill, lang))
    description = PROFILE_DESCRIPTION_DAV if settings.dav else PROFILE_DESCRIPTION
    return {
        "PayloadType": "Configuration",
        "PayloadVersion": 1,
        "PayloadIdentifier": f"{identifier}.{token}",
        "PayloadUUID": _uuid(identifier, key, "profile"),
        "PayloadDisplayName": translate(lang, PROFILE_NAME) % fill,
        "PayloadDescription": translate(lang, description) % fill,
        "PayloadOrganization": provider.name,
        "PayloadContent": [mail, *dav_payloads],
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
