"""DNS health: the lookups run side by side. Time of `check_dns` against a sequential
baseline (the same 14 lookups one after another), on Knot and on a silent nameserver;
and the MX directory lookup, cached vs uncached.

Run: .venv/bin/python -m tests.benchmarks.bench_dnshealth
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from autoconfig import dnshealth
from autoconfig.directory import Directory
from autoconfig.formats import zone
from autoconfig.model import Config
from autoconfig.resolver import make_resolver
from tests.support.dns import KnotServer
from tests.support.dns_cases import PUBLIC_URL, customer_zone, hoster_config
from tests.support.silent_dns import SilentNameserver


def median_s(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def sequential(config: Config, domain: str) -> None:
    """The baseline: every lookup of check_dns, one after another."""
    resolver = make_resolver(config.dns, cache=False)
    names = [(domain, "MX"), *((f"{s.label}.{domain}", "SRV") for s in zone.SRV_SERVICES)]
    names += [(f"{k}.{domain}", t) for k in ("autoconfig", "autodiscover") for t in ("A", "AAAA")]
    names += [(f"_autodiscover._tcp.{domain}", "SRV")]
    names += [("autoconfig.example.test", "A"), ("autoconfig.example.test", "AAAA")]
    for name, rtype in names:
        dnshealth.lookup(resolver, name, rtype, float(resolver.lifetime))


def parallel(config: Config, domain: str) -> None:
    dnshealth.check_dns(config.providers[0], domain, make_resolver(config.dns, cache=False), PUBLIC_URL)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, KnotServer() as knot, SilentNameserver() as silent:
        folder = Path(tmp)
        config = hoster_config(folder, [knot.nameserver])
        provider = config.providers[0]
        domain = customer_zone(knot, "")
        knot.set_zone(domain, "\n".join(zone.lines(provider, domain, PUBLIC_URL)))
        seq = median_s(lambda: sequential(config, domain), 30)
        par = median_s(lambda: parallel(config, domain), 30)
        print(f"knot    sequential {seq * 1000:7.1f} ms   check_dns {par * 1000:7.1f} ms   ratio {seq / par:5.2f}")

        quiet = hoster_config(folder, [silent.nameserver], timeout_s=0.5)
        seq = median_s(lambda: sequential(quiet, domain), 1)
        par = median_s(lambda: parallel(quiet, domain), 3)
        print(f"silent  sequential {seq * 1000:7.0f} ms   check_dns {par * 1000:7.0f} ms   ratio {seq / par:5.2f}"
              "  (timeout 0.5 s)")

        cached = Directory(config.providers, make_resolver(config.dns))
        mx_domain = customer_zone(knot, "@ IN MX 10 mx1.example.test.")
        # A fresh directory each time: its own MX cache (mx.py) is empty.
        cold = median_s(lambda: Directory(config.providers, make_resolver(config.dns, cache=False)).lookup(mx_domain),
                        200)
        warm = median_s(lambda: cached.lookup(mx_domain), 2000)
        print(f"MX directory lookup uncached {cold * 1e6:7.0f} µs   cached {warm * 1e6:7.1f} µs"
              f"   ratio {cold / warm:7.0f}")


if __name__ == "__main__":
    main()
