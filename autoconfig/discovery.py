"""Will each client find the settings by itself? Each client's own lookups for a domain,
replayed over the network the way that client runs them, then judged.

Fetching is kept apart from judging. `plan` lists the lookups (pure); `Discoverer.run` runs
them all at once, each within the one deadline (the clients run theirs in parallel too);
`judge_*` (pure) turn the lookups into each client's steps and verdict, reading documents
with that client's own parse rules (`formats.readers`) and comparing what it would set up
with the configuration. The chains, from the clients' code:
- thunderbird (`FetchConfig`, `FindConfig`, `ExchangeAutoDiscover`): the ISP's two URLs over
  HTTPS, then over HTTP; then, by the domain's first MX host, `autoconfig.` the MX host's
  parent domain and its base domain (HTTPS only, skipped when the base is the domain itself);
  its central ISPDB (not ours: skipped); Microsoft autodiscover beside them. The first that
  answers, in that order of priority, wins.
- thunderbird-android: `https://autoconfig.D/mail/config-v1.1.xml` without the address, parsed
  strictly.
- outlook: POST to autodiscover.D, then D; the HTTP GET whose redirect must go to HTTPS (then
  POST there); the `_autodiscover._tcp` SRV record's target.
- srv: the RFC 6186/8314 records naming our servers.
- apple: nothing to discover; the profile link, and whether the profile's signature chains
  to a root the system trusts.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import quote, urlsplit

import dns.resolver
from cryptography import x509
from dns.rdtypes.ANY.MX import MX
from dns.rdtypes.IN.SRV import SRV
from publicsuffixlist import PublicSuffixList

from . import dnshealth
from .formats import readers, zone
from .formats.autodiscover import NS_OUTLOOK, NS_REQUEST, POX_PATH
from .formats.readers import Identity, ReadConfig, Rejected
from .model import Config, DavType, DiagnosticsOptions, Provider, Settings, Status
from .probes.base import Attempt, CheckResult, Deadline, Details, Kind
from .probes.web import OUT_OF_TIME, Fetched, WebToolkit, fetch
from .signing import ProfileSigner, chain_trusted, load_signers, trust_roots

Params = Mapping[str, str | int]
AUTOCONFIG_PATH = "/mail/config-v1.1.xml"
WELL_KNOWN_PATH = "/.well-known/autoconfig/mail/config-v1.1.xml"
ISPDB_URL = "https://autoconfig.thunderbird.net/v1.1/"
PROBE_LOCAL = "postmaster"  # every mail domain has it (RFC 5321): the address the lookups send
ASSEMBLY_S = 0.2
POX_CONTENT_TYPE = "text/xml; charset=utf-8"  # outlook.com needs exactly this (Thunderbird's note)

CODES: tuple[str, ...] = (
    "discovery.ok",
    "discovery.via_mx",
    "discovery.not_found",
    "discovery.srv_missing",
    "discovery.unreachable",
    "discovery.tls_failed",
    "discovery.http_only",
    "discovery.redirect_refused",
    "discovery.bad_document",
    "discovery.settings_mismatch",
    "discovery.timeout",
    "discovery.private_address_refused",
    "discovery.skipped",
    "discovery.profile_signed",
    "discovery.profile_unsigned",
    "discovery.profile_untrusted",
)


class Client(StrEnum):
    THUNDERBIRD = "thunderbird"
    THUNDERBIRD_ANDROID = "thunderbird-android"
    OUTLOOK = "outlook"
    SRV = "srv"
    APPLE = "apple"
    THUNDERBIRD_DAV = "thunderbird-dav"  # its address book and calendar dialogs (RFC 6764), when we offer DAV


CLIENTS = tuple(Client)
_PSL = PublicSuffixList()


@dataclass(frozen=True)
class StepData:
    """Facts for staff: the URLs the step went through, the server's answer, why it failed."""

    reason: str = ""
    hops: tuple[str, ...] = ()  # "url → HTTP 301 (ip)" lines
    tls: str = ""  # expired, hostname_mismatch, untrusted, …
    servers: str = ""  # the servers the client would set up


@dataclass(frozen=True)
class Step:
    url: str
    status: Status
    code: str
    params: Params
    duration_ms: int
    data: StepData = field(default_factory=StepData)


@dataclass(frozen=True)
class Verdict:
    client: Client
    automatic: bool
    via: str | None
    settings_match: bool | None
    status: Status
    code: str
    params: Params
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Discovery:
    domain: str
    domain_unicode: str
    provider: str
    clients: tuple[Verdict, ...]
    certificate_names: tuple[str, ...]
    duration_ms: int

    @property
    def status(self) -> Status:
        return Status.worst(v.status for v in self.clients)

    @property
    def checkable(self) -> bool:
        return True


def certificate_names(domain: str) -> tuple[str, ...]:
    return (f"autoconfig.{domain}", f"autodiscover.{domain}")


def _params(**values: str | int | None) -> Params:
    return MappingProxyType({k: v for k, v in values.items() if v is not None})


# -- the lookups (pure plan) ---------------------------------------------------------------


def isp_urls(domain: str, address: str | None) -> tuple[str, ...]:
    """Thunderbird's ISP URLs, highest priority first (HTTPS both, then HTTP both)."""
    query = f"?emailaddress={quote(address, safe='@')}" if address else ""
    one = f"autoconfig.{domain}{AUTOCONFIG_PATH}{query}"
    two = f"{domain}{WELL_KNOWN_PATH}{query}"
    return (f"https://{one}", f"https://{two}", f"http://{one}", f"http://{two}")


def mx_domains(domain: str, mx_host: str) -> tuple[str, ...]:
    """Where Thunderbird looks by MX: the MX host's parent domain, then its base domain
    (public-suffix list), the base alone when they agree; none when the base is `domain`."""
    host = mx_host.rstrip(".").lower()
    base = _PSL.privatesuffix(host)
    if base is None or base == domain:
        return ()
    parent = host.split(".", 1)[1] if "." in host else host
    if parent == base or not parent.endswith("." + base):
        return (base,)
    return (parent, base)


def pox_request(address: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<Autodiscover xmlns="{NS_REQUEST}"><Request><EMailAddress>{address}</EMailAddress>'
        f"<AcceptableResponseSchema>{NS_OUTLOOK}</AcceptableResponseSchema></Request></Autodiscover>"
    ).encode()


# -- fetching --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """One lookup as it ended: the HTTP fetch (or None for DNS-only), its duration."""

    url: str
    fetched: Fetched | None
    duration_ms: int
    dns: dnshealth.Lookup | None = None  # a DNS lookup that came first (MX, SRV)
    note: str = ""  # why there was nothing to fetch


@dataclass(frozen=True)
class Lookups:
    """Every lookup of one discovery, by job name; missing ones did not end in time."""

    results: Mapping[str, tuple[Outcome, ...]]
    address: str


class Discoverer:
    """Runs discoveries for one app: the web toolkit, the options, the public URL, and what
    the Apple verdict needs (the profile signers and the roots a device would trust)."""

    def __init__(self, options: DiagnosticsOptions, web: WebToolkit, public_url: str,
                 signers: Mapping[str, ProfileSigner] | None = None,
                 roots: tuple[x509.Certificate, ...] = ()) -> None:
        self.options = options
        self.web = web
        self.public_url = public_url
        self.signers = signers or {}
        self.roots = roots

    @classmethod
    def build(cls, config: Config, resolver: dns.resolver.Resolver,
              ports: Mapping[str, int] | None = None) -> Discoverer:
        """`ports` maps https/http to other ports: for tests only, never in the config file."""
        options = config.diagnostics
        context = WebToolkit.client_context(str(options.ca_file) if options.ca_file else None)
        kit = WebToolkit(resolver, context, options.allow_private_addresses, **({"ports": ports} if ports else {}))
        return cls(options, kit, config.service.public_url, load_signers(config.providers),
                   trust_roots(options.ca_file))

    def apple(self, settings: Settings, address: str) -> AppleFacts:
        url = f"{self.public_url.rstrip('/')}/mobileconfig?email={quote(address, safe='@')}"
        signer = self.signers.get(settings.provider.id)
        if signer is None:
            return AppleFacts(url, signed=False, trusted=False)
        trusted, why, reason = chain_trusted(signer, self.roots)
        return AppleFacts(url, signed=True, trusted=trusted, reason=reason, why=why)

    # Each job returns its outcomes; a job with a DNS step first does both in one thread.

    def _get(self, url: str, attempt: Attempt, **kw: object) -> Outcome:
        started = time.monotonic()
        fetched = fetch(self.web, url, attempt, **kw)  # type: ignore[arg-type]
        return Outcome(url, fetched, _ms(started))

    def _post(self, url: str, attempt: Attempt, address: str) -> Outcome:
        return self._get(url, attempt, method="POST", body=pox_request(address), content_type=POX_CONTENT_TYPE)

    def _mx(self, domain: str, address: str, attempt: Attempt) -> tuple[Outcome, ...]:
        started = time.monotonic()
        lifetime = min(attempt.deadline.timeout(self.options.connect_timeout_s), float(self.web.resolver.lifetime))
        lookup = dnshealth.lookup(self.web.resolver, domain, "MX", max(lifetime, 0.01))
        mxs = sorted((r for r in lookup.records if isinstance(r, MX) and str(r.exchange) != "."),
                     key=lambda r: r.preference)
        first = Outcome(f"dns:{domain}/MX", None, _ms(started), dns=lookup)
        if not mxs:
            return (first,)
        host = mxs[0].exchange.to_text(omit_final_dot=True).lower()
        targets = mx_domains(domain, host)
        if not targets:
            return (Outcome(first.url, None, first.duration_ms, dns=lookup, note=host),)
        urls = [f"https://autoconfig.{t}{AUTOCONFIG_PATH}?emailaddress={quote(address, safe='@')}" for t in targets]
        with concurrent.futures.ThreadPoolExecutor(len(urls), thread_name_prefix="discovery-mx") as pool:
            fetched = list(pool.map(lambda u: self._get(u, attempt), urls))
        return (first, *fetched)

    def _autodiscover_http(self, domain: str, address: str, attempt: Attempt) -> tuple[Outcome, ...]:
        url = f"http://autodiscover.{domain}{POX_PATH}"
        started = time.monotonic()
        first = fetch(self.web, url, attempt, follow=False)
        head = Outcome(url, first, _ms(started))
        if first.outcome != "redirect" or first.location is None:
            return (head,)
        if not first.location.startswith("https:"):
            return (head,)
        return (head, self._post(first.location, attempt, address))

    def _autodiscover_srv(self, domain: str, address: str, attempt: Attempt) -> tuple[Outcome, ...]:
        name = f"{zone.AUTODISCOVER_SRV}.{domain}"
        started = time.monotonic()
        lifetime = min(attempt.deadline.timeout(self.options.connect_timeout_s), float(self.web.resolver.lifetime))
        lookup = dnshealth.lookup(self.web.resolver, name, "SRV", max(lifetime, 0.01))
        records = sorted((r for r in lookup.records if isinstance(r, SRV) and str(r.target) != "."),
                         key=lambda r: r.weight)
        head = Outcome(f"dns:{name}/SRV", None, _ms(started), dns=lookup)
        if not records:
            return (head,)
        target = records[0].target.to_text(omit_final_dot=True).lower()
        return (head, self._post(f"https://{target}{POX_PATH}", attempt, address))

    def _srv(self, domain: str, attempt: Attempt) -> tuple[Outcome, ...]:
        started = time.monotonic()
        lifetime = min(attempt.deadline.timeout(self.options.connect_timeout_s), float(self.web.resolver.lifetime))
        names = [(f"{s.label}.{domain}", "SRV") for s in zone.SRV_SERVICES]
        found = dnshealth.fetch(self.web.resolver, names, max(lifetime, 0.01))
        return tuple(Outcome(f"dns:{n}/SRV", None, _ms(started), dns=found[(n, "SRV")]) for n, _t in names)

    def _dav(self, domain: str, dav_type: DavType, attempt: Attempt) -> tuple[Outcome, ...]:
        """Thunderbird's CardDAV/CalDAV set-up given the domain: the SRV record and its `path=` TXT
        (CardDAVUtils.detectAddressBooks), and `https://<domain>/.well-known/…` when there is no SRV."""
        name = f"{zone.DAV_SRV[dav_type]}.{domain}"
        started = time.monotonic()
        lifetime = min(attempt.deadline.timeout(self.options.connect_timeout_s), float(self.web.resolver.lifetime))
        found = dnshealth.fetch(self.web.resolver, [(name, "SRV"), (name, "TXT")], max(lifetime, 0.01))
        ms = _ms(started)
        well_known = self._get(f"https://{domain}/.well-known/{dav_type.value}", attempt, follow=False)
        return (Outcome(f"dns:{name}/SRV", None, ms, dns=found[(name, "SRV")]),
                Outcome(f"dns:{name}/TXT", None, ms, dns=found[(name, "TXT")]), well_known)

    def _single(self, url: str) -> Callable[[Attempt], tuple[Outcome, ...]]:
        return lambda attempt: (self._get(url, attempt),)

    def jobs(self, domain: str, address: str,
             dav: tuple[DavType, ...] = ()) -> dict[str, Callable[[Attempt], tuple[Outcome, ...]]]:
        isp = isp_urls(domain, address)
        android = isp_urls(domain, None)[0]
        pox = (f"https://autodiscover.{domain}{POX_PATH}", f"https://{domain}{POX_PATH}")
        jobs: dict[str, Callable[[Attempt], tuple[Outcome, ...]]] = {
            f"isp{i}": self._single(url) for i, url in enumerate(isp)
        }
        jobs["android"] = self._single(android)
        jobs["mx"] = lambda a: self._mx(domain, address, a)
        jobs["pox0"] = lambda a: (self._post(pox[0], a, address),)
        jobs["pox1"] = lambda a: (self._post(pox[1], a, address),)
        jobs["pox_http"] = lambda a: self._autodiscover_http(domain, address, a)
        jobs["pox_srv"] = lambda a: self._autodiscover_srv(domain, address, a)
        jobs["srv"] = lambda a: self._srv(domain, a)
        for dav_type in dav:
            jobs[f"dav-{dav_type.value}"] = lambda a, t=dav_type: self._dav(domain, t, a)  # type: ignore[misc]
        return jobs

    def lookups(self, domain: str, deadline: Deadline, dav: tuple[DavType, ...] = ()) -> Lookups:
        """Every lookup at once; those not done by the deadline are cut (their sockets closed)."""
        address = f"{PROBE_LOCAL}@{domain}"
        jobs = self.jobs(domain, address, dav)
        attempts = {name: Attempt(deadline, self.options.connect_timeout_s) for name in jobs}
        pool = concurrent.futures.ThreadPoolExecutor(len(jobs), thread_name_prefix="discovery")
        try:
            futures = {pool.submit(job, attempts[name]): name for name, job in jobs.items()}
            done, _pending = concurrent.futures.wait(futures, timeout=deadline.remaining())
            results = {futures[f]: f.result() for f in done if f.exception() is None}
        finally:
            for attempt in attempts.values():
                attempt.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
        return Lookups(MappingProxyType(results), address)

    def run(self, settings: Settings, budget_s: float | None = None, deadline: Deadline | None = None) -> Discovery:
        """The whole discovery for the settings' domain, within `budget_s` (or `deadline`)."""
        budget = budget_s if budget_s is not None else self.options.budget_s
        started = time.monotonic()
        deadline = deadline or Deadline(budget - min(ASSEMBLY_S, budget * 0.05))
        found = self.lookups(settings.domain, deadline, tuple(dict.fromkeys(d.type for d in settings.dav)))
        clients = judge(settings, found, self.apple(settings, found.address), self.public_url)
        return Discovery(settings.domain, settings.domain_unicode, settings.provider.id, clients,
                         certificate_names(settings.domain), _ms(started))


def _ms(started: float) -> int:
    return max(0, round((time.monotonic() - started) * 1000))


# -- judging (pure) --------------------------------------------------------------------------

Reader = Callable[[bytes, Identity], ReadConfig]
_OUTCOME_CODES = {
    "not_found": "discovery.not_found",
    "unreachable": "discovery.unreachable",
    "tls_failed": "discovery.tls_failed",
    "redirect_refused": "discovery.redirect_refused",
    "redirect": "discovery.redirect_refused",
    "bad_document": "discovery.bad_document",
    "timeout": "discovery.timeout",
    "private_address_refused": "discovery.private_address_refused",
}
# Failures that say more than "nothing there": the one to fix, when a client finds nothing.
_QUIET = {"discovery.not_found", "discovery.unreachable", "discovery.skipped"}


@dataclass(frozen=True)
class Judged:
    step: Step
    read: ReadConfig | None = None  # the client would use this document
    via: str | None = None


def _host(url: str) -> str:
    return (urlsplit(url).hostname or url).lower()


def _hops(fetched: Fetched) -> tuple[str, ...]:
    return tuple(f"{h.url} → {'HTTP ' + str(h.status) if h.status else 'no answer'}"
                 + (f" ({h.ip})" if h.ip else "") for h in fetched.hops)


def _why(fetched: Fetched) -> dict[str, str]:
    """The step's `reason` token (messages.REASON_WORDS) and its parameters, for the words."""
    return {"reason": fetched.why, **dict(fetched.why_params)} if fetched.why else {}


def _missing(url: str) -> Judged:
    """A lookup that did not end within the budget."""
    return Judged(Step(url, Status.ERROR, "discovery.timeout",
                       _params(url=url, name=_host(url), reason="time_ran_out"), 0,
                       StepData(reason=OUT_OF_TIME)))


def judge_fetch(outcome: Outcome, reader: Reader, settings: Settings, who: Identity, service: str,
                *, http_ok: bool = False) -> Judged:
    """One fetched document as `reader`'s client judges it."""
    fetched = outcome.fetched
    assert fetched is not None
    url = outcome.url
    base = {"url": url, "name": _host(url), "service": service}
    if not fetched.ok:
        code = _OUTCOME_CODES.get(fetched.outcome, "discovery.unreachable")
        data = StepData(fetched.reason, _hops(fetched), fetched.tls)
        return Judged(Step(url, Status.ERROR, code, _params(**base, **_why(fetched)), outcome.duration_ms, data))
    try:
        read = reader(fetched.body, who)
    except Rejected as exc:
        return Judged(Step(url, Status.ERROR, "discovery.bad_document", _params(**base, reason="unusable_document"),
                           outcome.duration_ms, StepData(exc.reason, _hops(fetched))))
    other = readers.foreign(read.chosen, settings, who)
    servers = readers.describe(read.chosen)
    data = StepData("", _hops(fetched), "", servers)
    via = fetched.final_url
    if other:
        params = _params(**base, found=readers.describe(other), expected=readers.describe(
            sorted(readers.expected(settings, who), key=lambda s: (s.protocol, s.hostname, s.port))))
        step = Step(url, Status.ERROR, "discovery.settings_mismatch", params, outcome.duration_ms, data)
        return Judged(step, read, via)
    if via.startswith("http:") and not http_ok:
        return Judged(Step(url, Status.WARNING, "discovery.http_only", _params(**base), outcome.duration_ms, data),
                      read, via)
    return Judged(Step(url, Status.OK, "discovery.ok", _params(**base), outcome.duration_ms, data), read, via)


def _skipped(url: str, why: str, staff: str, **why_params: str) -> Judged:
    return Judged(Step(url, Status.SKIPPED, "discovery.skipped",
                       _params(url=url, name=_host(url), reason=why, **why_params), 0, StepData(staff)))


def _dns_step(outcome: Outcome, code: str, status: Status, staff: str, why: str | None = None,
              **why_params: str) -> Judged:
    """A DNS lookup as a step: `staff` is the detail for staff, `why` the words' reason token."""
    name = outcome.url.removeprefix("dns:").split("/", 1)[0]
    return Judged(Step(outcome.url, status, code, _params(url=outcome.url, name=name, reason=why, **why_params),
                       outcome.duration_ms, StepData(staff)))


def _dns_failure(outcome: Outcome) -> Judged:
    lk = outcome.dns
    assert lk is not None
    if lk.failed:
        code = "discovery.timeout" if lk.reason == "timeout" else "discovery.unreachable"
        name = outcome.url.removeprefix("dns:").split("/", 1)[0]
        return _dns_step(outcome, code, Status.ERROR, f"DNS lookup failed ({lk.reason})",
                         "dns_timeout" if lk.reason == "timeout" else "dns_failed", host=name)
    if lk.outcome is dnshealth.Outcome.NXDOMAIN:
        return _dns_step(outcome, "discovery.not_found", Status.ERROR, "the name does not exist", "no_such_name",
                         host=outcome.url.removeprefix("dns:").split("/", 1)[0])
    return _dns_step(outcome, "discovery.not_found", Status.ERROR, "no such record", "no_such_record")


def verdict(client: Client, judged: list[Judged], service: str, *, via_mx: frozenset[str] = frozenset()) -> Verdict:
    """The first usable step (in the client's priority order) decides; else the most telling failure."""
    steps = tuple(j.step for j in judged)
    usable = next((j for j in judged if j.read is not None), None)
    if usable is not None:
        step = usable.step
        code, status = step.code, step.status
        if code == "discovery.ok" and step.url in via_mx:
            code = "discovery.via_mx"
        params = _params(**{**step.params, "via": usable.via or step.url})
        return Verdict(client, True, usable.via, code != "discovery.settings_mismatch", status, code, params, steps)
    failures = [s for s in steps if s.status is not Status.SKIPPED]
    telling = next((s for s in failures if s.code not in _QUIET), failures[0] if failures else None)
    if telling is None:
        return Verdict(client, False, None, None, Status.ERROR, "discovery.not_found",
                       _params(url="", name="", service=service, reason="no_lookup"), steps)
    return Verdict(client, False, None, None, Status.ERROR, telling.code,
                   _params(**{**telling.params, "service": service}), steps)


@dataclass(frozen=True)
class AppleFacts:
    """The profile link and its signature, learnt from the configuration (no network)."""

    url: str
    signed: bool
    trusted: bool
    reason: str = ""  # in English, for staff
    why: str = ""  # the words' token (messages.REASON_WORDS)


def _one(found: Lookups, job: str, url: str) -> Outcome | None:
    outcomes = found.results.get(job)
    return outcomes[0] if outcomes else None


def _thunderbird_isp(found: Lookups, settings: Settings, who: Identity, service: str) -> list[Judged]:
    judged = []
    for i, url in enumerate(isp_urls(settings.domain, found.address)):
        outcome = _one(found, f"isp{i}", url)
        judged.append(_missing(url) if outcome is None else
                      judge_fetch(outcome, readers.thunderbird_desktop, settings, who, service))
    return judged


def _thunderbird_mx(found: Lookups, settings: Settings, who: Identity, service: str) -> tuple[list[Judged], set[str]]:
    outcomes = found.results.get("mx")
    if not outcomes:
        return [_missing(f"dns:{settings.domain}/MX")], set()
    head, *rest = outcomes
    lk = head.dns
    assert lk is not None
    if not lk.records:
        return [_dns_failure(head)], set()
    if not rest:
        host = head.note or "?"
        return [_skipped(head.url, "mx_in_domain", f"the MX host {host} is in the domain itself: no other place "
                         "to look", host=host)], set()
    judged = [_dns_step(head, "discovery.ok", Status.OK, "")]
    for outcome in rest:
        judged.append(judge_fetch(outcome, readers.thunderbird_desktop, settings, who, service))
    return judged, {o.url for o in rest}


def _pox(found: Lookups, settings: Settings, who: Identity, service: str, *, thunderbird: bool) -> list[Judged]:
    def reader(body: bytes, identity: Identity) -> ReadConfig:
        return readers.outlook_pox(body, identity, thunderbird=thunderbird)

    judged = []
    domain = settings.domain
    for job, url in (("pox0", f"https://autodiscover.{domain}{POX_PATH}"), ("pox1", f"https://{domain}{POX_PATH}")):
        outcome = _one(found, job, url)
        judged.append(_missing(url) if outcome is None else judge_fetch(outcome, reader, settings, who, service))
    http = found.results.get("pox_http")
    url = f"http://autodiscover.{domain}{POX_PATH}"
    if not http:
        judged.append(_missing(url))
    else:
        head = http[0]
        fetched = head.fetched
        assert fetched is not None
        if len(http) > 1:
            judged.append(judge_fetch(http[1], reader, settings, who, service))
        elif fetched.outcome == "redirect":  # a redirect, but not to HTTPS
            judged.append(Judged(Step(url, Status.ERROR, "discovery.redirect_refused",
                                      _params(url=url, name=_host(url), service=service,
                                              reason="redirect_not_https", target=fetched.location),
                                      head.duration_ms, StepData(fetched.reason, _hops(fetched)))))
        elif fetched.ok:  # settings over plain HTTP are never used
            judged.append(Judged(Step(url, Status.ERROR, "discovery.redirect_refused",
                                      _params(url=url, name=_host(url), service=service,
                                              reason="http_not_redirect"),
                                      head.duration_ms, StepData("no redirect", _hops(fetched)))))
        else:
            judged.append(judge_fetch(head, reader, settings, who, service))
    srv = found.results.get("pox_srv")
    name = f"dns:{zone.AUTODISCOVER_SRV}.{domain}/SRV"
    if not srv:
        judged.append(_missing(name))
    elif len(srv) == 1:
        judged.append(_dns_failure(srv[0]))
    else:
        judged.append(judge_fetch(srv[1], reader, settings, who, service))
    return judged


def judge_thunderbird(found: Lookups, settings: Settings, who: Identity, service: str) -> Verdict:
    judged = _thunderbird_isp(found, settings, who, service)
    mx, via_mx = _thunderbird_mx(found, settings, who, service)
    ispdb = _skipped(f"{ISPDB_URL}{settings.domain}", "ispdb",
                     "Thunderbird's own database, run by Mozilla: not ours to check")
    judged += [ispdb, *mx, *_pox(found, settings, who, service, thunderbird=True)]
    return verdict(Client.THUNDERBIRD, judged, service, via_mx=frozenset(via_mx))


def judge_android(found: Lookups, settings: Settings, who: Identity, service: str) -> Verdict:
    url = isp_urls(settings.domain, None)[0]
    outcome = _one(found, "android", url)
    judged = [_missing(url) if outcome is None
              else judge_fetch(outcome, readers.thunderbird_android, settings, who, service)]
    return verdict(Client.THUNDERBIRD_ANDROID, judged, service)


def judge_outlook(found: Lookups, settings: Settings, who: Identity, service: str) -> Verdict:
    return verdict(Client.OUTLOOK, _pox(found, settings, who, service, thunderbird=False), service)


def judge_srv(found: Lookups, settings: Settings, provider: Provider, service: str) -> Verdict:
    outcomes = found.results.get("srv") or ()
    by_name = {o.url: o for o in outcomes}
    judged: list[Judged] = []
    matched: dict[bool, bool] = {}  # incoming?, any record of ours
    for s in zone.SRV_SERVICES:
        name = f"{s.label}.{settings.domain}"
        url = f"dns:{name}/SRV"
        outcome = by_name.get(url)
        if outcome is None or outcome.dns is None:
            judged.append(_missing(url))
            continue
        check = dnshealth.judge_srv(s.label, zone.srv_records(provider, settings.domain, s), outcome.dns)
        found_text = ", ".join(check.found) or "—"
        offered = check.expected != (zone.NOT_OFFERED,)
        if check.code == "dns.srv_ok" and offered:
            matched[s.protocol.incoming] = True
            judged.append(_dns_step(outcome, "discovery.ok", Status.OK, found_text))
        elif check.code in ("dns.srv_ok", "dns.srv_not_offered"):
            judged.append(_dns_step(outcome, "discovery.skipped", Status.SKIPPED, "we do not offer this service"))
        elif check.code == "dns.srv_mismatch":
            step = _dns_step(outcome, "discovery.settings_mismatch", Status.ERROR, found_text)
            params = _params(**step.step.params, found=found_text, expected=", ".join(check.expected))
            judged.append(Judged(replace(step.step, params=params)))
        elif check.code == "dns.lookup_failed":
            judged.append(_dns_failure(outcome))
        else:
            missing = _dns_step(outcome, "discovery.srv_missing", Status.WARNING, "no such record")
            params = _params(**missing.step.params, expected=", ".join(check.expected))
            judged.append(Judged(replace(missing.step, params=params)))
    steps = tuple(j.step for j in judged)
    mismatch = next((s for s in steps if s.code == "discovery.settings_mismatch"), None)
    if mismatch is not None:
        return Verdict(Client.SRV, True, mismatch.url, False, Status.ERROR, mismatch.code,
                       _params(**mismatch.params, via=mismatch.url, service=service), steps)
    if matched.get(True) and matched.get(False):
        first = next(s for s in steps if s.code == "discovery.ok")
        return Verdict(Client.SRV, True, first.url, True, Status.OK, "discovery.ok",
                       _params(**first.params, via=first.url, service=service), steps)
    first_missing = next((s for s in steps if s.status in (Status.WARNING, Status.ERROR)), None)
    params = first_missing.params if first_missing is not None else _params(url="", name=settings.domain)
    code = first_missing.code if first_missing is not None else "discovery.not_found"
    # Optional records: clients that read them fall back to other ways, so only a warning.
    return Verdict(Client.SRV, False, None, None, Status.WARNING, code, _params(**params, service=service), steps)


def _dav_context_url(settings: Settings, dav_type: DavType) -> str:
    first = zone.dav_services(settings.provider, dav_type)[0]
    parts = urlsplit(first.url)
    return f"https://{parts.netloc}{zone.context_path(first.url, settings.domain)}"


def _judge_dav_type(found: Lookups, settings: Settings, dav_type: DavType) -> list[Judged]:
    """One DAV type as Thunderbird looks for it: SRV (+ `path=` TXT), else the domain's well-known URL."""
    name = f"{zone.DAV_SRV[dav_type]}.{settings.domain}"
    srv_url, txt_url = f"dns:{name}/SRV", f"dns:{name}/TXT"
    well_known_url = f"https://{settings.domain}/.well-known/{dav_type.value}"
    outcomes = {o.url: o for o in found.results.get(f"dav-{dav_type.value}") or ()}
    srv, txt, well_known = outcomes.get(srv_url), outcomes.get(txt_url), outcomes.get(well_known_url)
    if srv is None or srv.dns is None or txt is None or txt.dns is None:
        return [_missing(srv_url)]
    expected = _dav_context_url(settings, dav_type)
    provider = settings.provider
    check = dnshealth.judge_srv(zone.DAV_SRV[dav_type], zone.dav_srv_records(provider, settings.domain, dav_type),
                                srv.dns, kind=dnshealth.KIND_DAV)
    found_text = ", ".join(check.found) or "—"
    if check.code == "dns.dav_srv_ok":
        path = dnshealth.judge_dav_path(zone.dav_path_records(provider, settings.domain, dav_type), txt.dns)
        srv_step = _dns_step(srv, "discovery.ok", Status.OK, found_text)
        srv_step = Judged(replace(srv_step.step, params=_params(**srv_step.step.params, via=expected)), via=expected)
        if path.code == "dns.dav_path_ok":
            return [srv_step, _dns_step(txt, "discovery.ok", Status.OK, ", ".join(path.found))]
        # without the right path Thunderbird asks the DAV server's own /.well-known: not ours to check
        txt_judged = _dns_step(txt, "discovery.srv_missing", Status.WARNING, ", ".join(path.found) or "no path= record")
        txt_params = _params(**txt_judged.step.params, expected=", ".join(path.expected))
        return [srv_step, Judged(replace(txt_judged.step, params=txt_params))]
    if check.code == "dns.dav_srv_mismatch":
        wrong = _dns_step(srv, "discovery.settings_mismatch", Status.ERROR, found_text)
        return [Judged(replace(wrong.step, params=_params(**wrong.step.params, found=found_text,
                                                          expected=", ".join(check.expected))))]
    judged = [_dns_failure(srv) if srv.dns.failed else _dns_step(srv, "discovery.not_found", Status.WARNING,
                                                                   "no such record", "no_such_record")]
    if well_known is None or well_known.fetched is None:
        return [*judged, _missing(well_known_url)]
    fetched = well_known.fetched
    base = _params(url=well_known_url, name=settings.domain)
    data = StepData(fetched.reason, _hops(fetched), fetched.tls)
    if fetched.outcome == "redirect" and (fetched.location or "").rstrip("/") == expected.rstrip("/"):
        ok = Step(well_known_url, Status.OK, "discovery.ok", _params(**base, via=expected), well_known.duration_ms,
                  data)
        return [*judged, Judged(ok, via=expected)]
    if fetched.outcome == "redirect":
        params = _params(**base, found=fetched.location, expected=expected)
        return [*judged, Judged(Step(well_known_url, Status.ERROR, "discovery.settings_mismatch", params,
                                     well_known.duration_ms, data))]
    code = _OUTCOME_CODES.get(fetched.outcome, "discovery.not_found") if not fetched.ok else "discovery.not_found"
    why = _why(fetched) or {"reason": "no_dav_redirect"}
    return [*judged, Judged(Step(well_known_url, Status.WARNING, code, _params(**base, **why),
                                 well_known.duration_ms, data))]


def judge_thunderbird_dav(found: Lookups, settings: Settings, service: str) -> Verdict:
    """Found when every DAV type we offer is found; optional, so missing is a warning (typed by hand it works)."""
    steps: list[Step] = []
    vias: list[str] = []
    worst = Status.OK
    for dav_type in dict.fromkeys(d.type for d in settings.dav):
        judged = _judge_dav_type(found, settings, dav_type)
        steps.extend(j.step for j in judged)
        via = next((j.via for j in judged if j.via), None)
        if via is None:
            worst = Status.worst((worst, Status.WARNING))
        else:
            vias.append(via)
    mismatch = next((s for s in steps if s.code == "discovery.settings_mismatch"), None)
    if mismatch is not None:
        return Verdict(Client.THUNDERBIRD_DAV, False, None, False, Status.ERROR, mismatch.code,
                       _params(**mismatch.params, service=service), tuple(steps))
    if worst is Status.OK:
        # found; only a missing or wrong `path=` record leaves Thunderbird to the DAV server's own /.well-known
        status = Status.WARNING if any(s.code == "discovery.srv_missing" for s in steps) else Status.OK
        params = _params(url=steps[0].url, name=settings.domain, via=", ".join(vias), service=service)
        return Verdict(Client.THUNDERBIRD_DAV, True, vias[0], True, status, "discovery.ok", params, tuple(steps))
    telling = next((s for s in steps if s.status is not Status.OK), steps[0])
    return Verdict(Client.THUNDERBIRD_DAV, False, None, None, Status.WARNING, telling.code,
                   _params(**telling.params, service=service), tuple(steps))


def judge_apple(apple: AppleFacts) -> Verdict:
    params = _params(url=apple.url, name=_host(apple.url), via=apple.url, reason=apple.why or None)
    if not apple.signed:
        code, status = "discovery.profile_unsigned", Status.WARNING
    elif not apple.trusted:
        code, status = "discovery.profile_untrusted", Status.WARNING
    else:
        code, status = "discovery.profile_signed", Status.OK
    step = Step(apple.url, status, code, params, 0, StepData(apple.reason))
    return Verdict(Client.APPLE, True, apple.url, True, status, code, params, (step,))


def judge(settings: Settings, found: Lookups, apple: AppleFacts, public_url: str) -> tuple[Verdict, ...]:
    who = Identity(PROBE_LOCAL, settings.domain)
    service = zone.service_host(public_url).host
    return (
        judge_thunderbird(found, settings, who, service),
        judge_android(found, settings, who, service),
        judge_outlook(found, settings, who, service),
        judge_srv(found, settings, settings.provider, service),
        judge_apple(apple),
        *((judge_thunderbird_dav(found, settings, service),) if settings.dav else ()),
    )


# -- in a diagnosis report -----------------------------------------------------------------


@dataclass(frozen=True)
class StepLine:
    url: str
    status: str
    code: str
    duration_ms: int


@dataclass(frozen=True)
class DiscoveryDetails(Details):
    """A client's verdict in a diagnosis report (`data` of a `kind: discovery` check)."""

    client: str
    automatic: bool
    via: str | None
    settings_match: bool | None
    steps: tuple[StepLine, ...]


def as_checks(found: Discovery) -> tuple[CheckResult, ...]:
    """One check per client. In a diagnosis the severity is capped at `warning`: the mailbox
    works whatever the client finds; setting it up by hand remains possible."""
    checks = []
    for v in found.clients:
        status = Status.WARNING if v.status is Status.ERROR else v.status
        data = DiscoveryDetails(v.client.value, v.automatic, v.via, v.settings_match,
                                tuple(StepLine(s.url, s.status.value, s.code, s.duration_ms) for s in v.steps))
        checks.append(CheckResult(
            id=f"discovery-{v.client.value}", kind=Kind.DISCOVERY, status=status, code=v.code,
            host=_host(v.via) if v.via else None, params=MappingProxyType({**v.params, "client": v.client.value}),
            duration_ms=max((s.duration_ms for s in v.steps), default=0), data=data,
        ))
    return tuple(checks)
