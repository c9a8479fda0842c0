"""Shared benchmark plumbing: start gunicorn on loopback, load it with wrk, read the figures."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
# Production settings (workers, threads, JSON logs, multiprocess metrics) for both sides.
GUNICORN_CONF = REPO / "deploy" / "gunicorn.conf.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str] | None = None, args: list[str] | None = None) -> Iterator[str]:
    """Run `gunicorn -c deploy/gunicorn.conf.py app_spec` on a free loopback port; yield its base URL.

    Its log lines go to /dev/null: they are formatted (that cost is measured) but not kept.
    """
    port = free_port()
    cmd = [str(VENV_BIN / "gunicorn"), "-c", str(GUNICORN_CONF), *(args or []), app_spec]
    environment = {**os.environ, "AUTOCONFIG_BIND": f"127.0.0.1:{port}", **(env or {})}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    proc = subprocess.Popen(cmd, cwd=REPO, env=environment, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {app_spec} did not start") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@dataclass(frozen=True)
class Load:
    requests_per_s: float
    p99_ms: float
    errors: int


_LUA = """
done = function(summary, latency, requests)
  io.write(string.format("P99 %f\\n", latency:percentile(99) / 1000))
  local e = summary.errors
  io.write(string.format("ERRORS %d\\n", e.connect + e.read + e.write + e.status + e.timeout))
end
"""

def wrk(url: str, *, seconds: int = 5, connections: int = 32, threads: int = 2, script: str = "") -> Load:
    """Load `url` with wrk (Debian's package) and return throughput, p99 latency and errors."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (tests/debian-packages.txt lists it)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script + _LUA)
        lua = fh.name
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency",
             "-s", lua, url],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(lua)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = float(re.search(r"^P99 ([\d.]+)", out, re.M).group(1))  # type: ignore[union-attr]
    errors = int(re.search(r"^ERRORS (\d+)", out, re.M).group(1))  # type: ignore[union-attr]
    return Load(rps, p99, errors)


def post_script(body: bytes, content_type: str) -> str:
    """A wrk Lua prelude that POSTs `body`."""
    text = body.decode("utf-8").replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'wrk.method = "POST"\nwrk.body = "{text}"\nwrk.headers["Content-Type"] = "{content_type}"\n'


def demo_config(work: Path, *, replace: dict[str, str] | None = None) -> Path:
    """The bundled demo config in `work`, per-address limit out of reach (wrk is one client
    address: the limiter's cost is measured, not its refusals), plus any text replacements."""
    demo = REPO / "autoconfig" / "demo"
    shutil.copy(demo / "domains.txt", work / "domains.txt")
    text = (demo / "autoconfig.toml").read_text(encoding="utf-8")
    for old, new in {"[limits]\n": '[limits]\nautoconfig_per_ip = "100000000/minute"\n', **(replace or {})}.items():
        assert old in text, f"the demo config has no {old.strip()!r}"
        text = text.replace(old, new, 1)
    path = work / "autoconfig.toml"
    path.write_text(text, encoding="utf-8")
    return path


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
