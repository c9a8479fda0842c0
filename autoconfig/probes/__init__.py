"""The ordered registry of checks and the runner that runs them within the budget.

Adding a check: a module with a `Stage`, one line in `stages_for`, its codes in
`messages.CATALOGUE`, and a test.

The runner starts one job per configured server (plus one for the DNS records) on a
thread pool (at most `max_workers` threads; the rest wait for a free one), in the order
given: a thread's start waits for the new thread to take the GIL, so while earlier jobs do
their TLS work the last of 200 jobs starts most of a second after the first (the watch
starts the slowest first). A job runs its server's stages in order over one connection; a
stage whose prerequisite failed is `skipped` with a code that names the check that failed.
Every network step gets its own timeout, cut to what is left of the budget; when the budget
is spent the runner stops waiting, closes the jobs' sockets, and reports each unfinished
check as `diag.cut_short` (with the step it was in) or `skip.budget`.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ..model import ClientAddress, Protocol, Secret, Security, Settings, Status
from . import dns as dns_probe
from . import folders, greeting, login, mailbox, quota, submission, tcp, tls
from .base import (
    Attempt,
    CheckResult,
    Deadline,
    Kind,
    Params,
    Step,
    failure_for,
    log_internal,
    params,
)
from .session import AccountSlot, LoginGate, Session, Stage, Target, Toolkit, Trial

__all__ = ["CheckResult", "Run", "Secret", "Target", "Toolkit", "plan", "stages_for"]

log = logging.getLogger("autoconfig.probes")

_ACCOUNT: dict[Protocol, tuple[Stage, ...]] = {
    Protocol.IMAP: (login.STAGE, folders.STAGE, quota.STAGE),
    Protocol.POP3: (login.STAGE, mailbox.STAGE),
    Protocol.SMTP: (submission.STAGE,),
}


def stages_for(protocol: Protocol, security: Security) -> tuple[Stage, ...]:
    """The registry: a server's checks in the order they run (and are reported)."""
    if security is Security.TLS:
        secure: tuple[Stage, ...] = (tls.STAGE, greeting.AFTER_TLS_STAGE)
    elif security is Security.STARTTLS:
        secure = (greeting.STAGE, tls.STARTTLS_STAGE)
    else:
        secure = (greeting.STAGE, tls.PLAIN_STAGE)
    return (tcp.STAGE, *secure, *_ACCOUNT[protocol])


def plan(settings: Settings, protocols: Sequence[Protocol] | None = None) -> tuple[Target, ...]:
    """The servers to check for this address, in configuration order, ids made unique."""
    wanted = set(protocols) if protocols else set(Protocol)
    targets: list[Target] = []
    seen: dict[str, int] = {}
    for index, (server, configured) in enumerate(zip(settings.servers, settings.provider.servers, strict=True)):
        if server.protocol not in wanted:
            continue
        prefix = f"{server.protocol}-{server.port}"
        seen[prefix] = seen.get(prefix, 0) + 1
        targets.append(
            Target(
                index=index,
                prefix=prefix if seen[prefix] == 1 else f"{prefix}-{seen[prefix]}",
                protocol=server.protocol,
                hostname=server.hostname,
                port=server.port,
                security=server.security,
                username=server.username,
                templated=configured.hostname_is_templated,
                login_networks=settings.provider.login_networks,
                forward_client_address=configured.forward_client_address,
            )
        )
    return tuple(targets)


@dataclass(frozen=True)
class DnsJob:
    """The domain's records; `settings` names the provider and domain."""

    settings: Settings
    public_url: str


Order = tuple[int, ...]
ASSEMBLY_S = 0.2


@dataclass(frozen=True)
class ExtraJob:
    """A check of another kind that runs beside the servers' (discovery): `run` gets the
    diagnosis' deadline, must end by it, and returns its results, reported after the rest."""

    name: str
    kind: Kind
    run: Callable[[Deadline], Sequence[CheckResult]]


@dataclass
class _Job:
    target: Target | None  # None: the DNS job (or the extra job)
    attempt: Attempt
    stages: tuple[Stage, ...] = ()
    extra: ExtraJob | None = None
    current: int | None = None
    finished: bool = False


@dataclass(frozen=True)
class _Done:
    job: _Job


@dataclass
class _State:
    entries: list[tuple[Order, CheckResult]] = field(default_factory=list)
    emitted: set[str] = field(default_factory=set)
    closed: bool = False


class Run:
    """One diagnosis in progress: iterate to get each check as it ends (the last ones
    may be synthesised when the budget runs out); `results()` is the stable order."""

    def __init__(
        self,
        toolkit: Toolkit,
        targets: Sequence[Target],
        password: Secret | None,
        dns_job: DnsJob | None = None,
        budget_s: float | None = None,
        client: ClientAddress | None = None,
        *,
        account: bool = True,
        extras: Sequence[ExtraJob] = (),
        max_workers: int | None = None,
    ) -> None:
        self.toolkit = toolkit
        self.account = account  # False: the server checks only (the watch never logs in)
        self.targets = tuple(targets)
        self.password = password
        self.client = client
        self.dns_job = dns_job
        self.extras = tuple(extras)
        budget = budget_s if budget_s is not None else toolkit.options.budget_s
        # Keep a sliver of the budget for waking up, words and JSON: the whole request,
        # not just the probes, ends within budget_s even on a busy machine.
        self.deadline = Deadline(budget - min(ASSEMBLY_S, budget * 0.05))
        self._queue: queue.SimpleQueue[tuple[Order, CheckResult] | _Done] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._state = _State()
        self._gates = {p: LoginGate() for p in Protocol}
        self._trials = {p: Trial() for p in Protocol}
        self._slots = {p: AccountSlot({t.index for t in self.targets if t.protocol is p}) for p in Protocol}
        self._last = {t.protocol: t.index for t in self.targets}
        self._jobs: list[_Job] = []
        self._pool: ThreadPoolExecutor | None = None
        self._max_workers = max_workers

    # -- public ------------------------------------------------------------------------

    def results(self) -> tuple[CheckResult, ...]:
        with self._lock:
            return tuple(r for _order, r in sorted(self._state.entries, key=lambda e: e[0]))

    def __iter__(self) -> Iterator[CheckResult]:
        self._start()
        pending = set(map(id, self._jobs))
        try:
            while pending:
                left = self.deadline.remaining()
                if left <= 0:
                    break
                try:
                    item = self._queue.get(timeout=left)
                except queue.Empty:
                    break
                if isinstance(item, _Done):
                    pending.discard(id(item.job))
                    continue
                yield item[1]
            for _order, result in self._finish():
                yield result
        finally:
            self.close()

    def close(self) -> None:
        """Stop every job (their sockets are shut down) and stop accepting results."""
        with self._lock:
            self._state.closed = True
        for job in self._jobs:
            job.attempt.cancel()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    # -- jobs ----------------------------------------------------------------------------

    def _start(self) -> None:
        timeout = self.toolkit.options.connect_timeout_s
        if self.dns_job is not None:
            self._jobs.append(_Job(None, Attempt(self.deadline, timeout)))
        for target in self.targets:
            stages = stages_for(target.protocol, target.security)
            if not self.account:
                stages = tuple(s for s in stages if s.kind in (Kind.TCP, Kind.TLS))
            step_timeout = min(timeout, target.step_timeout_s or timeout)
            self._jobs.append(_Job(target, Attempt(self.deadline, step_timeout), stages))
        for extra in self.extras:
            self._jobs.append(_Job(None, Attempt(self.deadline, timeout), extra=extra))
        workers = max(1, min(len(self._jobs), self._max_workers or len(self._jobs)))
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe")
        for job in self._jobs:
            if job.extra is not None:
                self._pool.submit(self._run_extra, job)
            else:
                self._pool.submit(self._run_dns if job.target is None else self._run_server, job)

    def _put(self, order: Order, result: CheckResult) -> None:
        with self._lock:
            if self._state.closed or result.id in self._state.emitted:
                return
            self._state.emitted.add(result.id)
            self._state.entries.append((order, result))
        self._queue.put((order, result))

    def _order(self, target: Target, stage_index: int, stage: Stage, sub: int) -> Order:
        if stage.account:  # account checks follow the protocol's last server
            return (1, self._last[target.protocol], 50 + stage_index, sub)
        return (1, target.index, stage_index, sub)

    def _run_dns(self, job: _Job) -> None:
        assert self.dns_job is not None
        settings = self.dns_job.settings
        try:
            results = dns_probe.run(
                settings.provider, settings.domain, self.toolkit.resolver, self.dns_job.public_url,
                budget_s=max(0.1, self.deadline.remaining()),
            )
            for i, result in enumerate(results):
                self._put((0, i), result)
        except Exception as exc:
            log_internal(exc, "dns")
            failed = CheckResult("dns", Kind.DNS, Status.ERROR, "diag.internal_error", params=params(step="dns"))
            self._put((0, 0), failed)
        finally:
            job.finished = True
            self._queue.put(_Done(job))

    def _run_extra(self, job: _Job) -> None:
        extra = job.extra
        assert extra is not None
        index = self.extras.index(extra)
        try:
            for i, result in enumerate(extra.run(self.deadline)):
                self._put((2, index, i), result)
        except Exception as exc:
            log_internal(exc, extra.name)
            failed = CheckResult(extra.name, extra.kind, Status.ERROR, "diag.internal_error",
                                 params=params(step=extra.name))
            self._put((2, index, 0), failed)
        finally:
            job.finished = True
            self._queue.put(_Done(job))

    def _session(self, target: Target, job: _Job) -> Session:
        protocol = target.protocol
        return Session(target, self.toolkit, job.attempt, self.password, self._gates[protocol],
                       self._slots[protocol], self._trials[protocol], self.client)

    def _run_server(self, job: _Job) -> None:
        target = job.target
        assert target is not None
        session = self._session(target, job)
        try:
            for index, stage in enumerate(job.stages):
                job.current = index
                if stage.account and not session.owns_account:
                    continue  # another server of this protocol checks the account
                blocked = session.blocker(stage.needs)
                if blocked and stage.kind is Kind.AUTH:
                    # The account checks will say why, if no server of this protocol logs in.
                    session.slot.note_blocker(target, *blocked)
                results = _skipped(session, stage, *blocked) if blocked else _guarded(session, stage)
                for sub, result in enumerate(results):
                    self._put(self._order(target, index, stage, sub), result)
            job.current = None
            session.close()
        except Exception as exc:
            failure_for(exc, job.attempt.step)  # logs it when it is a bug of ours
        finally:
            session.close()
            self._gates[target.protocol].leave(target.index)
            if self._slots[target.protocol].finish(target):
                self._account_fallback(job)
            job.finished = True
            self._queue.put(_Done(job))

    def _account_fallback(self, job: _Job) -> None:
        """No server of this protocol logged in: its account checks say why, once."""
        target = job.target
        assert target is not None
        slot = self._slots[target.protocol]
        first = next(t for t in self.targets if t.protocol is target.protocol)
        code, values = slot.first_blocker() or (
            ("skip.no_password", params()) if self.password is None
            else ("skip.no_login", params(blocked_by=f"{first.prefix}-auth"))
        )
        reporter = self._session(first, job)
        for index, stage in enumerate(job.stages):
            if stage.account:
                for sub, result in enumerate(_skipped(reporter, stage, code, values)):
                    self._put(self._order(target, index, stage, sub), result)

    def _finish(self) -> list[tuple[Order, CheckResult]]:
        """Out of time: stop the jobs and account for every check that did not end."""
        unfinished = [job for job in self._jobs if not job.finished]
        self.close()
        made: list[tuple[Order, CheckResult]] = []
        with self._lock:
            emitted = set(self._state.emitted)

        def add(order: Order, result: CheckResult) -> None:
            if result.id not in emitted:
                emitted.add(result.id)
                made.append((order, result))

        for job in unfinished:
            step = str(job.attempt.step)
            if job.extra is not None:
                extra = job.extra
                if not any(i.startswith(extra.name) for i in emitted):
                    late = CheckResult(extra.name, extra.kind, Status.ERROR, "diag.cut_short",
                                       params=params(step=extra.name))
                    add((2, self.extras.index(extra), 0), late)
                continue
            if job.target is None:
                if not any(i.startswith("dns") for i in emitted):
                    add((0, 0), CheckResult("dns", Kind.DNS, Status.ERROR, "diag.cut_short", params=params(step="dns")))
                continue
            target = job.target
            slot = self._slots[target.protocol]
            session = self._session(target, job)
            # A job still waiting for a thread never began its first step: nothing was cut short.
            current = job.current if job.current is not None else -1
            for index, stage in enumerate(job.stages):
                if stage.account and (slot.owner not in (None, target.index)):
                    continue
                ids = _planned_ids(target, stage)
                if stage is tcp.STAGE and any(i.startswith(f"{target.prefix}-tcp") for i in emitted):
                    continue
                cut = index == current
                for sub, suffix in enumerate(stage.ids):
                    if ids[sub] in emitted:
                        continue
                    if cut and stage.kind is Kind.AUTH and job.attempt.step is Step.LOGIN:
                        # The server held the login until our time ran out: it slows logins.
                        waited = max(1, round(time.monotonic() - job.attempt.step_started))
                        result = session.result(stage, Status.ERROR, "auth.slowed", params(seconds=waited),
                                                suffix=suffix)
                    elif cut:
                        result = session.result(stage, Status.ERROR, "diag.cut_short", params(step=step), suffix=suffix)
                    else:
                        result = session.result(stage, Status.SKIPPED, "skip.budget", params(), suffix=suffix)
                    add(self._order(target, index, stage, sub), result)
        with self._lock:
            self._state.entries.extend(made)
            self._state.emitted.update(r.id for _o, r in made)
        return made


def _planned_ids(target: Target, stage: Stage) -> tuple[str, ...]:
    head = str(target.protocol) if stage.account else target.prefix
    return tuple(f"{head}-{suffix}" for suffix in stage.ids)


def _skipped(session: Session, stage: Stage, code: str, values: Params) -> tuple[CheckResult, ...]:
    return tuple(session.result(stage, Status.SKIPPED, code, values, suffix=s) for s in stage.ids)


def _guarded(session: Session, stage: Stage) -> tuple[CheckResult, ...]:
    """Run a stage; stages catch the servers' faults themselves, so what reaches here is
    running out of time, being cancelled, or a bug of ours (logged, never blamed on the
    server)."""
    try:
        return stage.run(session)
    except Exception as exc:
        failure = failure_for(exc, session.attempt.step)
        return tuple(
            session.result(stage, failure.status, failure.code, failure.params, suffix=s) for s in stage.ids
        )
