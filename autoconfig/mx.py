"""MX lookups for domains no configured list names: cached, bounded, and never a stall.

A request for a made-up domain costs an MX lookup that waits up to `[dns] timeout_s`; a
flood of them against a slow resolver once held every worker thread, and a served domain's
autoconfig waited seconds behind them. So, per worker process:

- answers are cached, negative ones (no such domain, no MX) and failures included, each for
  its TTL bounded by `max_cache_ttl_s` (failures for a few seconds: "cannot tell now");
- at most `max_lookups_in_flight` lookups wait on DNS at once; one more is refused at once
  (`DnsBusy`, a 503 with Retry-After) instead of taking another thread;
- the caller may pass `admit`, called only when DNS must really be asked (a cache miss):
  the web layer's lower per-address limit for such lookups.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import dns.exception
import dns.message
import dns.rdatatype
import dns.resolver

from .errors import AutoconfigError

CACHE_SIZE = 10_000
MIN_TTL_S = 1.0
NEGATIVE_TTL_S = 300.0  # bound for "no such domain" and "no MX" (RFC 2308 caps it at 3 hours)
FAILURE_TTL_S = 5.0  # how long "the resolver did not answer" stands for that domain
RETRY_AFTER_S = 5


class DnsUnavailable(AutoconfigError):
    """The lookup could not be answered (timeout, SERVFAIL): we cannot tell whether the
    domain is ours, so a 503, never a 404."""

    status = 503
    code = "dns_unavailable"
    retry_after = RETRY_AFTER_S


class DnsBusy(DnsUnavailable):
    """Too many lookups already wait on DNS in this process: answered at once, not queued."""


@dataclass(frozen=True)
class _Entry:
    hosts: tuple[str, ...] | None  # None: the lookup failed
    expires: float


def bounded_ttl(ttl: float, ceiling: float) -> float:
    """A record's TTL as we keep it: at least MIN_TTL_S, at most `ceiling` (pure)."""
    return max(MIN_TTL_S, min(float(ttl), ceiling))


def negative_ttl(response: dns.message.Message | None, ceiling: float) -> float:
    """RFC 2308: a negative answer lives min(SOA TTL, SOA MINIMUM), bounded; no SOA: the bound."""
    if response is not None:
        for rrset in response.authority:
            if rrset.rdtype == dns.rdatatype.SOA and len(rrset):
                return bounded_ttl(min(rrset.ttl, rrset[0].minimum), min(ceiling, NEGATIVE_TTL_S))
    return min(ceiling, NEGATIVE_TTL_S)


class MxLookups:
    """The MX exchanges of a domain, most preferred first, lower case, without the final dot."""

    def __init__(
        self,
        resolver: dns.resolver.Resolver,
        *,
        max_in_flight: int = 4,
        max_ttl_s: float = 3600.0,
        size: int = CACHE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._resolver = resolver
        self._slots = threading.BoundedSemaphore(max_in_flight)
        self._max_ttl = max_ttl_s
        self._size = size
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, _Entry] = OrderedDict()

    def exchanges(self, domain: str, admit: Callable[[], None] | None = None) -> tuple[str, ...]:
        """() for no such domain or no MX; DnsUnavailable when DNS cannot tell (now)."""
        entry = self._cached(domain)
        if entry is None:
            if admit is not None:
                admit()  # may refuse (a 429): only lookups that reach DNS count
            entry = self._lookup(domain)
        if entry.hosts is None:
            raise DnsUnavailable("the DNS lookup for this domain did not succeed; try again shortly")
        return entry.hosts

    def _cached(self, domain: str) -> _Entry | None:
        with self._lock:
            entry = self._cache.get(domain)
            if entry is None:
                return None
            if entry.expires <= self._clock():
                del self._cache[domain]
                return None
            self._cache.move_to_end(domain)
            return entry

    def _store(self, domain: str, hosts: tuple[str, ...] | None, ttl: float) -> _Entry:
        entry = _Entry(hosts, self._clock() + ttl)
        with self._lock:
            self._cache[domain] = entry
            self._cache.move_to_end(domain)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return entry

    def _lookup(self, domain: str) -> _Entry:
        if not self._slots.acquire(blocking=False):
            raise DnsBusy("too many DNS lookups are waiting right now; try again in a few seconds")
        try:
            answer = self._resolver.resolve(domain + ".", "MX", raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN as exc:
            response = next(iter(exc.responses().values()), None) if exc.responses() else None
            return self._store(domain, (), negative_ttl(response, self._max_ttl))
        except (dns.exception.Timeout, dns.resolver.NoNameservers):  # LifetimeTimeout too
            return self._store(domain, None, FAILURE_TTL_S)
        except dns.exception.DNSException:  # YXDOMAIN, a name too long…: not a domain of ours
            return self._store(domain, (), min(self._max_ttl, NEGATIVE_TTL_S))
        finally:
            self._slots.release()
        if answer.rrset is None:  # the name exists, without MX
            return self._store(domain, (), negative_ttl(answer.response, self._max_ttl))
        records = sorted(answer.rrset, key=lambda r: r.preference)
        hosts = tuple(r.exchange.to_text(omit_final_dot=True).lower() for r in records)
        return self._store(domain, hosts, bounded_ttl(answer.rrset.ttl, self._max_ttl))
