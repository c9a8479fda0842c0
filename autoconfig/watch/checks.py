"""One watch round: every service, each address family apart, checked with the diagnosis
probes (TCP, TLS chain/name/expiry/protocol, greeting, STARTTLS), never a login.

The round runs every endpoint at once on the probes' runner (up to `max_concurrent`; more
wait for a free thread), so it lasts about as long as its slowest endpoint, and the runner's
deadline bounds it even against ports that accept and never speak. The runner's threads
start one after another (each start waits for the GIL while earlier endpoints do their TLS
work: about a second for 200 endpoints on two cores), so the endpoints that took longest in
the last round start first and the one the round waits for is not the last to start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import dns.exception
import dns.resolver

from ..model import Status
from ..probes import Run, Target, Toolkit
from ..probes.base import CheckResult, Deadline, Kind, Step, failure_for
from ..probes.tls import TlsDetails
from .endpoints import Service

EndpointKey = tuple[str, int, str]  # host, port, family
FAMILIES = (("ipv4", "A"), ("ipv6", "AAAA"))
ANY_FAMILY = "any"  # a host with no address at all: one endpoint, down
_RESOLVE_WORKERS = 32
# Out of the round's time: to operations, the server did not answer in time.
_TIMED_OUT = {"diag.cut_short": "net.timeout", "skip.budget": "net.timeout"}
NOT_STARTED = "skip.budget"  # every check of an endpoint that never got a thread


@dataclass(frozen=True)
class Endpoint:
    """How one (host, port, family) did in a round."""

    host: str
    port: int
    family: str
    protocol: str
    ok: bool
    code: str  # the first failing check's outcome code, else the TLS verdict (tls.ok, tls.expiring_soon)
    ip: str | None = None
    step: str | None = None
    not_after: dt.datetime | None = None  # the certificate's, when one was seen (even a failing one)
    duration_ms: int = 0
    checked: bool = True  # False: it never got a thread before the round's end (`max_concurrent`)

    @property
    def key(self) -> EndpointKey:
        return (self.host, self.port, self.family)


@dataclass(frozen=True)
class Round:
    started_at: dt.datetime
    finished_at: dt.datetime
    endpoints: tuple[Endpoint, ...]

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def run_round(toolkit: Toolkit, services: Sequence[Service], budget_s: float,
              max_concurrent: int | None = None, took_ms: Mapping[EndpointKey, int] | None = None) -> Round:
    """Check every service within `budget_s` (the name lookups included); `took_ms`: how
    long each endpoint took last time, to start the slowest first (results keep their order)."""
    started_at = dt.datetime.now(dt.UTC)
    deadline = Deadline(budget_s)
    found = _families_of(toolkit, services, deadline)
    targets: list[Target] = []
    missing: list[Endpoint] = []
    for service, families in zip(services, found, strict=True):
        if isinstance(families, str):
            missing.append(Endpoint(service.host, service.port, ANY_FAMILY, str(service.protocol), False, families,
                                    step=str(Step.RESOLVE)))
            continue
        for family in families:
            targets.append(Target(
                index=len(targets), prefix=f"w{len(targets)}", protocol=service.protocol, hostname=service.host,
                port=service.port, security=service.security, username="", templated=service.templated,
                family=family,
            ))
    results: dict[str, list[CheckResult]] = {t.prefix: [] for t in targets}
    if targets:
        took = took_ms or {}
        slowest_first = sorted(targets, key=lambda t: -took.get((t.hostname, t.port, t.family or ANY_FAMILY), 0))
        run = Run(toolkit, slowest_first, None, None, budget_s=max(0.1, deadline.remaining()), account=False,
                  max_workers=max_concurrent)
        for _check in run:
            pass
        for check in run.results():
            results[check.id.split("-", 1)[0]].append(check)
    endpoints = [_judge(t, results[t.prefix]) for t in targets]
    return Round(started_at, dt.datetime.now(dt.UTC), (*endpoints, *missing))


def _judge(target: Target, checks: list[CheckResult]) -> Endpoint:
    """Up when no check failed; the code says what failed first (or the TLS verdict). An
    endpoint that never started is not checked: the round's own lack of threads says nothing
    of the server, and must not open an incident on it."""
    if checks and all(c.status is Status.SKIPPED and c.code == NOT_STARTED for c in checks):
        return Endpoint(target.hostname, target.port, target.family or ANY_FAMILY, str(target.protocol), False,
                        NOT_STARTED, checked=False)
    failed = next((c for c in checks if c.status is Status.ERROR), None)
    failed = failed or next((c for c in checks if c.status is Status.SKIPPED), None)  # the round ran out
    tls = next((c for c in checks if c.kind is Kind.TLS), None)
    ip = next((getattr(c.data, "ip", None) for c in checks if getattr(c.data, "ip", None)), None)
    not_after = None
    if tls is not None and isinstance(tls.data, TlsDetails) and tls.data.not_after:
        not_after = dt.datetime.fromisoformat(tls.data.not_after)
    if failed is not None:
        step = failed.params.get("step")
        ok, shown = False, _TIMED_OUT.get(failed.code, failed.code)
    elif not checks:
        ok, shown, step = False, "net.timeout", None
    else:
        ok, shown, step = True, (tls or checks[-1]).code, None
    duration = sum(c.duration_ms for c in checks)
    return Endpoint(target.hostname, target.port, target.family or ANY_FAMILY, str(target.protocol), ok, shown,
                    ip, None if step is None else str(step), not_after, duration)


def _families_of(toolkit: Toolkit, services: Sequence[Service], deadline: Deadline) -> list[tuple[str, ...] | str]:
    """Each host's address families, or the code that says why it has none."""
    hosts = sorted({s.host for s in services})
    with ThreadPoolExecutor(max_workers=max(1, min(_RESOLVE_WORKERS, len(hosts))),
                            thread_name_prefix="watch-dns") as pool:
        answers = dict(zip(hosts, pool.map(lambda h: _lookup(toolkit.resolver, h, deadline), hosts), strict=True))
    return [answers[s.host] for s in services]


def _lookup(resolver: dns.resolver.Resolver, host: str, deadline: Deadline) -> tuple[str, ...] | str:
    families: list[str] = []
    error: BaseException | None = None
    for family, rtype in FAMILIES:
        lifetime = min(float(resolver.lifetime), deadline.remaining())
        if lifetime <= 0:
            return "net.timeout"
        try:
            resolver.resolve(host + ".", rtype, lifetime=lifetime, search=False)
            families.append(family)
        except dns.resolver.NXDOMAIN as exc:
            return failure_for(exc, Step.RESOLVE).code
        except (dns.resolver.NoAnswer, dns.exception.DNSException) as exc:
            error = exc
    if families:
        return tuple(families)
    return failure_for(error or dns.resolver.NoAnswer(), Step.RESOLVE).code


