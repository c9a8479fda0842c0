"""The watch's speed and cost, with baselines measured in the same run:

1. 200 endpoints ((host, port, family) triples: 17 host names x 6 Dovecot ports x IPv4 and
   IPv6): one round against its slowest host:port checked alone (its two families at once;
   the median of 5 tries of the slowest of one pass over all). Target: the round takes at
   most 1.5 times that. Measured twice, both printed:
   - on loopback, where no endpoint waits on anything: the round is bound by CPU (the
     watcher's TLS handshakes and protocol work, and Dovecot's), not by its slowest endpoint;
   - behind latency relays (tests/support/latency.py, in a child process so that they take
     none of the watcher's CPU or GIL, as a network would not), each host:port with its own
     round-trip time: 101 spread evenly over 5-40 ms (our servers seen from a watcher in
     another Italian or European site) and one at 300 ms (a server on a congested or
     intercontinental path, or one answering slowly: the endpoint the round has to wait
     for). A STARTTLS check is about six round trips (greeting, CAPABILITY, STARTTLS, the
     handshake, CAPABILITY again, LOGOUT), so the slow one alone takes about 2 s and the
     others 30-250 ms: a runner that ran endpoints a few at a time would last many times
     the slowest, one that runs them all at once about as long as it. The relays accept
     at once, so the TCP connect itself costs no round trip.
2. Memory over 100 rounds (results written to SQLite each time): the RSS slope, KiB a round,
   over all rounds and over the second half (the first rounds fill caches and malloc arenas).
3. CPU: the watcher's CPU time a round on loopback, scaled to 100 endpoints at the default
   300 s interval. Target: under 1 % of one core.

Run: .venv/bin/python -m tests.benchmarks.bench_watch [rounds]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autoconfig.db import Database
from autoconfig.watch.checks import Round, run_round
from autoconfig.watch.endpoints import Service
from autoconfig.watch.runner import Watcher
from tests.benchmarks.harness import rss_kib
from tests.diagnostics_helpers import SERVICES, make, raw_config, server
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import HEALTHY_IP, DovecotServer, DovecotSpec
from tests.support.latency import relay_process

HOSTS = 17
INTERVAL_S = 300.0
TRIES = 5
NEAR_RTT_MS = (5.0, 40.0)
SLOW_RTT_MS = 300.0
SLOW_AT = 49  # mail8.example.test, IMAP with STARTTLS (6 hosts:ports a name)
TARGET = 1.5


@dataclass(frozen=True)
class Ratio:
    round_s: float
    slowest_s: float
    slowest: str

    @property
    def ratio(self) -> float:
        return self.round_s / self.slowest_s


def round_trips(count: int) -> list[float]:
    """Each host:port's round trip in seconds, in configuration order."""
    low, high = NEAR_RTT_MS
    near = [low + (high - low) * i / (count - 2) for i in range(count - 1)]
    return [ms / 1000 for ms in (*near[:SLOW_AT], SLOW_RTT_MS, *near[SLOW_AT:])]


def timed(check: Callable[[], Round]) -> float:
    started = time.perf_counter()
    done = check()
    elapsed = time.perf_counter() - started
    failing = [e for e in done.endpoints if not e.ok]
    assert not failing, failing[:3]
    return elapsed


def measure(watcher: Watcher) -> Ratio:
    """The median of TRIES whole rounds (as the watcher runs them, the slowest endpoints of
    the last round first) against the median of TRIES of the slowest host:port alone."""
    def alone(service: Service) -> Callable[[], Round]:
        return lambda: run_round(watcher.toolkit, [service], watcher.budget_s)

    timed(watcher.check)  # warm: resolver cache, TLS contexts, the last round's durations
    slowest = max(watcher.services, key=lambda service: timed(alone(service)))
    slowest_s = statistics.median(timed(alone(slowest)) for _ in range(TRIES))
    round_s = statistics.median(timed(watcher.check) for _ in range(TRIES))
    return Ratio(round_s, slowest_s, f"{slowest.host}:{slowest.port}")


def show(where: str, ratio: Ratio) -> str:
    return (f"round {where}: median {ratio.round_s * 1000:.0f} ms of {TRIES}; slowest endpoint alone "
            f"({ratio.slowest}) {ratio.slowest_s * 1000:.0f} ms; ratio {ratio.ratio:.2f} (target <= {TARGET})")


@contextmanager
def watcher_for(servers: list[dict[str, Any]], ca: TestCA, knot: KnotServer, tmp: Path, name: str) -> Iterator[Watcher]:
    raw = raw_config(servers, ca=ca, knot=knot, budget_s=12, connect_timeout_s=5)
    raw["reports"] = {"database_url": f"sqlite:///{tmp / f'{name}.db'}"}
    raw["watch"] = {"interval_s": INTERVAL_S}
    config = make(raw, tmp)
    database = Database(config.reports.database_url)
    try:
        yield Watcher(config, database)
    finally:
        database.dispose()


def main(rounds: int = 100) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    ca = TestCA(tmp / "ca")
    names = [f"mail{i}.example.test" for i in range(HOSTS)]
    spec = DovecotSpec(name="bench-watch", listen=(HEALTHY_IP, "::1"), hostname=names[0], login_processes=2,
                       cert=ca.issue([*names, HEALTHY_IP, "::1"]))
    with KnotServer() as knot, DovecotServer(spec) as dovecot:
        knot.set_zone("example.test", "\n".join(f"mail{i} A {HEALTHY_IP}\nmail{i} AAAA ::1" for i in range(HOSTS)))
        ports = {**dovecot.closed_ports, **dovecot.ports}
        layout = [(p, name, ports[svc], sec) for name in names for p, svc, sec in SERVICES]

        with watcher_for([server(*entry) for entry in layout], ca, knot, tmp, "loopback") as watcher:
            endpoints = len(watcher.round().endpoints)  # warm: resolver cache, TLS contexts, tables
            print(f"endpoints: {endpoints} ({len(watcher.services)} host:port x families); "
                  f"at once: up to {watcher.config.watch.max_concurrent} ([watch] max_concurrent)")
            print(show("on loopback", measure(watcher)), flush=True)

            rtts = round_trips(len(layout))
            with relay_process(HEALTHY_IP, "::1", [(port, rtt / 2) for (_p, _n, port, _s), rtt
                                                   in zip(layout, rtts, strict=True)]) as relayed:
                servers = [server(p, name, relay, sec) for (p, name, _port, sec), relay
                           in zip(layout, relayed, strict=True)]
                with watcher_for(servers, ca, knot, tmp, "relayed") as behind:
                    where = (f"behind relays (round trips {NEAR_RTT_MS[0]:.0f}-{NEAR_RTT_MS[1]:.0f} ms, "
                             f"one {SLOW_RTT_MS:.0f} ms)")
                    print(show(where, measure(behind)), flush=True)

            # 2 and 3. Memory and CPU over many rounds (each written to the database).
            pid = os.getpid()
            rss = []
            cpu_started = time.process_time()
            wall_started = time.perf_counter()
            for _ in range(rounds):
                watcher.round()
                rss.append(rss_kib(pid))
            cpu_s = (time.process_time() - cpu_started) / rounds
            wall_s = (time.perf_counter() - wall_started) / rounds
            xs = list(range(len(rss)))
            slope = statistics.linear_regression(xs, rss).slope
            half = len(rss) // 2
            print(f"memory: RSS {rss[0]} KiB after the first round, {rss[-1]} KiB after {rounds}; slope "
                  f"{slope:.1f} KiB/round over all, {statistics.linear_regression(xs[half:], rss[half:]).slope:.1f} "
                  f"KiB/round over the second half")
            per_100 = cpu_s * 100 / endpoints
            print(f"cpu: {cpu_s * 1000:.0f} ms a round of {endpoints} endpoints (wall {wall_s * 1000:.0f} ms); "
                  f"{per_100 * 1000:.0f} ms per 100 endpoints; at a {INTERVAL_S:.0f} s interval "
                  f"{per_100 / INTERVAL_S * 100:.3f} % of one core per 100 endpoints (target < 1 %)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
