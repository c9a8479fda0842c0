"""The names this service answers on for customers' clients, hence needs certificates for."""

from __future__ import annotations

import contextlib

from .directory import read_domains
from .discovery import certificate_names as names_for
from .discovery import mx_domains
from .formats import zone
from .model import Config


def certificate_names(config: Config, *, customers_only: bool = False) -> list[str]:
    """The service's own host; the names Thunderbird derives from the providers' MX hosts
    (`autoconfig.` the MX host's parent and base domain, for customers whose DNS is elsewhere);
    then autoconfig.D and autodiscover.D for every exact served domain (`domains` and
    `domains_file`; patterns and MX matches cannot be listed: their clients use the MX lookup).
    `customers_only` leaves out the service's host and the MX names, which the main site covers."""
    names: dict[str, None] = {}
    service = zone.service_host(config.service.public_url)
    if not customers_only:
        if not service.is_ip:
            names[service.host] = None
        for provider in config.providers:
            for mx in provider.mx_hosts:
                if "%" not in mx:
                    for place in mx_domains("", mx):
                        names[f"autoconfig.{place}"] = None
    for provider in config.providers:
        domains = list(provider.domains)
        if provider.domains_file is not None:
            with contextlib.suppress(OSError):  # check-config reports it; list what can be listed
                domains += sorted(read_domains(provider.domains_file))
        for domain in domains:
            for name in names_for(domain):
                if name != service.host:
                    names[name] = None
    return list(names)
