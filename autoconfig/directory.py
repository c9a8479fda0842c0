"""Which provider serves a domain: exact domains, domains files, patterns, then MX hosts."""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import dns.exception
import dns.resolver

from .addresses import normalize_domain
from .errors import AutoconfigError, InvalidDomain
from .model import PLACEHOLDER_DOMAIN, Provider

RECHECK_S = 1.0


class DnsUnavailable(AutoconfigError):
    status = 503
    code = "dns_unavailable"


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
    def __init__(self, providers: tuple[Provider, ...], resolver: dns.resolver.Resolver | None) -> None:
        self.providers = providers
        self._resolver = resolver
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

    def lookup(self, domain: str) -> Provider | None:
        """The provider for an A-label, lower-case domain, or None."""
        return self.lookup_static(domain) or self.lookup_mx(domain)

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

    def lookup_mx(self, domain: str) -> Provider | None:
        """The provider whose MX host the domain's MX names (most preferred first).

        Answers are cached for their TTL by the resolver. No MX (or no such domain) is
        None; a lookup that could not be answered (timeout, SERVFAIL) is DnsUnavailable,
        a 503, never a 404 that would claim we do not serve the domain.
        """
        if not (self._mx or self._mx_templates) or self._resolver is None:
            return None
        try:
            answer = self._resolver.resolve(domain + ".", "MX", raise_on_no_answer=False, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.YXDOMAIN):
            return None
        except dns.exception.Timeout:  # LifetimeTimeout too
            raise DnsUnavailable("the DNS lookup for this domain timed out; try again shortly") from None
        except dns.resolver.NoNameservers:
            raise DnsUnavailable("the DNS servers did not answer for this domain; try again shortly") from None
        except dns.exception.DNSException:
            return None
        templated = {_MX_PLACEHOLDER.sub(domain, host): owner for host, owner in reversed(self._mx_templates)}
        for record in sorted(answer.rrset or (), key=lambda r: r.preference):
            host = record.exchange.to_text(omit_final_dot=True).lower()
            provider = self._mx.get(host) or templated.get(host)
            if provider is not None:
                return provider
        return None
