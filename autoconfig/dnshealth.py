"""DNS health of a customer domain: do its MX, SRV, autoconfig and autodiscover records
point at this provider, and which zone lines should it publish?

Fetching is kept apart from judging (as Internet.nl does): `fetch` runs every lookup at
once, each bounded by one lifetime, and turns dnspython's exceptions into a `Lookup`
outcome in one table; the `judge_*` functions are pure and turn lookups into
`RecordCheck`s carrying codes and parameters (the words live in `messages.CATALOGUE`).
The expected records come from `formats.zone`, the very lines we tell customers to
publish, so the advice and the verdict cannot disagree.

Severities, and why:
- MX: missing, null or foreign is an `error`: the customer's mail does not reach us.
  Foreign backup MX behind our preferred ones is `dns.mx_mixed`, a `warning`.
- SRV: optional (only some clients read RFC 6186 records), so missing is a `warning`.
  A record pointing at another host or port is an `error`: clients that follow it
  (Apple Mail, KMail) are set up against the wrong server, typically the previous
  provider's, exactly like a foreign MX. A `0 0 0 .` ("not offered") where we do offer
  the service only makes clients skip it: a `warning`.
- autoconfig/autodiscover: missing or resolving elsewhere is a `warning`; clients fall
  back to other methods, and a wildcard record often points these names at a web host.
- CalDAV/CardDAV (RFC 6764), only for the types the provider offers: a missing SRV record
  is a `warning` (clients that know the server's name still work), one naming another host
  an `error` (like a mail SRV); the `path=` TXT record missing or different is a `warning`
  (clients then try `/.well-known/caldav` on the SRV target).
- A lookup that failed (timeout, SERVFAIL, refused) is `dns.lookup_failed`, never
  "missing": an `error` for MX, a `warning` for the optional records.
- When no lookup got any answer, not even our own service name's, our resolver is down:
  one `dns.resolver_down` check (a fault of this service) instead of one failure per record.
"""

from __future__ import annotations

import concurrent.futures
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

import dns.exception
import dns.message
import dns.name
import dns.rcode
import dns.rdata
import dns.rdatatype
import dns.resolver
from dns.rdtypes.ANY.CNAME import CNAME
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.IN.SRV import SRV

from .formats import zone
from .formats.zone import ZoneRecord
from .model import Provider, Status

KIND_MX = "mx"
KIND_SRV = "srv"
KIND_AUTOCONFIG = "autoconfig"
KIND_AUTODISCOVER = "autodiscover"
KIND_DAV = "dav"
KIND_RESOLVER = "resolver"

# Every code a DnsHealth may carry; messages.CATALOGUE has words for each.
CODES: tuple[str, ...] = (
    "dns.mx_ok",
    "dns.mx_missing",
    "dns.mx_null",
    "dns.mx_foreign",
    "dns.mx_mixed",
    "dns.mx_unchecked",
    "dns.srv_ok",
    "dns.srv_missing",
    "dns.srv_mismatch",
    "dns.srv_not_offered",
    "dns.autoconfig_ok",
    "dns.autoconfig_missing",
    "dns.autoconfig_foreign",
    "dns.autodiscover_ok",
    "dns.autodiscover_missing",
    "dns.autodiscover_foreign",
    "dns.autodiscover_srv_missing",
    "dns.dav_srv_ok",
    "dns.dav_srv_missing",
    "dns.dav_srv_mismatch",
    "dns.dav_path_ok",
    "dns.dav_path_missing",
    "dns.dav_path_mismatch",
    "dns.lookup_failed",
)

Params = Mapping[str, str | int]


class Outcome(StrEnum):
    ANSWER = "answer"  # records of the asked type (after any CNAME chain)
    NODATA = "nodata"  # the name exists, without records of that type
    NXDOMAIN = "nxdomain"  # the name does not exist
    FAILED = "failed"  # no usable answer: timeout, SERVFAIL, REFUSED, …


@dataclass(frozen=True)
class Lookup:
    """What DNS said about one (name, type); `records` are of `rtype` only."""

    name: str
    rtype: str
    outcome: Outcome
    records: tuple[dns.rdata.Rdata, ...] = ()
    cnames: tuple[str, ...] = ()  # CNAME targets on the way, absolute (final dot)
    reason: str = ""  # why it failed: "timeout", "SERVFAIL", "REFUSED", …

    @property
    def failed(self) -> bool:
        return self.outcome is Outcome.FAILED

    @property
    def unanswered(self) -> bool:
        """Failed without any answer from the resolver (a timeout, an I/O error): an rcode
        such as SERVFAIL or REFUSED is an answer, so the resolver itself works."""
        return self.failed and not all(_is_rcode(part) for part in self.reason.split(", "))


def _is_rcode(text: str) -> bool:
    try:
        dns.rcode.from_text(text)
    except dns.rcode.UnknownRcode:
        return False
    return True


@dataclass(frozen=True)
class RecordCheck:
    """One verdict: `expected`/`found` are rdata in zone-file form (for the autoconfig and
    autodiscover names, each prefixed with its type, since CNAME and A mix there)."""

    kind: str
    name: str
    rtype: str
    expected: tuple[str, ...]
    found: tuple[str, ...]
    status: Status
    code: str
    params: Params


@dataclass(frozen=True)
class DnsHealth:
    domain: str
    checks: tuple[RecordCheck, ...]
    zone_lines: tuple[str, ...]
    resolver_down: bool = False  # our own resolver answered nothing, not even for our own name

    @property
    def status(self) -> Status:
        return Status.worst(c.status for c in self.checks)


# -- fetching ------------------------------------------------------------------------


def _failure_reason(exc: dns.resolver.NoNameservers) -> str:
    """The servers' own words: an rcode like SERVFAIL, or the kind of I/O error."""
    reasons = []
    for error in exc.kwargs.get("errors") or ():
        what = error[3]
        reasons.append(what if isinstance(what, str) else type(what).__name__)
    return ", ".join(dict.fromkeys(reasons)) or "no nameserver answered"


def _chain_parts(response: object, rtype: str) -> tuple[tuple[dns.rdata.Rdata, ...], tuple[str, ...]]:
    """The records of `rtype` at the end of the response's CNAME chain, and the chain."""
    if not isinstance(response, dns.message.QueryMessage):
        return (), ()
    try:
        chain = response.resolve_chaining()
    except dns.exception.DNSException:
        return (), ()
    cnames = tuple(str(rr.target).lower() for rrset in chain.cnames for rr in rrset if isinstance(rr, CNAME))
    answer = chain.answer
    records = tuple(answer) if answer is not None and answer.rdtype == dns.rdatatype.from_text(rtype) else ()
    return records, cnames


def lookup(resolver: dns.resolver.Resolver, name: str, rtype: str, lifetime: float) -> Lookup:
    """One query; dnspython's exceptions become outcomes here and nowhere else."""
    try:
        answer = resolver.resolve(name + ".", rtype, raise_on_no_answer=False, lifetime=lifetime, search=False)
    except dns.resolver.NXDOMAIN as exc:
        responses = exc.kwargs.get("responses") or {}
        cnames = tuple(c for r in responses.values() for c in _chain_parts(r, rtype)[1])
        return Lookup(name, rtype, Outcome.NXDOMAIN, cnames=cnames)
    except dns.exception.Timeout:  # LifetimeTimeout too
        return Lookup(name, rtype, Outcome.FAILED, reason="timeout")
    except dns.resolver.NoNameservers as exc:
        return Lookup(name, rtype, Outcome.FAILED, reason=_failure_reason(exc))
    except dns.resolver.YXDOMAIN:
        return Lookup(name, rtype, Outcome.FAILED, reason="YXDOMAIN")
    except dns.exception.DNSException as exc:
        return Lookup(name, rtype, Outcome.FAILED, reason=type(exc).__name__)
    except OSError as exc:
        return Lookup(name, rtype, Outcome.FAILED, reason=exc.strerror or type(exc).__name__)
    records, cnames = _chain_parts(answer.response, rtype)
    return Lookup(name, rtype, Outcome.ANSWER if records else Outcome.NODATA, records, cnames)


def fetch(
    resolver: dns.resolver.Resolver, queries: Iterable[tuple[str, str]], lifetime: float
) -> dict[tuple[str, str], Lookup]:
    """All queries at once: a silent server costs one `lifetime`, not one per query."""
    wanted = list(dict.fromkeys(queries))
    if not wanted:
        return {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(wanted), thread_name_prefix="dns") as pool:
        futures = {q: pool.submit(lookup, resolver, q[0], q[1], lifetime) for q in wanted}
        return {q: f.result() for q, f in futures.items()}


# -- judging (pure) ------------------------------------------------------------------


def _params(**values: str | int) -> Params:
    return MappingProxyType(dict(values))


def _text(records: Iterable[dns.rdata.Rdata]) -> tuple[str, ...]:
    return tuple(r.to_text().lower() for r in records)


def _joined(values: Iterable[str]) -> str:
    return ", ".join(values) or "—"


def _failed(kind: str, lk: Lookup, expected: tuple[str, ...], rtype: str, status: Status) -> RecordCheck:
    return RecordCheck(
        kind, lk.name, rtype, expected, (), status, "dns.lookup_failed",
        _params(name=lk.name, rtype=rtype, reason=lk.reason, expected=_joined(expected)),
    )


def judge_mx(domain: str, expected_records: tuple[ZoneRecord, ...], lk: Lookup) -> RecordCheck:
    """The domain's MX against the provider's hosts; without any, only presence is judged."""
    expected = tuple(r.rdata for r in expected_records)
    ours = {r.rdata.split()[1].rstrip(".") for r in expected_records}
    if lk.failed:
        return _failed(KIND_MX, lk, expected, "MX", Status.ERROR)
    mxs = sorted((r for r in lk.records if isinstance(r, MX)), key=lambda r: r.preference)
    found = _text(mxs)

    def check(status: Status, code: str, **extra: str | int) -> RecordCheck:
        params = _params(
            domain=domain, name=lk.name, expected=_joined(expected), found=_joined(found), **extra
        )
        return RecordCheck(KIND_MX, lk.name, "MX", expected, found, status, code, params)

    if not mxs:
        return check(Status.ERROR, "dns.mx_missing", reason=lk.outcome.value)
    if all(r.exchange == dns.name.root for r in mxs):
        return check(Status.ERROR, "dns.mx_null")  # RFC 7505: "this domain accepts no mail"
    if not ours:
        return check(Status.OK, "dns.mx_unchecked")
    hosts = [r.exchange.to_text(omit_final_dot=True).lower() for r in mxs]
    foreign = [h for h in hosts if h not in ours]
    if not foreign:
        return check(Status.OK, "dns.mx_ok")
    best = mxs[0].preference
    if any(r.preference == best and h not in ours for r, h in zip(mxs, hosts, strict=True)):
        return check(Status.ERROR, "dns.mx_foreign", foreign=_joined(foreign))
    return check(Status.WARNING, "dns.mx_mixed", foreign=_joined(foreign))


def _srv_pairs(records: Iterable[dns.rdata.Rdata]) -> set[tuple[str, int]]:
    return {(str(r.target).lower(), r.port) for r in records if isinstance(r, SRV)}


SRV_CODES = {"ok": "dns.srv_ok", "missing": "dns.srv_missing", "mismatch": "dns.srv_mismatch"}
DAV_SRV_CODES = {"ok": "dns.dav_srv_ok", "missing": "dns.dav_srv_missing", "mismatch": "dns.dav_srv_mismatch"}


def judge_srv(
    label: str, expected_records: tuple[ZoneRecord, ...], lk: Lookup, *, kind: str = KIND_SRV
) -> RecordCheck:
    """An RFC 6186/8314 (or, with kind `dav`, RFC 6764) record against our servers; matching is
    on target and port."""
    expected = tuple(r.rdata for r in expected_records)
    offered = expected != (zone.NOT_OFFERED,)
    codes = DAV_SRV_CODES if kind == KIND_DAV else SRV_CODES
    if lk.failed:
        return _failed(kind, lk, expected, "SRV", Status.WARNING)
    found = _text(lk.records)

    def check(status: Status, code: str) -> RecordCheck:
        params = _params(
            name=lk.name, service=label, expected=_joined(expected), found=_joined(found)
        )
        return RecordCheck(kind, lk.name, "SRV", expected, found, status, code, params)

    if not found:
        return check(Status.WARNING, codes["missing"]) if offered else check(Status.OK, "dns.srv_not_offered")
    pairs = _srv_pairs(lk.records)
    says_not_offered = pairs == {(".", 0)} or all(t == "." for t, _ in pairs)
    if says_not_offered:
        return check(Status.WARNING, codes["mismatch"]) if offered else check(Status.OK, "dns.srv_ok")
    ours = {(t, p) for r in expected_records for t, p in [_srv_target(r.rdata)]}
    if offered and pairs <= ours:
        return check(Status.OK, codes["ok"])
    return check(Status.ERROR, codes["mismatch"])


def _txt_strings(records: Iterable[dns.rdata.Rdata]) -> tuple[str, ...]:
    found = []
    for record in records:
        strings = getattr(record, "strings", ())
        found.append(b"".join(strings).decode("utf-8", "replace"))
    return tuple(found)


def judge_dav_path(expected_records: tuple[ZoneRecord, ...], lk: Lookup) -> RecordCheck:
    """RFC 6764's `path=` TXT record: the context path clients ask for the principal at."""
    expected = tuple(r.rdata for r in expected_records)
    if lk.failed:
        return _failed(KIND_DAV, lk, expected, "TXT", Status.WARNING)
    strings = _txt_strings(lk.records)
    found = tuple(f'"{text}"' for text in strings)
    paths = [text[len("path="):] for text in strings if text.startswith("path=")]
    wanted = [r.rdata.strip('"')[len("path="):] for r in expected_records]

    def check(status: Status, code: str) -> RecordCheck:
        params = _params(name=lk.name, expected=_joined(expected), found=_joined(found))
        return RecordCheck(KIND_DAV, lk.name, "TXT", expected, found, status, code, params)

    if not paths:
        return check(Status.WARNING, "dns.dav_path_missing")
    if paths == wanted:
        return check(Status.OK, "dns.dav_path_ok")
    return check(Status.WARNING, "dns.dav_path_mismatch")


def _srv_target(rdata: str) -> tuple[str, int]:
    _priority, _weight, port, target = rdata.split()
    return target.lower(), int(port)


def _addresses(lookups: Iterable[Lookup]) -> set[str]:
    found = set()
    for lk in lookups:
        for r in lk.records:
            found.add(str(ipaddress.ip_address(r.to_text())))
    return found


def _host_found(lookups: tuple[Lookup, ...]) -> tuple[str, ...]:
    cnames = dict.fromkeys(c for lk in lookups for c in lk.cnames)
    return (
        *(f"CNAME {c}" for c in cnames),
        *(f"{lk.rtype} {r.to_text().lower()}" for lk in lookups for r in lk.records),
    )


def judge_host(
    kind: str,
    name: str,
    expected_records: tuple[ZoneRecord, ...],
    lookups: tuple[Lookup, ...],
    service: zone.ServiceHost,
    service_addresses: set[str] | None,
) -> RecordCheck:
    """`autoconfig.<domain>` / `autodiscover.<domain>`: does the name reach this service?

    It does when a CNAME on the way names the service host, or an address is one of the
    service's; when we cannot learn the service's addresses, resolving at all is enough.
    """
    expected = tuple(f"{r.rtype} {r.rdata}" for r in expected_records)
    rtype = expected_records[0].rtype if expected_records else "A"
    found = _host_found(lookups)

    def check(status: Status, code: str, **extra: str | int) -> RecordCheck:
        params = _params(name=name, expected=_joined(expected), found=_joined(found), **extra)
        return RecordCheck(kind, name, rtype, expected, found, status, code, params)

    if not found:
        failed = [lk for lk in lookups if lk.failed]
        if failed:
            reason = ", ".join(dict.fromkeys(lk.reason for lk in failed))
            return check(Status.WARNING, "dns.lookup_failed", rtype=rtype, reason=reason)
        return check(Status.WARNING, f"dns.{kind}_missing")
    cnames = {c for lk in lookups for c in lk.cnames}
    if (
        not expected_records  # the name is the service host itself
        or zone.fqdn(service.host) in cnames
        or service_addresses is None  # cannot tell: resolving is enough
        or _addresses(lookups) & service_addresses
    ):
        return check(Status.OK, f"dns.{kind}_ok")
    return check(Status.WARNING, f"dns.{kind}_foreign")


def judge_autodiscover_srv(
    expected_records: tuple[ZoneRecord, ...], lk: Lookup, host_ok: bool
) -> RecordCheck:
    """`_autodiscover._tcp`: Outlook's last resort, only needed when the host name fails."""
    expected = tuple(r.rdata for r in expected_records)
    if lk.failed:
        return _failed(KIND_AUTODISCOVER, lk, expected, "SRV", Status.WARNING)
    found = _text(lk.records)

    def check(status: Status, code: str) -> RecordCheck:
        params = _params(name=lk.name, expected=_joined(expected), found=_joined(found))
        return RecordCheck(KIND_AUTODISCOVER, lk.name, "SRV", expected, found, status, code, params)

    if not found:
        return check(Status.OK if host_ok else Status.WARNING, "dns.autodiscover_srv_missing")
    ours = {_srv_target(r.rdata) for r in expected_records}
    if _srv_pairs(lk.records) <= ours:
        return check(Status.OK, "dns.autodiscover_ok")
    return check(Status.WARNING, "dns.autodiscover_foreign")


# -- the whole check -----------------------------------------------------------------


def resolver_down(lookups: Iterable[Lookup], own_name: str | None) -> bool:
    """Pure: our resolver does not answer when no lookup got any answer at all, including
    the lookup of our own service name (`own_name`): a customer's broken DNS makes a
    working resolver answer SERVFAIL for that domain, never silence for ours too."""
    done = list(lookups)
    if not done or not all(lk.unanswered for lk in done):
        return False
    return own_name is None or any(lk.name == own_name for lk in done)


def _resolver_check(domain: str, resolver: dns.resolver.Resolver) -> RecordCheck:
    """The one root cause that replaces every failed lookup when our resolver is down."""
    servers = ", ".join(str(n) for n in resolver.nameservers)
    return RecordCheck(KIND_RESOLVER, domain, "*", (), (), Status.ERROR, "dns.resolver_down",
                       _params(nameservers=servers))


def check_dns(
    provider: Provider,
    domain: str,
    resolver: dns.resolver.Resolver,
    public_url: str,
    *,
    budget_s: float | None = None,
) -> DnsHealth:
    """The DNS health of `domain` (A-label) for `provider`, within one resolver lifetime.

    Lookups run in parallel, each with `min(resolver.lifetime, budget_s)`, so even a
    silent nameserver costs one lifetime in all. Pass a resolver without a cache when the
    answer must show what DNS says now (a customer who just fixed a record).
    """
    lifetime = min(float(resolver.lifetime), budget_s if budget_s is not None else float("inf"))
    service = zone.service_host(public_url)
    host_names = {kind: f"{kind}.{domain}" for kind in (KIND_AUTOCONFIG, KIND_AUTODISCOVER)}
    srv_name = f"{zone.AUTODISCOVER_SRV}.{domain}"
    queries: list[tuple[str, str]] = [(domain, "MX")]
    queries += [(f"{s.label}.{domain}", "SRV") for s in zone.SRV_SERVICES]
    queries += [(name, t) for name in host_names.values() for t in ("A", "AAAA")]
    if not service.is_ip:
        queries += [(srv_name, "SRV"), (service.host, "A"), (service.host, "AAAA")]
    dav_types = [t for t in zone.DAV_SRV if zone.dav_services(provider, t)]
    dav_names = {t: f"{zone.DAV_SRV[t]}.{domain}" for t in dav_types}
    queries += [(name, rtype) for name in dav_names.values() for rtype in ("SRV", "TXT")]
    found = fetch(resolver, queries, lifetime)
    if resolver_down(found.values(), service.host if not service.is_ip else None):
        return DnsHealth(domain=domain, checks=(_resolver_check(domain, resolver),),
                         zone_lines=zone.lines(provider, domain, public_url), resolver_down=True)

    service_addresses: set[str] | None = {str(ipaddress.ip_address(service.host))} if service.is_ip else None
    if not service.is_ip:
        own = (found[(service.host, "A")], found[(service.host, "AAAA")])
        service_addresses = _addresses(own) or None

    checks: list[RecordCheck] = [judge_mx(domain, zone.mx_records(provider, domain), found[(domain, "MX")])]
    for s in zone.SRV_SERVICES:
        checks.append(judge_srv(s.label, zone.srv_records(provider, domain, s), found[(f"{s.label}.{domain}", "SRV")]))
    host_checks = {
        kind: judge_host(
            kind,
            name,
            zone.host_records(kind, domain, public_url),
            (found[(name, "A")], found[(name, "AAAA")]),
            service,
            service_addresses,
        )
        for kind, name in host_names.items()
    }
    checks += host_checks.values()
    if not service.is_ip:
        checks.append(
            judge_autodiscover_srv(
                zone.autodiscover_srv_records(domain, public_url),
                found[(srv_name, "SRV")],
                host_ok=host_checks[KIND_AUTODISCOVER].status is Status.OK,
            )
        )
    for dav_type, name in dav_names.items():
        expected = zone.dav_srv_records(provider, domain, dav_type)
        checks.append(judge_srv(zone.DAV_SRV[dav_type], expected, found[(name, "SRV")], kind=KIND_DAV))
        checks.append(judge_dav_path(zone.dav_path_records(provider, domain, dav_type), found[(name, "TXT")]))
    return DnsHealth(domain=domain, checks=tuple(checks), zone_lines=zone.lines(provider, domain, public_url))
