"""The DNS records a customer domain should publish for this provider, as zone-file lines.

Pure: a provider, a domain (A-label) and the service's public URL in, records and text out.
`autoconfig.dnshealth` compares what it finds in DNS against these same records, so the
lines we tell a customer to publish and the checks we run can never disagree.

- MX: the provider's `mx_hosts` in order (preference 10, 20, …); none when it names none.
- SRV (RFC 6186, RFC 8314 for `_submissions`): one record per configured server, priority
  in the config's order of preference; `0 0 0 .` ("not offered") for a service we do not
  run. Plain (unencrypted) servers are never published, as in the Thunderbird format.
- CalDAV/CardDAV (RFC 6764): `_caldavs._tcp` / `_carddavs._tcp` SRV records naming each
  configured DAV server's host and port, and a `path=` TXT record with the context path (the
  URL's path up to its first per-user placeholder), only for the types the provider offers.
- `autoconfig.` and `autodiscover.` point at the service host (CNAME; A/AAAA when the
  public URL names an IP address); `_autodiscover._tcp` SRV at its host and port.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..model import PLACEHOLDER_DOMAIN, DavService, DavType, Protocol, Provider, Security

TTL = 3600
MX_STEP = 10
SRV_STEP = 10
_PLACEHOLDER = re.compile(re.escape(PLACEHOLDER_DOMAIN), re.IGNORECASE)


@dataclass(frozen=True)
class SrvService:
    """One RFC 6186/8314 service label and the configured servers it stands for."""

    label: str
    protocol: Protocol
    security: Security


SRV_SERVICES: tuple[SrvService, ...] = (
    SrvService("_imaps._tcp", Protocol.IMAP, Security.TLS),
    SrvService("_imap._tcp", Protocol.IMAP, Security.STARTTLS),
    SrvService("_pop3s._tcp", Protocol.POP3, Security.TLS),
    SrvService("_pop3._tcp", Protocol.POP3, Security.STARTTLS),
    SrvService("_submissions._tcp", Protocol.SMTP, Security.TLS),
    SrvService("_submission._tcp", Protocol.SMTP, Security.STARTTLS),
)
AUTODISCOVER_SRV = "_autodiscover._tcp"
DAV_SRV = {DavType.CALDAV: "_caldavs._tcp", DavType.CARDDAV: "_carddavs._tcp"}
NOT_OFFERED = "0 0 0 ."


@dataclass(frozen=True)
class ZoneRecord:
    """One resource record; `owner` is absolute (final dot), `rdata` in presentation format."""

    owner: str
    rtype: str
    rdata: str
    ttl: int = TTL


@dataclass(frozen=True)
class ServiceHost:
    """Where clients reach this service, from its public URL."""

    host: str
    port: int
    is_ip: bool

    @property
    def address_type(self) -> str:
        return "AAAA" if ":" in self.host else "A"


def expand_domain(template: str, domain: str) -> str:
    """Fill %EMAILDOMAIN% (in any letter case: the config lower-cases mx_hosts)."""
    return _PLACEHOLDER.sub(domain, template)


def fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def service_host(public_url: str) -> ServiceHost:
    parts = urlsplit(public_url)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return ServiceHost(host=host, port=port, is_ip=False)
    return ServiceHost(host=host, port=port, is_ip=True)


def mx_records(provider: Provider, domain: str) -> tuple[ZoneRecord, ...]:
    return tuple(
        ZoneRecord(fqdn(domain), "MX", f"{MX_STEP * (i + 1)} {fqdn(expand_domain(host, domain))}")
        for i, host in enumerate(provider.mx_hosts)
    )


def srv_records(provider: Provider, domain: str, service: SrvService) -> tuple[ZoneRecord, ...]:
    """The service's records, or the single `0 0 0 .` record when we do not offer it.

    Priorities rank all incoming (IMAP and POP3) servers together, as RFC 6186 lets a
    client pick the protocol by priority, and all submission servers together.
    """
    ranked = [
        s
        for s in provider.servers
        if s.security is not Security.PLAIN and s.protocol.incoming == service.protocol.incoming
    ]
    owner = f"{service.label}.{fqdn(domain)}"
    records = tuple(
        ZoneRecord(owner, "SRV", f"{SRV_STEP * rank} 0 {s.port} {fqdn(expand_domain(s.hostname, domain))}")
        for rank, s in enumerate(ranked)
        if s.protocol is service.protocol and s.security is service.security
    )
    return records or (ZoneRecord(owner, "SRV", NOT_OFFERED),)


def host_records(label: str, domain: str, public_url: str) -> tuple[ZoneRecord, ...]:
    """`autoconfig.<domain>` or `autodiscover.<domain>` → the service host.

    None when the name is the service host itself (a CNAME to itself would loop): its
    address records are the operator's business, not the customer's.
    """
    target = service_host(public_url)
    owner = f"{label}.{fqdn(domain)}"
    if target.is_ip:
        return (ZoneRecord(owner, target.address_type, target.host),)
    if owner == fqdn(target.host):
        return ()
    return (ZoneRecord(owner, "CNAME", fqdn(target.host)),)


def autodiscover_srv_records(domain: str, public_url: str) -> tuple[ZoneRecord, ...]:
    """Outlook's last resort; an SRV target must be a host name, so none for an IP URL."""
    target = service_host(public_url)
    if target.is_ip:
        return ()
    return (ZoneRecord(f"{AUTODISCOVER_SRV}.{fqdn(domain)}", "SRV", f"0 0 {target.port} {fqdn(target.host)}"),)


def context_path(url: str, domain: str) -> str:
    """The DAV context path of RFC 6764: the URL's path up to the first segment that still holds
    a per-user placeholder (%EMAILDOMAIN% is known per domain and filled)."""
    path = expand_domain(urlsplit(url).path or "/", domain)
    if "%" not in path:
        return path
    kept = path[: path.index("%")]
    return kept[: kept.rindex("/") + 1]


def dav_services(provider: Provider, dav_type: DavType) -> tuple[DavService, ...]:
    return tuple(d for d in provider.dav if d.type is dav_type)


def dav_srv_records(provider: Provider, domain: str, dav_type: DavType) -> tuple[ZoneRecord, ...]:
    """`_caldavs._tcp` / `_carddavs._tcp`: one SRV per configured server of that type, in order."""
    owner = f"{DAV_SRV[dav_type]}.{fqdn(domain)}"
    found = []
    for rank, dav in enumerate(dav_services(provider, dav_type)):
        parts = urlsplit(dav.url)
        target = f"{parts.port or 443} {fqdn(parts.hostname or '')}"
        found.append(ZoneRecord(owner, "SRV", f"{SRV_STEP * rank} 1 {target}"))
    return tuple(found)


def dav_path_records(provider: Provider, domain: str, dav_type: DavType) -> tuple[ZoneRecord, ...]:
    """The `path=` TXT record beside the SRV (RFC 6764 section 4), from the preferred server."""
    services = dav_services(provider, dav_type)
    if not services:
        return ()
    path = context_path(services[0].url, domain)
    return (ZoneRecord(f"{DAV_SRV[dav_type]}.{fqdn(domain)}", "TXT", f'"path={path}"'),)


def dav_records(provider: Provider, domain: str) -> tuple[ZoneRecord, ...]:
    return tuple(
        r
        for dav_type in DavType
        for r in (*dav_srv_records(provider, domain, dav_type), *dav_path_records(provider, domain, dav_type))
    )


def records(provider: Provider, domain: str, public_url: str) -> tuple[ZoneRecord, ...]:
    """Every record to publish for `domain`, in the order the zone lines show them."""
    return (
        *mx_records(provider, domain),
        *(r for service in SRV_SERVICES for r in srv_records(provider, domain, service)),
        *host_records("autoconfig", domain, public_url),
        *host_records("autodiscover", domain, public_url),
        *autodiscover_srv_records(domain, public_url),
        *dav_records(provider, domain),
    )


def format_lines(zone_records: tuple[ZoneRecord, ...]) -> tuple[str, ...]:
    """Zone-file lines with the owner and type columns aligned."""
    width = max((len(r.owner) for r in zone_records), default=0)
    return tuple(f"{r.owner:<{width}} {r.ttl} IN {r.rtype:<5} {r.rdata}".rstrip() for r in zone_records)


def lines(provider: Provider, domain: str, public_url: str) -> tuple[str, ...]:
    return format_lines(records(provider, domain, public_url))


def render(provider: Provider, domain: str, public_url: str) -> str:
    """The zone lines as text, one a line, ready to paste into a zone file."""
    return "".join(line + "\n" for line in lines(provider, domain, public_url))
