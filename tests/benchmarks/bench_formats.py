"""Outlook POX and signed Apple profiles under gunicorn, against a bare Flask endpoint of the same size.

Run: .venv/bin/python -m tests.benchmarks.bench_formats [--seconds 3] [--rounds 2]

Self-contained: makes a throw-away CA and signing certificate, writes a config that signs
profiles, starts our app and a bare Flask app (constant bodies, byte for byte the same as ours)
under gunicorn with the same settings on 127.0.0.1, and loads each endpoint with wrk in
alternating rounds. Prints requests per second and the ratio ours / bare. Loopback only;
ends after rounds x 2 endpoints x 2 apps x seconds, plus start-up.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import urllib.request
from pathlib import Path

from flask import Flask, Response

from .harness import demo_config, gunicorn, post_script, wrk

XML_TYPE = "text/xml; charset=utf-8"
EMAIL = "mario.rossi@example.com"
POX_PATH = "/autodiscover/autodiscover.xml"
PROFILE_PATH = f"/mobileconfig?email={EMAIL}"
POX_BODY = (
    '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/'
    'autodiscover/outlook/requestschema/2006"><Request><EMailAddress>' + EMAIL + "</EMailAddress>"
    "<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
    "</AcceptableResponseSchema></Request></Autodiscover>"
)


def create_bare_app() -> Flask:
    """The baseline: the same paths answering constant bodies read once from the files env names."""
    pox = Path(os.environ["BENCH_POX_FILE"]).read_bytes()
    profile = Path(os.environ["BENCH_PROFILE_FILE"]).read_bytes()
    app = Flask(__name__)

    @app.post(POX_PATH)
    def pox_constant() -> Response:
        return Response(pox, content_type="text/xml; charset=utf-8")

    @app.get("/mobileconfig")
    def profile_constant() -> Response:
        return Response(profile, content_type="application/x-apple-aspen-config")

    return app


def _signed_config(work: Path) -> Path:
    from tests.support.ca import TestCA

    signing = TestCA(work / "ca").issue_signing("benchmark signer")
    return demo_config(work, replace={
        'identifier = "com.example.mail"':
        f'identifier = "com.example.mail"\n  signing_cert = "{signing.cert_path}"\n'
        f'  signing_key = "{signing.key_path}"\n  signing_chain = "{signing.chain_path}"',
    })


def rps(url: str, seconds: int, connections: int, script: str = "") -> float:
    """Requests per second wrk reached; any non-2xx answer or socket error aborts the benchmark."""
    load = wrk(url, seconds=seconds, connections=connections, script=script)
    if load.errors:
        raise SystemExit(f"{load.errors} errors while loading {url}")
    return load.requests_per_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = _signed_config(work)
        with gunicorn("autoconfig:create_app()", env={"AUTOCONFIG_CONFIG": str(config)}) as ours:
            request = urllib.request.Request(ours + POX_PATH, data=POX_BODY.encode(), method="POST")  # noqa: S310
            pox = urllib.request.urlopen(request).read()  # noqa: S310 - loopback only
            profile = urllib.request.urlopen(ours + PROFILE_PATH).read()  # noqa: S310 - loopback only
            assert pox.count(b"<Protocol>") >= 3 and profile[:1] == b"\x30", "unexpected answers"
            (work / "pox.xml").write_bytes(pox)
            (work / "profile.der").write_bytes(profile)
            bare_env = {"BENCH_POX_FILE": str(work / "pox.xml"), "BENCH_PROFILE_FILE": str(work / "profile.der")}
            with gunicorn("tests.benchmarks.bench_formats:create_bare_app()", env=bare_env) as bare:
                results: dict[str, tuple[list[float], list[float]]] = {"POX": ([], []), "signed profile": ([], [])}
                for _ in range(args.rounds):
                    for name, path, lua in (("POX", POX_PATH, post_script(POX_BODY.encode(), XML_TYPE)),
                                            ("signed profile", PROFILE_PATH, "")):
                        results[name][1].append(rps(bare + path, args.seconds, args.connections, lua))
                        results[name][0].append(rps(ours + path, args.seconds, args.connections, lua))
    sizes = {"POX": len(pox), "signed profile": len(profile)}
    print(f"{'endpoint':16} {'bytes':>6} {'bare req/s':>11} {'ours req/s':>11} {'ratio':>6}")
    for name, (ours_rps, bare_rps) in results.items():
        o, b = statistics.median(ours_rps), statistics.median(bare_rps)
        print(f"{name:16} {sizes[name]:6d} {b:11.0f} {o:11.0f} {o / b:6.2f}")


if __name__ == "__main__":
    main()
