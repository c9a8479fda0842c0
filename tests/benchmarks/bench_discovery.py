"""Discovery speed, with baselines measured in the same run:

1. One discovery of a healthy domain, all clients (Thunderbird's ISP, MX and autodiscover
   lookups, Thunderbird for Android, Outlook's four, the SRV records, Apple), against its
   slowest single lookup run alone (each job of `Discoverer.jobs` timed alone, one after
   another; the slowest median is the baseline). Target: at most 1.5 times that. Over relays
   that add ONE_WAY_MS each way in front of nginx (the 30 ms round trip of bench_diagnose),
   where waiting dominates as on the internet; also on plain loopback.
2. A domain whose names all hang (a server that accepts and never answers): the discovery
   ends within budget_s + 0.5 s.

Run: .venv/bin/python -m tests.benchmarks.bench_discovery
"""

from __future__ import annotations

import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from autoconfig.discovery import PROBE_LOCAL, Discoverer
from autoconfig.probes.base import Attempt, Deadline
from tests.discovery_world import World, world
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.latency import LatencyRelay
from tests.support.silent import SilentServer

REPEATS = 9
ONE_WAY_MS = 15
DOMAIN = "healthy.test"


def timed(fn: object) -> float:
    started = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - started


def whole_vs_slowest(net: World, discoverer: Discoverer, label: str) -> float:
    settings = net.settings(DOMAIN)
    jobs = discoverer.jobs(DOMAIN, f"{PROBE_LOCAL}@{DOMAIN}")

    def alone(name: str) -> None:
        jobs[name](Attempt(Deadline(discoverer.options.budget_s), discoverer.options.connect_timeout_s))

    found = discoverer.run(settings)  # warm up (and check it is healthy)
    assert all(v.automatic and v.settings_match for v in found.clients), found
    parts: dict[str, list[float]] = {name: [] for name in jobs}
    wholes: list[float] = []
    for _ in range(REPEATS):
        wholes.append(timed(lambda: discoverer.run(settings)))
        for name in jobs:
            parts[name].append(timed(lambda n=name: alone(n)))
    medians = {name: statistics.median(v) for name, v in parts.items()}
    slowest = max(medians, key=lambda k: medians[k])
    whole = statistics.median(wholes)
    print(f"   {label} (median of {REPEATS})")
    for name, value in sorted(medians.items(), key=lambda kv: -kv[1]):
        print(f"   {name:<10} alone {value * 1000:7.1f} ms")
    print(f"   whole discovery  {whole * 1000:7.1f} ms")
    ratio = whole / medians[slowest]
    print(f"   ratio whole / slowest lookup ({slowest}): {ratio:.2f}  (target <= 1.5)")
    return ratio


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-discovery-"))
    ca = TestCA(tmp / "ca")
    with KnotServer() as knot, world(ca, knot, tmp) as net:
        print("1a. healthy domain, all clients, loopback")
        whole_vs_slowest(net, net.discoverer(), "loopback")
        with ExitStack() as stack:
            relays = {scheme: stack.enter_context(LatencyRelay("127.0.0.1", port, ONE_WAY_MS / 1000))
                      for scheme, port in net.nginx.ports.items()}
            ports = {scheme: relay.port for scheme, relay in relays.items()}
            print(f"1b. healthy domain, all clients, {2 * ONE_WAY_MS} ms round trip to every web server")
            whole_vs_slowest(net, net.discoverer(ports=ports), f"{2 * ONE_WAY_MS} ms round trip")
        for budget in (2.0, 4.0):
            config = net.build(tmp / f"hang-{budget}", budget_s=budget)
            with SilentServer("127.0.0.1") as mute:
                discoverer = net.discoverer(config, {"https": mute.port, "http": mute.port})
                took = timed(lambda d=discoverer, c=config: d.run(net.settings(DOMAIN, c)))
            verdict = "OK" if took <= budget + 0.5 else "OVER"
            print(f"2. every name hangs, budget_s={budget}: ended after {took:.2f} s "
                  f"(limit {budget + 0.5:.1f} s) {verdict}")


if __name__ == "__main__":
    main()
