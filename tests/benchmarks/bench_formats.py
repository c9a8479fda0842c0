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
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, Response

REPO = Path(__file__).resolve().parents[2]
GUNICORN = [str(Path(sys.executable).parent / "gunicorn"), "--workers", "2", "--worker-class", "gthread",
            "--threads", "8", "--log-level", "warning"]
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    proc = subprocess.Popen([*GUNICORN, "--bind", f"127.0.0.1:{port}", app_spec], cwd=REPO,
                            env={**os.environ, **env})
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"gunicorn {app_spec} did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def wrk(url: str, seconds: int, connections: int, lua: str = "") -> float:
    """Requests per second wrk reached; any non-2xx answer or socket error aborts the benchmark."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua)
        script = fh.name
    try:
        out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "-s", script, url],
                             capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    finally:
        os.unlink(script)
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"errors while loading {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def _post_lua(body: str) -> str:
    escaped = body.replace("\\", "\\\\").replace('"', '\\"')
    return f'wrk.method = "POST"\nwrk.body = "{escaped}"\nwrk.headers["Content-Type"] = "text/xml; charset=utf-8"\n'


def _signed_config(work: Path) -> Path:
    sys.path.insert(0, str(REPO))
    from tests.support.ca import TestCA

    signing = TestCA(work / "ca").issue_signing("benchmark signer")
    demo = (REPO / "autoconfig" / "demo" / "autoconfig.toml").read_text(encoding="utf-8")
    shutil.copy(REPO / "autoconfig" / "demo" / "domains.txt", work / "domains.txt")
    signed = demo.replace(
        'identifier = "com.example.mail"',
        f'identifier = "com.example.mail"\n  signing_cert = "{signing.cert_path}"\n'
        f'  signing_key = "{signing.key_path}"\n  signing_chain = "{signing.chain_path}"',
    )
    assert signed != demo, "the demo config has no [provider.mobileconfig] to sign with"
    # measure the formats, not the per-client rate limit (one wrk client is one address)
    signed = signed.replace("[limits]\n", '[limits]\nautoconfig_per_ip = "100000000/minute"\n', 1)
    assert "100000000/minute" in signed, "the demo config has no [limits] section"
    path = work / "autoconfig.toml"
    path.write_text(signed, encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (tests/debian-packages.txt lists it)")

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        config = _signed_config(work)
        with gunicorn("autoconfig:create_app()", {"AUTOCONFIG_CONFIG": str(config)}) as ours:
            request = urllib.request.Request(ours + POX_PATH, data=POX_BODY.encode(), method="POST")  # noqa: S310
            pox = urllib.request.urlopen(request).read()  # noqa: S310 - loopback only
            profile = urllib.request.urlopen(ours + PROFILE_PATH).read()  # noqa: S310 - loopback only
            assert pox.count(b"<Protocol>") >= 3 and profile[:1] == b"\x30", "unexpected answers"
            (work / "pox.xml").write_bytes(pox)
            (work / "profile.der").write_bytes(profile)
            bare_env = {"BENCH_POX_FILE": str(work / "pox.xml"), "BENCH_PROFILE_FILE": str(work / "profile.der")}
            with gunicorn("tests.benchmarks.bench_formats:create_bare_app()", bare_env) as bare:
                results: dict[str, tuple[list[float], list[float]]] = {"POX": ([], []), "signed profile": ([], [])}
                for _ in range(args.rounds):
                    for name, path, lua in (("POX", POX_PATH, _post_lua(POX_BODY)),
                                            ("signed profile", PROFILE_PATH, "")):
                        results[name][1].append(wrk(bare + path, args.seconds, args.connections, lua))
                        results[name][0].append(wrk(ours + path, args.seconds, args.connections, lua))
    sizes = {"POX": len(pox), "signed profile": len(profile)}
    print(f"{'endpoint':16} {'bytes':>6} {'bare req/s':>11} {'ours req/s':>11} {'ratio':>6}")
    for name, (ours_rps, bare_rps) in results.items():
        o, b = statistics.median(ours_rps), statistics.median(bare_rps)
        print(f"{name:16} {sizes[name]:6d} {b:11.0f} {o:11.0f} {o / b:6.2f}")


if __name__ == "__main__":
    main()
