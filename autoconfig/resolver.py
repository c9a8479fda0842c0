"""A dnspython resolver built from the [dns] section, with a bounded cache that honours TTLs."""

from __future__ import annotations

import dns.nameserver
import dns.resolver

from .model import DnsOptions

CACHE_SIZE = 10_000


def parse_nameserver(value: str) -> tuple[str, int]:
    """`127.0.0.1`, `127.0.0.1:5300`, `::1`, or `[::1]:5300` → (address, port)."""
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 53
    if value.count(":") == 1:
        host, _, port = value.partition(":")
        return host, int(port)
    return value, 53


def make_resolver(options: DnsOptions, *, cache: bool = True) -> dns.resolver.Resolver:
    if options.nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [
            dns.nameserver.Do53Nameserver(host, port)
            for host, port in map(parse_nameserver, options.nameservers)
        ]
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = options.timeout_s
    resolver.lifetime = options.timeout_s
    if cache:
        resolver.cache = dns.resolver.LRUCache(CACHE_SIZE)
    return resolver
