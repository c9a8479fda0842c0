"""What the watch checks: every configured server, by host and port (pure).

A host written with %EMAILDOMAIN% stands for one server per served exact domain; the
watch expands it for at most `max_template_hosts` of them (in name order), so a hoster
with ten thousand domains does not get ten thousand checks a round.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..directory import read_domains
from ..model import PLACEHOLDER_DOMAIN, Protocol, Provider, Security


@dataclass(frozen=True, order=True)
class Service:
    """One server to watch: a host name (expanded) and port, with how it is spoken to."""

    host: str
    port: int
    protocol: Protocol
    security: Security
    templated: bool = False  # from %EMAILDOMAIN%: internal addresses are refused as in a diagnosis


def services(
    providers: Iterable[Provider], max_template_hosts: int, served: Mapping[str, Iterable[str]] | None = None
) -> tuple[Service, ...]:
    """Each configured (host, port) once, in configuration order. `served` gives each
    provider id's exact domains (default: the config's only)."""
    found: dict[tuple[str, int], Service] = {}
    for provider in providers:
        own = served.get(provider.id, provider.domains) if served is not None else provider.domains
        domains = sorted(set(own))[:max_template_hosts]
        for server in provider.servers:
            if server.hostname_is_templated:
                hosts = [server.hostname.replace(PLACEHOLDER_DOMAIN, d) for d in domains]
            else:
                hosts = [server.hostname]
            for host in hosts:
                key = (host.lower(), server.port)
                found.setdefault(key, Service(key[0], server.port, server.protocol, server.security,
                                              server.hostname_is_templated))
    return tuple(found.values())


def served_domains(provider: Provider) -> tuple[str, ...]:
    """The provider's exact domains: the config's, then its domains file's (when readable)."""
    extra: frozenset[str] = frozenset()
    if provider.domains_file is not None:
        with contextlib.suppress(OSError):
            extra = read_domains(provider.domains_file)
    return tuple(dict.fromkeys([*provider.domains, *sorted(extra)]))
