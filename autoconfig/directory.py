"""Which provider serves a domain: exact domains, domains files, patterns, then MX hosts."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import dns.resolver

from .addresses import normalize_domain
from .errors import InvalidDomain
from .model import PLACEHOLDER_DOMAIN, Provider
from .mx import DnsBusy, DnsUnavailable, MxLookups

__all__ = ["Admit", "Directory", "DnsBusy", "DnsUnavailable", "DomainsFile", "read_domains"]

RECHECK_S = 1.0
# Called before a lookup that must ask DNS; may refuse by raising (the per-address limit).
Admit = Callable[[], None]


# The config lower-cases mx_hosts, so the placeholder may arrive as %emaildomain%.
_MX_PLACEHOLDER = re.compile(re.escape(PLACEHOLDER_DOMAIN), re.IGNORECASE)


class DomainsFile:
    """A domain a line, re-read when the file changes (checked at most once a second)."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._checked = float("-inf")
        self._domains: frozenset[str] = frozenset()
        self._refresh(force=True)

    def __contains__(self, domain: str) -> bool:
        self._refresh()
        return domain in self._domains

    def __len__(self) -> int:
        self._refresh()
        return len(self._domains)

    def _refresh(self, *, force: bool = False) -> None:
        now = self._clock()
        if not force and now - self._checked < RECHECK_S:
            return
        with self._lock:
            self._checked = now
            try:
                st = os.stat(self.path)
            except OSError:
                return  # keep serving the last good list while the file is being replaced
            stamp = (st.st_mtime_ns, st.st_size)
            if stamp != self._stamp:
                self._domains = read_domains(self.path)
                self._stamp = stamp


def read_domains(path: Path) -> frozenset[str]:
    """Domains of a file, A-labels, lower case; blank lines, `#` comments and bad lines skipped."""
    domains = set()
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            try:
                domains.add(normalize_domain(text)[0])
            except InvalidDomain:
                continue
    return frozenset(domains)


class Directory:
    """Exact domains, domains files and patterns answer from memory and never wait on DNS;
    only a domain none of them names costs an MX lookup (mx.py: cached, bounded)."""

    def __init__(
        self,
        providers: tuple[Provider, ...],
        resolver: dns.resolver.Resolver | None,
        *,
        max_lookups_in_flight: int = 4,
        max_cache_ttl_s: float = 3600.0,
    ) -> None:
        self.providers = providers
        self._lookups = (
            MxLookups(resolver, max_in_flight=max_lookups_in_flight, max_ttl_s=max_cache_ttl_s)
            if resolver is not None else None
        )
        self._exact: dict[str, Provider] = {}
        self._patterns: dict[str, Provider] = {}
        self._files: list[tuple[DomainsFile, Provider]] = []
        self._mx: dict[str, Provider] = {}
        self._mx_templates: list[tuple[str, Provider]] = []  # per-domain MX names, like %EMAILDOMAIN%.mx.example
        for provider in providers:
            for domain in provider.domains:
                self._exact.setdefault(domain, provider)
            for pattern in provider.domain_patterns:
                self._patterns.setdefault(pattern[2:], provider)
            if provider.domains_file is not None:
                self._files.append((DomainsFile(provider.domains_file), provider))
            for host in provider.mx_hosts:
                if _MX_PLACEHOLDER.search(host):
                    self._mx_templates.append((host, provider))
                else:
                    self._mx.setdefault(host, provider)

    def lookup(self, domain: str, admit: Admit | None = None) -> Provider | None:
        """The provider for an A-label, lower-case domain, or None; `admit` is called only
        when DNS must be asked."""
        return self.lookup_static(domain) or self.lookup_mx(domain, admit)

    def lookup_static(self, domain: str) -> Provider | None:
        provider = self._exact.get(domain)
        if provider is not None:
            return provider
        for domains, owner in self._files:
            if domain in domains:
                return owner
        labels = domain.split(".")
        for i in range(1, len(labels) - 1):
            provider = self._patterns.get(".".join(labels[i:]))
            if provider is not None:
                return provider
        return None

    def lookup_mx(self, domain: str, admit: Admit | None = None) -> Provider | None:
        """The provider whose MX host the domain's MX names (most preferred first).

        No MX (or no such domain) is None; a lookup that could not be answered (timeout,
        SERVFAIL), or could not be started now (too many in flight), is DnsUnavailable, a
        503, never a 404 that would claim we do not serve the domain.
        """
        if not (self._mx or self._mx_templates) or self._lookups is None:
            return None
        hosts = self._lookups.exchanges(domain, admit)
        templated = {_MX_PLACEHOLDER.sub(domain, host): owner for host, owner in reversed(self._mx_templates)}
        for host in hosts:
            provider = self._mx.get(host) or templated.get(host)
            if provider is not None:
                return provider
        return None
