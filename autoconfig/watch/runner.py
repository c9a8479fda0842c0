"""`autoconfig watch`: wait for the lease, then a round every `interval_s` (jittered), each
round's results and incidents written to the database.

Jitter: the first round waits a random part of the interval, and each wait is the interval
±10 %, so watchers of several sites (or a fleet restarted at once) do not hit the servers
in step.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable

from ..db import Database
from ..model import Config
from ..probes import Toolkit
from ..resolver import make_resolver
from . import endpoints
from .checks import EndpointKey, Round, run_round
from .incidents import advance, decide
from .lock import Lease
from .store import WatchStore

log = logging.getLogger("autoconfig.watch")

JITTER = 0.1
MIN_LEASE_S = 5.0


def round_budget(config: Config) -> float:
    """A round ends within a diagnosis' budget (a round that outlasts the interval is
    followed by the next one at once)."""
    return config.diagnostics.budget_s


def lease_seconds(config: Config) -> float:
    """Long enough to outlast a round between renewals; short enough to take over soon."""
    return max(MIN_LEASE_S, 3 * round_budget(config))


def first_delay(interval_s: float, rng: random.Random) -> float:
    return rng.uniform(0, min(interval_s * JITTER, 30.0))


def next_delay(interval_s: float, elapsed_s: float, rng: random.Random) -> float:
    """The wait before the next round: the interval ±10 %, less the round's own time."""
    return max(0.0, interval_s * rng.uniform(1 - JITTER, 1 + JITTER) - elapsed_s)


class Watcher:
    def __init__(self, config: Config, database: Database, *, lease_s: float | None = None,
                 holder: str | None = None, rng: random.Random | None = None) -> None:
        self.config = config
        self.toolkit = Toolkit.build(config.diagnostics, make_resolver(config.dns))
        served = {p.id: endpoints.served_domains(p) for p in config.providers}
        self.services = endpoints.services(config.providers, config.watch.max_template_hosts, served)
        engine = database.ready()
        self.store = WatchStore(engine)
        self.lease = Lease(engine, lease_s or lease_seconds(config), holder)
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not secrecy
        self.budget_s = round_budget(config)
        self.took_ms: dict[EndpointKey, int] = {}  # the last round's, to start the slowest first

    def check(self) -> Round:
        """One round of checks, not recorded."""
        done = run_round(self.toolkit, self.services, self.budget_s, self.config.watch.max_concurrent, self.took_ms)
        starved = int(self.budget_s * 1000)  # not reached this time: first in line next time
        self.took_ms = {e.key: e.duration_ms if e.checked else starved for e in done.endpoints}
        return done

    def round(self) -> Round:
        """Check everything once and record it (the caller holds the lease)."""
        done = self.check()
        states = advance(self.store.endpoint_states(), done)
        openings, closing = decide(states, self.store.open_incidents(), self.config.watch.rounds_to_open)
        self.store.record_round(self.lease.holder, done.started_at, done.finished_at, states, openings, closing)
        failed = sum(1 for e in done.endpoints if e.checked and not e.ok)
        unchecked = sum(1 for e in done.endpoints if not e.checked)
        log.info("watch round: %d endpoint(s), %d failing, %.2f s", len(done.endpoints), failed, done.duration_s)
        if unchecked:
            log.warning("watch round: %d endpoint(s) not checked: no free thread before the round's end "
                        "(raise [watch] max_concurrent or [diagnostics] budget_s)", unchecked)
        for opening in openings:
            log.warning("incident opened: %s:%d %s since %s", opening.host, opening.port, opening.code,
                        opening.since.isoformat())
        for host, port in closing:
            log.warning("incident closed: %s:%d", host, port)
        return done

    def run(self, stop: threading.Event, *, sleep: Callable[[float], bool] | None = None) -> None:
        """Until `stop` is set: hold the lease (or wait for it), run rounds, keep renewing."""
        wait = sleep or stop.wait
        interval = self.config.watch.interval_s
        renew_every = self.lease.lease_s / 3
        try:
            while not stop.is_set():
                if not self._acquire():
                    log.info("another watcher holds the lease; waiting")
                    wait(renew_every)
                    continue
                log.info("watching %d server(s) every %s s", len(self.services), interval)
                if wait(first_delay(interval, self.rng)):
                    break
                while not stop.is_set() and self._acquire():
                    started = time.monotonic()
                    try:
                        self.round()
                    except Exception:
                        log.exception("watch round failed")
                    self._purge()
                    due = time.monotonic() + next_delay(interval, time.monotonic() - started, self.rng)
                    while not stop.is_set() and (left := due - time.monotonic()) > 0:
                        if wait(min(left, renew_every)) or not self._acquire():
                            break
        finally:
            self._release()

    def _acquire(self) -> bool:
        try:
            return self.lease.acquire()
        except Exception:
            log.exception("cannot reach the database for the watch lease")
            return False

    def _release(self) -> None:
        try:
            self.lease.release()
        except Exception:
            log.exception("cannot release the watch lease")

    def _purge(self) -> None:
        before = dt.datetime.now(dt.UTC) - dt.timedelta(days=self.config.reports.retention_days)
        try:
            self.store.purge_rounds(before)
        except Exception:
            log.exception("cannot purge old watch rounds")
