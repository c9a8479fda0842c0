"""A diagnosis from request to report: settings for the address, the probes, the words
from the catalogue, and the POP3-or-IMAP recommendation. Used by the API and the CLI."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import dns.resolver

from .advice import Advice, Answers, Facts, recommend
from .directory import Directory
from .discovery import Discoverer, as_checks
from .languages import choose_language
from .lookup import resolve, settings_for_address
from .messages import words
from .model import ClientAddress, Config, Protocol, Secret, Settings, Status
from .probes import DnsJob, ExtraJob, Run, Target, Toolkit, plan
from .probes.base import CheckResult, Deadline, Kind
from .probes.dns import blame_resolver
from .probes.folders import FoldersDetails
from .probes.mailbox import MailboxDetails
from .probes.quota import QuotaDetails
from .problems import Verdict, verdict
from .recommendation import Recommendation, explain
from .services import Services
from .watch.notices import Notice, for_server, touching

KNOWN_DOWN_STEP_S = 1.0  # each network step's ceiling on a server with a known incident


@dataclass(frozen=True)
class DiagnosisRequest:
    email: str
    password: Secret | None = field(default=None, repr=False)
    protocols: tuple[Protocol, ...] = ()
    lang: str | None = None
    answers: Answers | None = None
    client: ClientAddress | None = None  # announced to servers with forward_client_address


@dataclass(frozen=True)
class DescribedCheck:
    """A check with its words in the request's language; a failing check on a server the
    watch knows is down carries that incident (its remedy then says it is on us)."""

    check: CheckResult
    message: str
    remedy: str | None
    known_incident: Notice | None = None


@dataclass(frozen=True)
class Report:
    email: str
    domain: str
    provider: str
    started_at: dt.datetime
    duration_ms: int
    status: Status
    checks: tuple[DescribedCheck, ...]
    recommendation: Recommendation | None
    lang: str
    incidents: tuple[Notice, ...] = ()  # the watch's notices on this address's servers

    @property
    def verdict(self) -> Verdict:
        """What the customer reads first: the checks grouped into problems by root cause."""
        return verdict(self.checks, self.lang)


def describe(check: CheckResult, lang: str, notices: Sequence[Notice] = ()) -> DescribedCheck:
    """The check's words; a failing check on a server with a known incident keeps its
    message (what was seen) but its remedy says the problem is ours: nothing to change."""
    text = words(check.code, lang, check.params)
    notice = None
    if notices and check.host is not None and check.status in (Status.ERROR, Status.WARNING):
        notice = for_server(notices, check.host, check.port or 0)
    if notice is None:
        return DescribedCheck(check, text.message, text.remedy)
    ours = words(notice.catalogue_code, lang, notice.params())
    return DescribedCheck(check, text.message, ours.remedy, notice)


def facts_from(checks: Iterable[CheckResult]) -> Facts | None:
    """Pure: the facts advice weighs, read from the account checks' typed details (folders,
    quota, POP3 mailbox); None when none of them measured anything."""
    facts = Facts()
    for check in checks:
        data = check.data
        if isinstance(data, QuotaDetails):
            facts = dataclasses.replace(
                facts,
                quota_percent=data.percent,
                quota_limit_bytes=data.storage_limit_bytes,
                quota_used_bytes=data.storage_used_bytes if data.storage_limit_bytes is not None else None,
            )
        elif isinstance(data, FoldersDetails):
            facts = dataclasses.replace(
                facts, imap_custom_folders=data.custom_folders, sent_on_server=data.sent_on_server,
                imap_messages=data.messages,
            )
        elif isinstance(data, MailboxDetails):
            facts = dataclasses.replace(
                facts, pop3_messages=data.messages, pop3_mailbox_bytes=data.size_bytes, uidl_supported=data.uidl
            )
    return None if facts == Facts() else facts


class Diagnostician:
    """Everything a diagnosis needs that lives as long as the app (TLS contexts, resolver)."""

    def __init__(self, config: Config, directory: Directory, resolver: dns.resolver.Resolver,
                 discoverer: Discoverer | None = None,
                 notices: Callable[[], Sequence[Notice]] | None = None) -> None:
        self.config = config
        self.directory = directory
        self.toolkit = Toolkit.build(config.diagnostics, resolver)
        self.discoverer = discoverer or Discoverer.build(config, resolver)
        self.notices = notices or _no_notices  # the watch's incidents and maintenance (web: from the database)

    @classmethod
    def for_services(cls, svc: Services, discoverer: Discoverer | None = None,
                     notices: Callable[[], Sequence[Notice]] | None = None) -> Diagnostician:
        """The diagnostician of an app's (or the CLI's) collaborators."""
        return cls(svc.config, svc.directory, svc.resolver, discoverer, notices)

    def language(self, requested: str | None) -> str:
        return choose_language(requested, None, self.config.service.languages)

    def start(self, request: DiagnosisRequest, admit: Callable[[Settings], None] | None = None) -> Diagnosis:
        """Resolve the address (InvalidAddress, UnknownDomain: 4xx before anything runs), then
        let `admit` count the login it would try (the per-account limit; it raises to refuse)."""
        settings = settings_for_address(self.directory, request.email)
        if admit is not None:
            admit(settings)
        return Diagnosis(self, settings, request, self.language(request.lang))


class Diagnosis:
    """Iterate for each check as it ends (words included); then `report()`."""

    def __init__(self, owner: Diagnostician, settings: Settings, request: DiagnosisRequest, lang: str) -> None:
        self.owner = owner
        self.settings = settings
        self.request = request
        self.lang = lang
        self.started_at = dt.datetime.now(dt.UTC).replace(microsecond=0)
        self._started = time.monotonic()
        self.notices = touching(owner.notices(), ((s.hostname, s.port) for s in settings.servers))
        self._run = Run(
            owner.toolkit,
            _short_on_known_down(plan(settings, request.protocols), self.notices),
            request.password,
            DnsJob(settings, owner.config.service.public_url),
            client=request.client,
            extras=(self._discovery_job(),),
        )
        self._finished: float | None = None
        self._advice: Advice | None = None

    def _discovery_job(self) -> ExtraJob:
        """Will the customer's programs find these settings by themselves? (domain-wide)"""
        s = self.settings
        domain_settings = resolve(s.provider, s.domain, s.domain_unicode, None)

        def run(deadline: Deadline) -> tuple[CheckResult, ...]:
            return as_checks(self.owner.discoverer.run(domain_settings, deadline=deadline))

        return ExtraJob("discovery", Kind.DISCOVERY, run)

    def __iter__(self) -> Iterator[DescribedCheck]:
        for check in self._run:
            yield describe(check, self.lang, self.notices)
        self._finished = time.monotonic()

    def run(self) -> Report:
        for _check in self:
            pass
        return self.report()

    def close(self) -> None:
        self._run.close()

    def _run_finished(self) -> bool:
        return self._finished is not None

    def report(self, lang: str | None = None) -> Report:
        """The report in the request's language, or in `lang` (the stored copies)."""
        lang = lang or self.lang
        checks = tuple(describe(c, lang, self.notices) for c in blame_resolver(self._run.results()))
        ended = self._finished if self._finished is not None else time.monotonic()
        return Report(
            email=self.settings.email,
            domain=self.settings.domain,
            provider=self.settings.provider.id,
            started_at=self.started_at,
            duration_ms=round((ended - self._started) * 1000),
            status=Status.worst(c.check.status for c in checks),
            checks=checks,
            recommendation=self.recommendation(lang),
            lang=lang,
            incidents=self.notices,
        )

    def recommendation(self, lang: str | None = None) -> Recommendation:
        """The one place the POP3-or-IMAP advice is attached to a report (weighed once, then
        only put into words: the stored copies ask again in each language)."""
        advice = self._advice
        if advice is None or not self._run_finished():
            advice = recommend(self.request.answers, facts_from(self._run.results()))
            if self._run_finished():
                self._advice = advice
        faq_url = self.owner.config.service.help_for(self.settings.provider).faq_url  # a reseller's own FAQ
        return explain(advice, lang or self.lang, faq_url)


def _no_notices() -> tuple[Notice, ...]:
    return ()


def _short_on_known_down(targets: Sequence[Target], notices: Sequence[Notice]) -> tuple[Target, ...]:
    """A server the watch knows is down gets short step deadlines: the diagnosis says so
    in a second instead of waiting out the whole budget (and holding a thread meanwhile)."""
    return tuple(
        dataclasses.replace(t, step_timeout_s=KNOWN_DOWN_STEP_S) if for_server(notices, t.hostname, t.port) else t
        for t in targets
    )


def diagnose(owner: Diagnostician, email: str, password: Secret | None = None,
             protocols: Sequence[Protocol] = (), lang: str | None = None) -> Report:
    """A whole diagnosis in one call (the CLI and tests)."""
    request = DiagnosisRequest(email, password, tuple(protocols), lang)
    return owner.start(request).run()
