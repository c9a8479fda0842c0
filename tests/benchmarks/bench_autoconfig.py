"""Thunderbird autoconfig throughput under gunicorn against a bare Flask endpoint of the same size.

Run: .venv/bin/python -m tests.benchmarks.bench_autoconfig [--seconds 5]
Both servers run with the same gunicorn settings on loopback; rounds alternate so drift hits both.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import urllib.request
from pathlib import Path

from .harness import demo_config, gunicorn, wrk

PATH = "/mail/config-v1.1.xml?emailaddress=mario.rossi@example.com"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work, gunicorn(
        "autoconfig:create_app()", env={"AUTOCONFIG_CONFIG": str(demo_config(Path(work)))}
    ) as url:
        size = len(urllib.request.urlopen(url + PATH).read())  # noqa: S310 - loopback only
        with gunicorn("tests.benchmarks.bare_app:create_bare_app()", env={"BARE_BODY_BYTES": str(size)}) as bare:
            ours, base, p99 = [], [], []
            for _ in range(args.rounds):
                b = wrk(bare + PATH, seconds=args.seconds, connections=args.connections)
                o = wrk(url + PATH, seconds=args.seconds, connections=args.connections)
                assert o.errors == 0 and b.errors == 0, (o, b)
                base.append(b.requests_per_s)
                ours.append(o.requests_per_s)
                p99.append(o.p99_ms)
    o_med, b_med = statistics.median(ours), statistics.median(base)
    print(f"body bytes            {size}")
    print(f"bare Flask req/s      {b_med:9.0f}")
    print(f"autoconfig req/s      {o_med:9.0f}")
    print(f"autoconfig p99 ms     {statistics.median(p99):9.2f}")
    print(f"ratio (target >= 0.8) {o_med / b_med:9.2f}")


if __name__ == "__main__":
    main()
