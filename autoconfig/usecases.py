"""One function per job, called by the web views and the CLI alike, so neither re-implements the other.

Each takes the app's `Services` (the CLI builds them with `Services.build`, as `create_app`
does) and returns typed values; the callers only turn input into arguments and results
into HTTP or terminal output. The diagnosis, being long-lived and streamed, has its own
module (`diagnose.py`); the address lookup is `lookup.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .addresses import normalize_domain
from .directory import Admit
from .discovery import Discoverer, Discovery
from .dnshealth import DnsHealth, check_dns
from .errors import InvalidDomain, UnknownDomain
from .formats import mobileconfig
from .lookup import resolve
from .model import Protocol, Provider, ServiceOptions, Settings
from .resolver import make_resolver
from .schemas.dns import dump
from .services import Services
from .signing import ProfileSigner


@dataclass(frozen=True)
class ServedDomain:
    """A customer domain one of our providers serves, as typed and in ASCII."""

    provider: Provider
    domain: str
    domain_unicode: str


def served_domain(svc: Services, raw: str, admit: Admit | None = None) -> ServedDomain:
    """The provider of a typed domain: InvalidDomain or UnknownDomain (both naming `domain`).

    `admit` is asked before DNS must be (the web's per-address lookup limit).
    """
    try:
        domain, domain_unicode = normalize_domain(raw)
    except InvalidDomain as exc:
        raise InvalidDomain(exc.message, field="domain") from None
    provider = svc.directory.lookup(domain, admit)
    if provider is None:
        raise UnknownDomain(f"no provider serves the domain {domain_unicode}", field="domain")
    return ServedDomain(provider, domain, domain_unicode)


@dataclass(frozen=True)
class DomainDns:
    """The DNS health of a customer domain, with what its report needs."""

    health: DnsHealth
    provider: Provider
    domain_unicode: str

    def report(self, lang: str) -> dict[str, Any]:
        """JSON-ready, the same for GET /api/v1/dns and `autoconfig dns --json`."""
        return dump(self.health, self.provider, self.domain_unicode, lang)


def domain_dns(svc: Services, raw: str, admit: Admit | None = None) -> DomainDns:
    """Check the records a served domain should publish.

    InvalidDomain or UnknownDomain (both naming `domain`) before any record is looked up.
    """
    served = served_domain(svc, raw, admit)
    # No cache: a customer who just fixed a record must see it at once.
    resolver = make_resolver(svc.config.dns, cache=False)
    health = check_dns(served.provider, served.domain, resolver, svc.config.service.public_url)
    return DomainDns(health, served.provider, served.domain_unicode)


def domain_discovery(svc: Services, discoverer: Discoverer, raw: str, admit: Admit | None = None) -> Discovery:
    """Replay each mail client's own lookups for a served domain (GET /api/v1/discovery, `autoconfig discover`)."""
    served = served_domain(svc, raw, admit)
    return discoverer.run(resolve(served.provider, served.domain, served.domain_unicode, None))


def profile_bytes(
    settings: Settings,
    service: ServiceOptions,
    protocol: Protocol | None,
    account_name: str | None,
    lang: str | None,
    signer: ProfileSigner | None,
) -> bytes:
    """The Apple profile, signed when the provider has a signer: pure, so the app's memo keeps it."""
    body = mobileconfig.render(settings, service, protocol=protocol, account_name=account_name, lang=lang)
    return signer.sign(body) if signer is not None else body
