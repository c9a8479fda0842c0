"""Every client answer against a bare Flask app returning the same bytes, as a new user would
measure it (issue 15): gunicorn with 2 sync workers for both, the per-address limit lifted,
2xx answers only, our whole production stack kept (request id, metrics, access log,
security headers). Plus the stack's fixed cost per request: a constant endpoint through it.

Run: .venv/bin/python -m tests.benchmarks.bench_clients [--seconds 3] [--rounds 3]

Each answer is fetched once from our app; the bare app then serves those very bytes, with the
same content type, at the same path and method. Rounds alternate bare/ours back to back and
the ratio is the median of each round's pair. Loopback only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, Response, request

from tests.support.ca import TestCA

from .bare_app import STACK_PATH
from .harness import Load, demo_config, gunicorn, post_script, wrk

SYNC_2 = ["--workers", "2", "--worker-class", "sync", "--threads", "1"]
EMAIL = "mario.rossi@example.com"
POX_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/'
    b'autodiscover/outlook/requestschema/2006"><Request><EMailAddress>mario.rossi@example.com</EMailAddress>'
    b"<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
    b"</AcceptableResponseSchema></Request></Autodiscover>"
)


@dataclass(frozen=True)
class Answer:
    name: str
    target: float
    path: str
    method: str = "GET"
    body: bytes = b""
    body_type: str = ""


ANSWERS = (
    Answer("Thunderbird autoconfig", 0.8, f"/mail/config-v1.1.xml?emailaddress={EMAIL}"),
    Answer("Autodiscover POX", 0.8, "/autodiscover/autodiscover.xml", "POST", POX_BODY, "text/xml"),
    Answer("signed profile", 0.8, f"/mobileconfig?email={EMAIL}"),
    Answer("the page", 0.5, "/"),
    Answer("the page with ?email=", 0.3, f"/?email={EMAIL}"),
)


def create_bare_app() -> Flask:
    """Serves the recorded answers (BENCH_ANSWERS names the JSON file): Flask's floor."""
    recorded = json.loads(Path(os.environ["BENCH_ANSWERS"]).read_text(encoding="utf-8"))
    app = Flask(__name__)
    for n, item in enumerate(recorded):
        body = bytes.fromhex(item["body"])
        content_type = item["content_type"]

        def view(body: bytes = body, content_type: str = content_type) -> Response:
            request.get_data()  # read what the client sent, as any server must
            return Response(body, content_type=content_type)

        app.add_url_rule(item["route"], f"answer{n}", view, methods=[item["method"]])
    return app


def _fetch(url: str, answer: Answer) -> tuple[bytes, str]:
    headers = {"Content-Type": answer.body_type} if answer.body else {}
    req = urllib.request.Request(url + answer.path, data=answer.body or None, headers=headers,  # noqa: S310
                                 method=answer.method)
    with urllib.request.urlopen(req) as response:  # noqa: S310 - loopback only
        assert 200 <= response.status < 300, (answer.name, response.status)
        return bytes(response.read()), str(response.headers["Content-Type"])


def _signing_config(work: Path) -> Path:
    signing = TestCA(work / "ca").issue_signing("Example Hosting profile signer")
    return demo_config(work, replace={'identifier = "com.example.mail"\n': (
        f'identifier = "com.example.mail"\nsigning_cert = "{signing.cert_path}"\n'
        f'signing_key = "{signing.key_path}"\nsigning_chain = "{signing.chain_path}"\n'
    )})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    def load(url: str, answer: Answer | None = None) -> Load:
        script = post_script(answer.body, answer.body_type) if answer and answer.body else ""
        result = wrk(url, seconds=args.seconds, connections=args.connections, script=script)
        assert result.errors == 0, (url, result)  # wrk counts any non-2xx as an error
        return result

    with tempfile.TemporaryDirectory() as work_dir:
        work = Path(work_dir)
        env = {"AUTOCONFIG_CONFIG": str(_signing_config(work)), "BARE_BODY_BYTES": "2000"}
        with gunicorn("tests.benchmarks.bare_app:create_stack_app()", env=env, args=SYNC_2) as ours:
            recorded = []
            for answer in ANSWERS:
                body, content_type = _fetch(ours, answer)
                route = answer.path.split("?", 1)[0]
                recorded.append({"route": route, "method": answer.method, "body": body.hex(),
                                 "content_type": content_type})
            (work / "answers.json").write_text(json.dumps(recorded), encoding="utf-8")
            bare_env = {"BENCH_ANSWERS": str(work / "answers.json"), "BARE_BODY_BYTES": "2000"}
            with gunicorn("tests.benchmarks.bench_clients:create_bare_app()", env=bare_env, args=SYNC_2) as bare, \
                    gunicorn("tests.benchmarks.bare_app:create_bare_app()", env=bare_env, args=SYNC_2) as floor:
                print(f"{'answer':28} {'bytes':>6} {'ours req/s':>11} {'bare req/s':>11} {'ratio':>6} {'target':>7}")
                for answer, item in zip(ANSWERS, recorded, strict=True):
                    pairs = []
                    for _ in range(args.rounds):
                        b = load(bare + answer.path, answer)
                        o = load(ours + answer.path, answer)
                        pairs.append((o.requests_per_s, b.requests_per_s))
                    ratio = statistics.median(o / b for o, b in pairs)
                    o_rps = statistics.median(o for o, _ in pairs)
                    b_rps = statistics.median(b for _, b in pairs)
                    verdict = "ok" if ratio >= answer.target else "BELOW"
                    print(f"{answer.name:28} {len(item['body']) // 2:6d} {o_rps:11.0f} {b_rps:11.0f} "
                          f"{ratio:6.2f} {answer.target:>5.1f} {verdict}")
                stack_pairs = []
                for _ in range(args.rounds):
                    b = load(floor + "/mail/config-v1.1.xml")
                    o = load(ours + STACK_PATH)
                    stack_pairs.append((o.requests_per_s, b.requests_per_s))
                o_rps = statistics.median(o for o, _ in stack_pairs)
                b_rps = statistics.median(b for _, b in stack_pairs)
                # 2 workers serve in parallel: per-request cost is 2 / throughput.
                fixed_us = (2 / o_rps - 2 / b_rps) * 1e6
                print(f"stack fixed cost: constant endpoint {o_rps:.0f} req/s vs bare {b_rps:.0f} req/s, "
                      f"ratio {o_rps / b_rps:.2f}, {fixed_us:.0f} µs per request on top of Flask")


if __name__ == "__main__":
    main()
