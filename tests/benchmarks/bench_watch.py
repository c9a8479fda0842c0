"""The watch's speed and cost, with baselines measured in the same run:

1. 200 endpoints ((host, port, family) triples: 17 host names x 6 Dovecot ports x IPv4 and
   IPv6, on loopback): one round against its slowest endpoint checked alone. Target: the
   round takes at most 1.5 times that.
2. Memory over 100 rounds (results written to SQLite each time): the RSS slope, KiB a round.
3. CPU: the watcher's CPU time a round, scaled to 100 endpoints at the default 300 s
   interval. Target: under 1 % of one core.

Run: .venv/bin/python -m tests.benchmarks.bench_watch [rounds]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from autoconfig.db import Database
from autoconfig.watch.checks import run_round
from autoconfig.watch.runner import Watcher
from tests.benchmarks.harness import rss_kib
from tests.diagnostics_helpers import SERVICES, make, raw_config, server
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import HEALTHY_IP, DovecotServer, DovecotSpec

HOSTS = 17
INTERVAL_S = 300.0


def main(rounds: int = 100) -> None:
    import os

    tmp = Path(tempfile.mkdtemp(prefix="bench-watch-"))
    ca = TestCA(tmp / "ca")
    names = [f"mail{i}.example.test" for i in range(HOSTS)]
    spec = DovecotSpec(name="bench-watch", listen=(HEALTHY_IP, "::1"), hostname=names[0], login_processes=2,
                       cert=ca.issue([*names, HEALTHY_IP, "::1"]))
    with KnotServer() as knot, DovecotServer(spec) as dovecot:
        knot.set_zone("example.test", "\n".join(f"mail{i} A {HEALTHY_IP}\nmail{i} AAAA ::1" for i in range(HOSTS)))
        ports = {**dovecot.closed_ports, **dovecot.ports}
        servers = [server(p, name, ports[svc], sec) for name in names for p, svc, sec in SERVICES]
        raw = raw_config(servers, ca=ca, knot=knot, budget_s=12, connect_timeout_s=5)
        raw["reports"] = {"database_url": f"sqlite:///{tmp / 'reports.db'}"}
        raw["watch"] = {"interval_s": INTERVAL_S}
        config = make(raw, tmp)
        database = Database(config.reports.database_url)
        watcher = Watcher(config, database)
        endpoints = len(watcher.round().endpoints)  # warm: resolver cache, TLS contexts, tables

        # 1. A round against its slowest endpoint alone.
        alone = []
        for service in watcher.services:
            started = time.perf_counter()
            done = run_round(watcher.toolkit, [service], watcher.budget_s)
            alone.append(time.perf_counter() - started)
            assert all(e.ok for e in done.endpoints), done.endpoints
        slowest = max(alone)
        whole = []
        for _ in range(5):
            started = time.perf_counter()
            done = run_round(watcher.toolkit, watcher.services, watcher.budget_s)
            whole.append(time.perf_counter() - started)
            assert all(e.ok for e in done.endpoints), [e for e in done.endpoints if not e.ok][:3]
        round_s = statistics.median(whole)
        print(f"endpoints: {endpoints} ({len(watcher.services)} host:port x families)")
        print(f"round: median {round_s * 1000:.0f} ms of 5; slowest endpoint alone {slowest * 1000:.0f} ms; "
              f"ratio {round_s / slowest:.2f} (target <= 1.5)")

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
        database.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
