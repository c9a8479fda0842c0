"""DNS checks of the address's domain: the record logic is `dnshealth.check_dns`; this
probe only turns each of its verdicts into a check of kind `dns` of the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import dns.resolver

from ..dnshealth import KIND_SRV, RecordCheck, check_dns
from ..model import Provider, Status
from .base import RESOLVE_UNANSWERED, CheckResult, Details, Kind, Timer, params


@dataclass(frozen=True)
class DnsDetails(Details):
    name: str
    rtype: str
    expected: tuple[str, ...]
    found: tuple[str, ...]


def check_id(record: RecordCheck) -> str:
    """dns-mx, dns-srv-imaps, dns-autoconfig, dns-autodiscover, dns-autodiscover-srv."""
    if record.rtype == "SRV":
        label = record.name.split(".", 1)[0].lstrip("_")
        return f"dns-srv-{label}" if record.kind == KIND_SRV else f"dns-{record.kind}-srv"
    return f"dns-{record.kind}"


def run(
    provider: Provider, domain: str, resolver: dns.resolver.Resolver, public_url: str, budget_s: float
) -> tuple[CheckResult, ...]:
    """Every DNS verdict for `domain`; the lookups share one lifetime within the budget."""
    timer = Timer()
    health = check_dns(provider, domain, resolver, public_url, budget_s=budget_s)
    took = timer.ms
    results: list[CheckResult] = []
    seen: dict[str, int] = {}
    for record in health.checks:
        base = check_id(record)
        seen[base] = seen.get(base, 0) + 1
        results.append(
            CheckResult(
                id=base if seen[base] == 1 else f"{base}-{seen[base]}",
                kind=Kind.DNS,
                status=record.status,
                code=record.code,
                host=record.name,
                params=params(**{"name": record.name, "rtype": record.rtype, **record.params}),
                duration_ms=took,
                data=DnsDetails(record.name, record.rtype, record.expected, record.found),
            )
        )
    return tuple(results)


RESOLVER_CHECK = "dns-resolver"
# Discovery rows that a silent resolver alone explains (every client's lookup timed out).
_DISCOVERY_SILENCED = frozenset({"discovery.timeout", "discovery.unreachable"})


def _silenced(result: CheckResult) -> bool:
    if result.code == "net.resolve_failed":
        return result.params.get("reason") in RESOLVE_UNANSWERED
    return result.code in _DISCOVERY_SILENCED


def blame_resolver(results: Sequence[CheckResult]) -> tuple[CheckResult, ...]:
    """Pure: when the DNS check found our own resolver down, every host name that did not
    resolve for want of an answer is that one root cause, not a fault of its own: skipped,
    naming the resolver check (the checks after it already name this one)."""
    if not any(r.code == "dns.resolver_down" for r in results):
        return tuple(results)
    return tuple(
        replace(r, status=Status.SKIPPED, code="skip.resolver_down",
                params=params(**{**r.params, "blocked_by": RESOLVER_CHECK}))
        if _silenced(r) else r
        for r in results
    )
