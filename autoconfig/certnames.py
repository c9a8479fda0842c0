"""The names this service answers on for customers' clients, hence needs certificates for."""

from __future__ import annotations

import contextlib

from .directory import read_domains
from .discovery import certificate_names as names_for
from .formats import zone
from .model import Config


def certificate_names(config: Config) -> list[str]:
    """The service's own host, then autoconfig.D and autodiscover.D for every exact served
    domain (patterns and MX matches cannot be listed: their clients use the MX lookup)."""
    names: dict[str, None] = {}
    service = zone.service_host(config.service.public_url)
    if not service.is_ip:
        names[service.host] = None
    for provider in config.providers:
        domains = list(provider.domains)
        if provider.domains_file is not None:
            with contextlib.suppress(OSError):  # check-config reports it; list what can be listed
                domains += sorted(read_domains(provider.domains_file))
        for domain in domains:
            for name in names_for(domain):
                names[name] = None
    return list(names)
