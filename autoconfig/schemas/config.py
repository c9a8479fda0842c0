"""The TOML configuration file, validated key by key; unknown keys are errors."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates, validates_schema

from ..addresses import normalize_domain
from ..errors import InvalidDomain
from ..messages import LANGUAGES
from ..model import (
    PLACEHOLDER_ADDRESS,
    PLACEHOLDER_DOMAIN,
    PLACEHOLDER_LOCALPART,
    Auth,
    DavType,
    Protocol,
    Security,
)
from ..texts import available_languages

PLACEHOLDERS = (PLACEHOLDER_ADDRESS, PLACEHOLDER_LOCALPART, PLACEHOLDER_DOMAIN)
_PLACEHOLDER = re.compile(r"%[A-Za-z]*%?")
_HOST_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_RATE = re.compile(r"^\s*\d+\s*(/|per)\s*\d*\s*(second|minute|hour|day|month|year)s?\s*$")


def _check_placeholders(value: str, allowed: tuple[str, ...]) -> None:
    for found in _PLACEHOLDER.findall(value):
        if found not in allowed:
            raise ValidationError(f"unknown placeholder {found!r}; allowed: {', '.join(allowed)}")


def check_hostname(value: str) -> None:
    """A DNS host name, where %EMAILDOMAIN% may stand for the address's domain."""
    _check_placeholders(value, (PLACEHOLDER_DOMAIN,))
    concrete = value.replace(PLACEHOLDER_DOMAIN, "example.com")
    if concrete != concrete.lower():
        raise ValidationError("must be lower case")
    labels = concrete.split(".")
    if len(concrete) > 253 or len(labels) < 2 or not all(_HOST_LABEL.match(x) for x in labels):
        raise ValidationError(f"{value!r} is not a valid host name")


def check_domain(value: str) -> None:
    try:
        normalize_domain(value)
    except InvalidDomain as exc:
        raise ValidationError(f"{value!r}: {exc.message}") from None


def check_url(value: str) -> None:
    if not re.match(r"^https?://[^\s/?#]+[^\s]*$", value):
        raise ValidationError(f"{value!r} is not an http(s) URL")


def check_https_url(value: str) -> None:
    if not re.match(r"^https://[^\s/?#]+[^\s]*$", value):
        raise ValidationError(f"{value!r} is not an https:// URL")


def check_dav_url(value: str) -> None:
    """An https URL whose host and port are literal: clients and SRV records need them as they are."""
    if not value.startswith("https://"):
        raise ValidationError(f"{value!r} must be an https:// URL (calendars and contacts carry the password)")
    if any(ch.isspace() for ch in value):
        raise ValidationError(f"{value!r} contains a space")
    parts = urlsplit(value)
    if "%" in parts.netloc:
        raise ValidationError(f"{value!r}: the host may not hold a placeholder; only the path may")
    if parts.query or parts.fragment or "@" in parts.netloc:
        raise ValidationError(f"{value!r}: give scheme, host, optional port and path only")
    try:
        port = parts.port
    except ValueError:
        raise ValidationError(f"{value!r}: the port must be between 1 and 65535") from None
    if port == 0:
        raise ValidationError(f"{value!r}: the port must be between 1 and 65535")
    try:
        check_hostname((parts.hostname or "").lower())
    except ValidationError:
        raise ValidationError(f"{value!r} does not name a valid host") from None
    _check_placeholders(parts.path, PLACEHOLDERS)


def check_language(value: str) -> None:
    """A language is spoken when it has a catalogue: adding one is a file, not code."""
    available = available_languages()
    if value not in available:
        raise ValidationError(
            f"no catalogue for {value!r} (there are: {', '.join(available)}); add "
            f"autoconfig/translations/{value}/LC_MESSAGES/messages.po (see autoconfig/translations/README.md)"
        )


def check_rate(value: str) -> None:
    for part in value.split(";"):
        if not _RATE.match(part):
            raise ValidationError(f"{part.strip()!r} is not a rate like '6/minute'")


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ServiceSchema(_Strict):
    public_url = fields.String(required=True, validate=check_url)
    languages = fields.List(
        fields.String(validate=check_language),
        load_default=list(LANGUAGES),
        validate=validate.Length(min=1, error="needs at least one language"),
    )
    faq_url = fields.String(load_default=None, validate=check_url)
    support_url = fields.String(load_default=None, validate=check_url)
    trusted_proxies = fields.Integer(load_default=0, validate=validate.Range(0, 10))
    documentation_url = fields.String(load_default=None, validate=check_url)

    @validates("languages")
    def _unique(self, value: list[str], **_: Any) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("languages must not repeat")


class DiagnosticsSchema(_Strict):
    budget_s = fields.Float(load_default=12.0, validate=validate.Range(1, 120))
    connect_timeout_s = fields.Float(load_default=5.0, validate=validate.Range(0.1, 60))
    ca_file = fields.String(load_default="")
    allow_private_addresses = fields.Boolean(load_default=False)
    cert_expiry_warning_days = fields.Integer(load_default=21, validate=validate.Range(0, 365))
    quota_warning_percent = fields.Integer(load_default=90, validate=validate.Range(1, 100))
    max_concurrent = fields.Integer(load_default=0, validate=validate.Range(0, 10000))

    @validates_schema
    def _timeout_fits(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("connect_timeout_s", 0) > data.get("budget_s", 12):
            raise ValidationError("must not exceed budget_s", "connect_timeout_s")


class WatchSchema(_Strict):
    interval_s = fields.Float(load_default=300.0, validate=validate.Range(0.2, 86400))
    rounds_to_open = fields.Integer(load_default=2, validate=validate.Range(1, 100))
    max_template_hosts = fields.Integer(load_default=200, validate=validate.Range(0, 100000))
    max_concurrent = fields.Integer(load_default=500, validate=validate.Range(1, 10000))


class DnsSchema(_Strict):
    nameservers = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    timeout_s = fields.Float(load_default=3.0, validate=validate.Range(0.1, 30))
    max_lookups_in_flight = fields.Integer(load_default=4, validate=validate.Range(1, 64))
    max_cache_ttl_s = fields.Integer(load_default=3600, validate=validate.Range(1, 86400))


class LimitsSchema(_Strict):
    storage_uri = fields.String(
        load_default="memory://",
        validate=validate.Regexp(r"^(memory|redis|rediss|redis\+unix)://", error="must be memory:// or redis://…"),
    )
    diagnostics_per_ip = fields.String(load_default="6/minute;60/hour", validate=check_rate)
    diagnostics_per_account = fields.String(load_default="20/hour", validate=check_rate)
    autoconfig_per_ip = fields.String(load_default="600/minute", validate=check_rate)
    dns_lookups_per_ip = fields.String(load_default="30/minute", validate=check_rate)


def check_database_url(value: str) -> None:
    if value and not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
        raise ValidationError(
            "must be sqlite:///PATH or postgresql://user@host/db (empty: SQLite in the state directory)"
        )


def check_network(value: str) -> None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValidationError(f"{value!r} is not a network like 127.0.0.1/32") from None


class ReportsSchema(_Strict):
    database_url = fields.String(load_default="", validate=check_database_url)
    retention_days = fields.Integer(load_default=30, validate=validate.Range(1, 3650))


class HelpdeskSchema(_Strict):
    users_file = fields.String(load_default="")
    api_tokens_file = fields.String(load_default="")
    trusted_user_header = fields.String(
        load_default="",
        validate=validate.Regexp(r"^([A-Za-z0-9-]{1,64})?$", error="must be a header name like X-Remote-User"),
    )
    sso_proxy_networks = fields.List(
        fields.String(validate=check_network), load_default=lambda: ["127.0.0.1/32", "::1/128"]
    )


class AuthList(fields.List):
    """`auth = "password-cleartext"` or, in preference order, `auth = ["OAuth2", "password-cleartext"]`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.Enum(Auth, by_value=True), **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[Any]:
        if isinstance(value, list):
            if not value:
                raise ValidationError("needs at least one method")
            return super()._deserialize(value, attr, data, **kwargs)
        try:
            return super()._deserialize([value], attr, data, **kwargs)
        except ValidationError as exc:  # one method: name the key, not its element [0]
            messages = exc.messages
            raise ValidationError(messages.get(0, messages) if isinstance(messages, dict) else messages) from None


class ServerSchema(_Strict):
    protocol = fields.Enum(Protocol, by_value=True, required=True)
    hostname = fields.String(required=True, validate=check_hostname)
    port = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, 65535, error="must be between 1 and 65535")
    )
    security = fields.Enum(Security, by_value=True, required=True)
    auth = AuthList(load_default=lambda: [Auth.PASSWORD_CLEARTEXT])
    forward_client_address = fields.Boolean(load_default=False)

    @validates("auth")
    def _auth(self, value: list[Auth], **_: Any) -> None:
        if len(set(value)) != len(value):
            raise ValidationError("lists a method twice")
        if Auth.OAUTH2 in value and not any(a.uses_password for a in value):
            raise ValidationError(
                "a server with only OAuth2 is refused: Thunderbird uses OAuth2 only for issuers it knows and "
                'then moves on to the next method, and the diagnosis logs in with a password; add "password-cleartext" '
                "(or another password method) after it"
            )


class DavSchema(_Strict):
    type = fields.Enum(DavType, by_value=True, required=True)
    url = fields.String(required=True, validate=check_dav_url)
    username = fields.String(load_default=None, validate=validate.Length(1, 200))

    @validates("username")
    def _username(self, value: str | None, **_: Any) -> None:
        if value is not None:
            _check_placeholders(value, PLACEHOLDERS)


class OAuth2Schema(_Strict):
    issuer = fields.String(required=True, validate=validate.Length(1, 253))
    scope = fields.String(required=True, validate=validate.Length(1, 1000))
    auth_url = fields.String(required=True, validate=check_https_url)
    token_url = fields.String(required=True, validate=check_https_url)


class MobileConfigSchema(_Strict):
    identifier = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$", error="must be reverse-DNS, like com.example.mail"
        ),
    )
    signing_cert = fields.String(load_default="")
    signing_key = fields.String(load_default="")
    signing_chain = fields.String(load_default="")

    @validates_schema
    def _pair(self, data: dict[str, Any], **_: Any) -> None:
        if bool(data.get("signing_cert")) != bool(data.get("signing_key")):
            raise ValidationError("signing_cert and signing_key go together", "signing_key")


class ProviderSchema(_Strict):
    id = fields.String(
        required=True, validate=validate.Regexp(_PROVIDER_ID, error="use lower-case letters, digits, '.', '-', '_'")
    )
    name = fields.String(required=True, validate=validate.Length(1, 200))
    short_name = fields.String(load_default=None, validate=validate.Length(1, 60))
    domains = fields.List(fields.String(validate=check_domain), load_default=list)
    domain_patterns = fields.List(
        fields.String(validate=validate.Regexp(r"^\*\.[^*]+$", error="must look like *.example.net")),
        load_default=list,
    )
    domains_file = fields.String(load_default="")
    mx_hosts = fields.List(fields.String(validate=check_hostname), load_default=list)
    login_networks = fields.List(fields.String(validate=check_network), load_default=list)
    username = fields.String(load_default=PLACEHOLDER_ADDRESS, validate=validate.Length(1, 200))
    webmail_url = fields.String(load_default=None, validate=check_url)
    server = fields.List(fields.Nested(ServerSchema), required=True)
    mobileconfig = fields.Nested(MobileConfigSchema, load_default=None)
    dav = fields.List(fields.Nested(DavSchema), load_default=list)
    oauth2 = fields.Nested(OAuth2Schema, load_default=None)
    faq_url = fields.String(load_default=None, validate=check_url)
    support_url = fields.String(load_default=None, validate=check_url)
    documentation_url = fields.String(load_default=None, validate=check_url)

    @validates("username")
    def _username(self, value: str, **_: Any) -> None:
        _check_placeholders(value, PLACEHOLDERS)

    @validates("domain_patterns")
    def _patterns(self, value: list[str], **_: Any) -> None:
        for pattern in value:
            check_domain(pattern[2:])

    @validates_schema
    def _whole(self, data: dict[str, Any], **_: Any) -> None:
        if not (data.get("domains") or data.get("domain_patterns") or data.get("domains_file") or data.get("mx_hosts")):
            raise ValidationError("names no domain: give domains, domain_patterns, domains_file or mx_hosts", "domains")
        servers = data.get("server") or []
        secure = [s for s in servers if s["security"] is not Security.PLAIN]
        if not any(s["protocol"].incoming for s in secure):
            raise ValidationError("needs at least one imap or pop3 server with tls or starttls", "server")
        if not any(s["protocol"] is Protocol.SMTP for s in secure):
            raise ValidationError("needs at least one smtp server with tls or starttls", "server")
        oauth = [i for i, s in enumerate(servers) if Auth.OAUTH2 in s["auth"]]
        if oauth and data.get("oauth2") is None:
            raise ValidationError(
                f"server[{oauth[0]}] offers OAuth2: add [provider.oauth2] with issuer, scope, auth_url and "
                "token_url, or take OAuth2 out of its auth list",
                "oauth2",
            )


class ConfigFileSchema(_Strict):
    service = fields.Nested(ServiceSchema, required=True)
    diagnostics = fields.Nested(DiagnosticsSchema, load_default=lambda: DiagnosticsSchema().load({}))
    dns = fields.Nested(DnsSchema, load_default=lambda: DnsSchema().load({}))
    limits = fields.Nested(LimitsSchema, load_default=lambda: LimitsSchema().load({}))
    reports = fields.Nested(ReportsSchema, load_default=lambda: ReportsSchema().load({}))
    helpdesk = fields.Nested(HelpdeskSchema, load_default=lambda: HelpdeskSchema().load({}))
    watch = fields.Nested(WatchSchema, load_default=lambda: WatchSchema().load({}))
    provider = fields.List(
        fields.Nested(ProviderSchema),
        required=True,
        validate=validate.Length(min=1, error="needs at least one provider"),
    )

    @validates_schema
    def _unique_ids(self, data: dict[str, Any], **_: Any) -> None:
        ids = [p["id"] for p in data.get("provider", [])]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValidationError(f"provider ids must be unique: {', '.join(dupes)}", "provider")
