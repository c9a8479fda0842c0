"""The service's vocabulary: frozen values with no I/O, shared by every format, probe and view."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

_T = TypeVar("_T")
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_HASH = "_hash"


def hash_once(cls: type[_T]) -> type[_T]:
    """A frozen dataclass that hashes its fields once, not at every memo lookup.

    Providers and settings are memo keys on every client-setup request; their generated
    hash walks every server and domain each time. The hash is kept beside the fields and
    left out of pickles (string hashes differ from one process to the next).
    """
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]

    def __hash__(self: Any) -> int:
        cached: int | None = self.__dict__.get(_HASH)
        if cached is None:
            cached = hash(tuple(getattr(self, name) for name in names))
            self.__dict__[_HASH] = cached  # the dataclass is frozen; its __dict__ is not
        return cached

    def __getstate__(self: Any) -> dict[str, Any]:
        return {key: value for key, value in self.__dict__.items() if key != _HASH}

    cls.__hash__ = __hash__  # type: ignore[assignment]
    cls.__getstate__ = __getstate__  # type: ignore[method-assign]
    return cls


class Secret:
    """A password that never shows itself: not in repr, str, format, logs or pickles."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class ClientAddress:
    """The customer's address as this service saw it (after trusted proxies); `port` only
    when no proxy stands between (a proxy's port says nothing about the customer)."""

    ip: str
    port: int | None = None


class Protocol(StrEnum):
    IMAP = "imap"
    POP3 = "pop3"
    SMTP = "smtp"

    @property
    def incoming(self) -> bool:
        return self is not Protocol.SMTP


class Security(StrEnum):
    """How a connection is protected: implicit TLS, STARTTLS on a plain port, or nothing."""

    TLS = "tls"
    STARTTLS = "starttls"
    PLAIN = "plain"


class Auth(StrEnum):
    """Thunderbird's authentication names, the vocabulary of the config file."""

    PASSWORD_CLEARTEXT = "password-cleartext"  # noqa: S105 - a method name, not a secret
    PASSWORD_ENCRYPTED = "password-encrypted"  # noqa: S105
    OAUTH2 = "OAuth2"
    CLIENT_IP_ADDRESS = "client-IP-address"
    TLS_CLIENT_CERT = "TLS-client-cert"
    GSSAPI = "GSSAPI"
    NTLM = "NTLM"
    NONE = "none"

    @property
    def uses_password(self) -> bool:
        """A method the customer's password logs in with: what a diagnosis may try."""
        return self in PASSWORD_AUTH


PASSWORD_AUTH = frozenset({Auth.PASSWORD_CLEARTEXT, Auth.PASSWORD_ENCRYPTED, Auth.NTLM})


class Status(StrEnum):
    """A check's outcome; `worst` picks the report's status (skipped ranks below ok)."""

    SKIPPED = "skipped"
    OK = "ok"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return _STATUS_RANK[self]

    @staticmethod
    def worst(statuses: Iterable[Status]) -> Status:
        return max(statuses, key=lambda s: s.rank, default=Status.OK)


_STATUS_RANK = {Status.SKIPPED: 0, Status.OK: 1, Status.WARNING: 2, Status.ERROR: 3}


PLACEHOLDER_ADDRESS = "%EMAILADDRESS%"
PLACEHOLDER_LOCALPART = "%EMAILLOCALPART%"
PLACEHOLDER_DOMAIN = "%EMAILDOMAIN%"


@hash_once
@dataclass(frozen=True)
class Address:
    """A validated e-mail address; `domain` is the lower-case A-label form used for lookups."""

    local: str
    domain: str
    domain_unicode: str

    @property
    def email(self) -> str:
        return f"{self.local}@{self.domain}"

    @property
    def email_unicode(self) -> str:
        return f"{self.local}@{self.domain_unicode}"


class _AuthMethods:
    """`auth_methods` in preference order; `auth` is the preferred one (what one-method formats carry)."""

    auth_methods: tuple[Auth, ...]

    @property
    def auth(self) -> Auth:
        return self.auth_methods[0]

    @property
    def password_methods(self) -> tuple[Auth, ...]:
        return tuple(a for a in self.auth_methods if a.uses_password)

    def first_of(self, known: Iterable[Auth]) -> Auth | None:
        """The first method, in preference order, that a format able to say only `known` can carry."""
        wanted = set(known)
        return next((a for a in self.auth_methods if a in wanted), None)


@dataclass(frozen=True)
class Server(_AuthMethods):
    """One server of a provider as the config file states it; hostname may hold %EMAILDOMAIN%."""

    protocol: Protocol
    hostname: str
    port: int
    security: Security
    auth_methods: tuple[Auth, ...] = (Auth.PASSWORD_CLEARTEXT,)
    # Announce the customer's address before logging in (IMAP ID, POP3/SMTP XCLIENT), so
    # the server's logs, auth penalties and bans count the customer, not this service.
    forward_client_address: bool = False

    @property
    def hostname_is_templated(self) -> bool:
        return "%" in self.hostname


class DavType(StrEnum):
    CALDAV = "caldav"
    CARDDAV = "carddav"


@dataclass(frozen=True)
class DavService:
    """A calendar or address-book server (`[[provider.dav]]`); `url` may hold placeholders in its path."""

    type: DavType
    url: str
    username: str = PLACEHOLDER_ADDRESS


@dataclass(frozen=True)
class OAuth2Options:
    """`[provider.oauth2]`, rendered as the autoconfig draft's `<oAuth2>`."""

    issuer: str
    scope: str
    auth_url: str
    token_url: str


@dataclass(frozen=True)
class HelpLinks:
    """Where customers read more: per provider, else the service's."""

    faq_url: str | None = None
    support_url: str | None = None
    documentation_url: str | None = None


@dataclass(frozen=True)
class MobileConfigOptions:
    identifier: str
    signing_cert: Path | None = None
    signing_key: Path | None = None
    signing_chain: Path | None = None

    @property
    def signed(self) -> bool:
        return self.signing_cert is not None and self.signing_key is not None


@hash_once
@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    short_name: str
    domains: tuple[str, ...]
    servers: tuple[Server, ...]
    username: str = PLACEHOLDER_ADDRESS
    domain_patterns: tuple[str, ...] = ()
    domains_file: Path | None = None
    mx_hosts: tuple[str, ...] = ()
    # Where the provider's own mailbox servers are: a %EMAILDOMAIN% host gets a password only there.
    login_networks: tuple[IPNetwork, ...] = ()
    webmail_url: str | None = None
    mobileconfig: MobileConfigOptions | None = None
    dav: tuple[DavService, ...] = ()
    oauth2: OAuth2Options | None = None
    help: HelpLinks = field(default_factory=HelpLinks)

    def servers_for(self, protocol: Protocol) -> tuple[Server, ...]:
        return tuple(s for s in self.servers if s.protocol is protocol)


@hash_once
@dataclass(frozen=True)
class ServiceOptions:
    public_url: str
    languages: tuple[str, ...] = ("it", "en")
    faq_url: str | None = None
    support_url: str | None = None
    trusted_proxies: int = 0
    documentation_url: str | None = None

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def help_for(self, provider: Provider | None) -> HelpLinks:
        """The provider's own links where it sets them (a reseller's FAQ), else the service's."""
        own = provider.help if provider is not None else HelpLinks()
        return HelpLinks(
            faq_url=own.faq_url or self.faq_url,
            support_url=own.support_url or self.support_url,
            documentation_url=own.documentation_url or self.documentation_url,
        )


@dataclass(frozen=True)
class DiagnosticsOptions:
    budget_s: float = 12.0
    connect_timeout_s: float = 5.0
    ca_file: Path | None = None
    allow_private_addresses: bool = False
    cert_expiry_warning_days: int = 21
    quota_warning_percent: int = 90
    max_concurrent: int = 0  # diagnoses at once per instance; 0: derived from the threads


@dataclass(frozen=True)
class WatchOptions:
    """`autoconfig watch`: how often, when a run of failures becomes an incident, how many
    served domains a %EMAILDOMAIN% host is expanded for, how many endpoints are checked at
    once (each holds a thread and a socket while it runs)."""

    interval_s: float = 300.0
    rounds_to_open: int = 2
    max_template_hosts: int = 200
    max_concurrent: int = 500


@dataclass(frozen=True)
class DnsOptions:
    nameservers: tuple[str, ...] = ()
    timeout_s: float = 3.0
    max_lookups_in_flight: int = 4  # per worker process; more wait on DNS: 503 at once
    max_cache_ttl_s: int = 3600  # MX answers for unknown domains, kept at most this long


@dataclass(frozen=True)
class LimitsOptions:
    storage_uri: str = "memory://"
    diagnostics_per_ip: str = "6/minute;60/hour"
    diagnostics_per_account: str = "20/hour"
    autoconfig_per_ip: str = "600/minute"
    dns_lookups_per_ip: str = "30/minute"  # unknown domains whose MX must be looked up


@dataclass(frozen=True)
class ReportsOptions:
    """Where finished diagnoses are kept; `database_url` is resolved (never empty) by config.py."""

    database_url: str = "sqlite://"
    retention_days: int = 30


@dataclass(frozen=True)
class HelpdeskOptions:
    users_file: Path | None = None
    api_tokens_file: Path | None = None
    trusted_user_header: str = ""
    sso_proxy_networks: tuple[str, ...] = ("127.0.0.1/32", "::1/128")


@dataclass(frozen=True)
class Config:
    service: ServiceOptions
    providers: tuple[Provider, ...]
    diagnostics: DiagnosticsOptions = field(default_factory=DiagnosticsOptions)
    dns: DnsOptions = field(default_factory=DnsOptions)
    limits: LimitsOptions = field(default_factory=LimitsOptions)
    reports: ReportsOptions = field(default_factory=ReportsOptions)
    helpdesk: HelpdeskOptions = field(default_factory=HelpdeskOptions)
    watch: WatchOptions = field(default_factory=WatchOptions)
    source: Path | None = None


@dataclass(frozen=True)
class ResolvedServer(_AuthMethods):
    """A server for one address: hostname and user name expanded (or kept as placeholders)."""

    protocol: Protocol
    hostname: str
    port: int
    security: Security
    auth_methods: tuple[Auth, ...]
    username: str


@dataclass(frozen=True)
class ResolvedDav:
    """A calendar or address-book server for one address: URL and user name expanded (or placeholders)."""

    type: DavType
    url: str
    hostname: str
    port: int
    path: str
    username: str


@hash_once
@dataclass(frozen=True)
class Settings:
    """Everything a client needs for one address; every format renders from this alone.

    `address` is None when the client did not say who it is (Thunderbird for Android, KMail):
    `email` and user names then hold the Thunderbird placeholders.
    """

    provider: Provider
    domain: str
    domain_unicode: str
    address: Address | None
    servers: tuple[ResolvedServer, ...]
    dav: tuple[ResolvedDav, ...] = ()

    @property
    def email(self) -> str:
        return self.address.email if self.address else PLACEHOLDER_ADDRESS

    @property
    def incoming(self) -> tuple[ResolvedServer, ...]:
        return tuple(s for s in self.servers if s.protocol.incoming)

    @property
    def outgoing(self) -> tuple[ResolvedServer, ...]:
        return tuple(s for s in self.servers if s.protocol is Protocol.SMTP)

    def first(self, protocol: Protocol) -> ResolvedServer | None:
        return next((s for s in self.servers if s.protocol is protocol), None)
