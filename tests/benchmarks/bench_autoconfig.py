"""Thunderbird autoconfig throughput under gunicorn against a bare Flask endpoint of the same size.

Run: .venv/bin/python -m tests.benchmarks.bench_autoconfig [--seconds 5] [--rounds 7]
All servers run with the production gunicorn settings (deploy/gunicorn.conf.py) on loopback;
rounds alternate so drift hits every side, and the headline ratio is the median of each
round's autoconfig / bare pair, run back to back (this machine's neighbours come and go:
single pairs spread from about 0.7 to 1.2). The target's baseline is a bare Flask app
(Flask's floor). Two more show where the time goes: the same request answered by the Flask
view (the fast path unhooked), and a constant endpoint through Flask and our whole stack
(request id, limits, metrics, access log, headers), which isolates what the view costs.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from autoconfig import create_app

from .bare_app import STACK_PATH
from .harness import Load, demo_config, gunicorn, wrk

PATH = "/mail/config-v1.1.xml?emailaddress=mario.rossi@example.com"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    def load(url: str) -> Load:
        result = wrk(url, seconds=args.seconds, connections=args.connections)
        assert result.errors == 0, (url, result)
        return result

    with tempfile.TemporaryDirectory() as work:
        config = demo_config(Path(work))
        size = len(create_app(config).test_client().get(PATH).data)
        sized = {"BARE_BODY_BYTES": str(size)}
        ours_env = {"AUTOCONFIG_CONFIG": str(config), **sized}
        stack = gunicorn("tests.benchmarks.bare_app:create_stack_app()", env=ours_env)
        view = gunicorn("tests.benchmarks.bare_app:create_view_app()", env=ours_env)
        with stack as url, view as view_url, gunicorn("tests.benchmarks.bare_app:create_bare_app()", env=sized) as bare:
            runs: dict[str, list[Load]] = {"bare": [], "view": [], "stack": [], "ours": []}
            for _ in range(args.rounds):
                runs["bare"].append(load(bare + "/mail/config-v1.1.xml"))
                runs["ours"].append(load(url + PATH))
                runs["view"].append(load(view_url + PATH))
                runs["stack"].append(load(url + STACK_PATH))
    rps = {name: statistics.median(r.requests_per_s for r in loads) for name, loads in runs.items()}
    p99 = {name: statistics.median(r.p99_ms for r in loads) for name, loads in runs.items()}
    print(f"body bytes                          {size}")
    print(f"bare Flask app req/s                {rps['bare']:9.0f}   p99 {p99['bare']:7.2f} ms")
    print(f"constant endpoint, full stack req/s {rps['stack']:9.0f}   p99 {p99['stack']:7.2f} ms")
    print(f"autoconfig via the Flask view req/s {rps['view']:9.0f}   p99 {p99['view']:7.2f} ms")
    print(f"autoconfig req/s                    {rps['ours']:9.0f}   p99 {p99['ours']:7.2f} ms")
    # Each round's autoconfig run follows its bare run at once: the ratio of each pair, then
    # their median, leaves out most of what other jobs on the machine do between rounds.
    paired = [o.requests_per_s / b.requests_per_s for o, b in zip(runs["ours"], runs["bare"], strict=True)]
    spread = f"rounds {min(paired):.2f}-{max(paired):.2f}"
    print(f"ratio (target >= 0.8)               {statistics.median(paired):9.2f}   autoconfig / bare Flask, {spread}")
    print(f"ratio, fast path                    {rps['ours'] / rps['view']:9.2f}   autoconfig / via the Flask view")
    print(f"ratio, the view in the stack        {rps['view'] / rps['stack']:9.2f}   Flask view / constant endpoint")


if __name__ == "__main__":
    main()
