"""Slow DNS: a served domain's autoconfig stays fast while a flood of made-up domains waits
on a resolver that never answers. p99 of the served request under the flood, against the
same without it (the baseline, same run); target p99 < 50 ms.

gunicorn with the production settings and the demo configuration, MX matching on, the
resolver a silent UDP socket (tests/support/silent_dns.py), timeout 3 s. The flood asks
for FLOOD_PER_S made-up domains a second (the attack used 10), each new, from one address;
the per-address lookup limit is lifted so that the in-flight cap is what is measured.

Run: .venv/bin/python -m tests.benchmarks.bench_dns_flood [--seconds 20] [--flood-per-s 50]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import tempfile
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

from tests.support.silent_dns import SilentNameserver

from .harness import demo_config, gunicorn

SERVED = "/mail/config-v1.1.xml?emailaddress=mario.rossi@example.com"
MADE_UP = "/mail/config-v1.1.xml?emailaddress=a@{}.test"
PACE_S = 0.04  # the served client's pause between requests


def get(base: str, path: str, timeout: float = 15.0) -> int:
    """One GET on a fresh connection, like a mail client setting up an account."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def served_latencies(base: str, seconds: float) -> list[float]:
    """Milliseconds of each served-domain request, one after another for `seconds`."""
    times: list[float] = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        started = time.perf_counter()
        status = get(base, SERVED)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"the served domain got {status}")
        time.sleep(PACE_S)
    return times


class Flood:
    """Made-up domains at a steady rate, each request on its own thread (slow ones pile up)."""

    def __init__(self, base: str, per_s: float) -> None:
        self.base = base
        self.per_s = per_s
        self.statuses: Counter[int | str] = Counter()
        self._stop = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=256)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._lock = threading.Lock()

    def __enter__(self) -> Flood:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._pool.shutdown(wait=True)

    def _one(self) -> None:
        try:
            status: int | str = get(self.base, MADE_UP.format(uuid.uuid4().hex[:12]))
        except OSError as exc:
            status = type(exc).__name__
        with self._lock:
            self.statuses[status] += 1

    def _run(self) -> None:
        interval = 1 / self.per_s
        next_at = time.monotonic()
        while not self._stop.is_set():
            self._pool.submit(self._one)
            next_at += interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--flood-per-s", type=float, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work, SilentNameserver() as silent:
        config = demo_config(Path(work), replace={
            "nameservers = []\n": f'nameservers = ["{silent.nameserver}"]\n',
            '[limits]\n': '[limits]\ndns_lookups_per_ip = "100000000/minute"\n',
            'domains_file = "domains.txt"\n': 'domains_file = "domains.txt"\nmx_hosts = ["mx.example.com"]\n',
        })
        with gunicorn("autoconfig:create_app()", env={"AUTOCONFIG_CONFIG": str(config)}) as base:
            for _ in range(20):  # warm every worker
                get(base, SERVED)
            quiet = served_latencies(base, args.seconds / 2)
            with Flood(base, args.flood_per_s) as flood:
                time.sleep(3.5)  # the first made-up lookups have timed out once: a steady state
                loud = served_latencies(base, args.seconds)
            queries = silent.queries()
    print(f"served autoconfig without flood   p99 {p99(quiet):6.1f} ms   median {statistics.median(quiet):5.1f} ms"
          f"   n={len(quiet)}")
    print(f"served autoconfig under the flood p99 {p99(loud):6.1f} ms   median {statistics.median(loud):5.1f} ms"
          f"   n={len(loud)}   (target < 50 ms)")
    print(f"ratio p99 flood / quiet {p99(loud) / p99(quiet):5.2f}")
    answered = ", ".join(f"{status}: {count}" for status, count in sorted(flood.statuses.items(), key=str))
    print(f"flood: {args.flood_per_s:.0f} made-up domains/s, answers {answered}; DNS queries sent {queries}")


if __name__ == "__main__":
    main()
