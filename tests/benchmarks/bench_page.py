"""The page (settings + advice rendered, Italian) and POST /api/v1/advice under gunicorn, against
a bare Flask app answering the same bytes, plus the pure recommend() in-process.

Run: .venv/bin/python -m tests.benchmarks.bench_page [--seconds 3] [--rounds 2]

Both apps run with the same gunicorn settings on 127.0.0.1; rounds alternate so drift hits
both. The demo config, with the per-address limit out of reach (wrk is one client address).
Prints requests per second, p99 latency and the ratio ours / bare. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import timeit
import urllib.request
from pathlib import Path

from flask import Flask, Response

from autoconfig.advice import Answers, Facts, recommend

from .harness import demo_config, gunicorn, post_script, wrk

PAGE = "/?email=mario.rossi@example.com&advise=1&devices=2&webmail=yes&connectivity=poor"
ADVICE = "/api/v1/advice"
ADVICE_BODY = json.dumps({"devices": 1, "offline_access": True, "quota_percent": 85, "lang": "it"}).encode()


def create_bare_app() -> Flask:
    """The baseline: the same paths answering constant bodies read once from the files env names."""
    page = Path(os.environ["BENCH_PAGE_FILE"]).read_bytes()
    advice = Path(os.environ["BENCH_ADVICE_FILE"]).read_bytes()
    app = Flask(__name__)

    @app.get("/")
    def page_constant() -> Response:
        return Response(page, content_type="text/html; charset=utf-8")

    @app.post(ADVICE)
    def advice_constant() -> Response:
        return Response(advice, content_type="application/json")

    return app


def _fetch(url: str, body: bytes | None = None) -> bytes:
    headers = {"Content-Type": "application/json"} if body else {}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body else "GET")  # noqa: S310
    with urllib.request.urlopen(request) as response:  # noqa: S310 - loopback only
        return bytes(response.read())


def _recommend_per_s() -> float:
    answers = Answers(devices=1, offline_access=True, connectivity="poor", quota_percent=85)
    facts = Facts(quota_percent=91, imap_custom_folders=2, sent_on_server=True, pop3_mailbox_bytes=2**31)
    runs = 20_000
    seconds = min(timeit.repeat(lambda: recommend(answers, facts), number=runs, repeat=3))
    return runs / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    print(f"recommend(): {_recommend_per_s():,.0f} calls/s in one thread")
    with tempfile.TemporaryDirectory() as work, gunicorn(
        "autoconfig:create_app()", env={"AUTOCONFIG_CONFIG": str(demo_config(Path(work)))}
    ) as url:
        page_file, advice_file = Path(work) / "page.html", Path(work) / "advice.json"
        page_file.write_bytes(_fetch(url + PAGE))
        advice_file.write_bytes(_fetch(url + ADVICE, ADVICE_BODY))
        env = {"BENCH_PAGE_FILE": str(page_file), "BENCH_ADVICE_FILE": str(advice_file)}
        with gunicorn("tests.benchmarks.bench_page:create_bare_app()", env=env) as bare:
            for name, path, script in (
                (f"GET page ({page_file.stat().st_size} B)", PAGE, ""),
                (f"POST advice ({advice_file.stat().st_size} B)", ADVICE, post_script(ADVICE_BODY, "application/json")),
            ):
                ours, base, p99 = [], [], []
                for _ in range(args.rounds):
                    b = wrk(bare + path, seconds=args.seconds, connections=args.connections, script=script)
                    o = wrk(url + path, seconds=args.seconds, connections=args.connections, script=script)
                    assert o.errors == 0 and b.errors == 0, (o, b)
                    ours.append(o.requests_per_s)
                    base.append(b.requests_per_s)
                    p99.append(o.p99_ms)
                o_rps, b_rps = statistics.median(ours), statistics.median(base)
                print(
                    f"{name}: ours {o_rps:,.0f} req/s (p99 {statistics.median(p99):.1f} ms), "
                    f"bare {b_rps:,.0f} req/s, ratio ours/bare {o_rps / b_rps:.2f}"
                )


if __name__ == "__main__":
    main()
