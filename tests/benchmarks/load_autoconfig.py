"""Load test: every autoconfig endpoint a mail client calls, mixed, at 64 connections for 60 s,
against gunicorn with the production settings (deploy/gunicorn.conf.py) on loopback.

Run: .venv/bin/python -m tests.benchmarks.load_autoconfig [--seconds 60] [--connections 64]

wrk rotates among Thunderbird (both paths, and the Host-only form of K-9), Outlook POX,
Autodiscover v2 (path and query forms), the Apple profile and the settings API, over a
hundred addresses of the demo configuration's domains. The demo config has the per-address
limit out of reach (wrk is one client address). Passes when no request failed and every
answer was a 2xx; prints requests per second and latency percentiles of the mix, what each
endpoint was asked and what came back. Exit status 1 when it fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .harness import demo_config, gunicorn

POX_BODY = (
    '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/'
    'autodiscover/outlook/requestschema/2006"><Request><EMailAddress>{email}</EMailAddress>'
    "<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
    "</AcceptableResponseSchema></Request></Autodiscover>"
)
# Domains of the demo configuration: exact, pattern, IDN (as clients send it) and domains_file.
DOMAINS = ("example.com", "example.org", "shop.example.net", "xn--caff-8oa.example", "example.it", "esempio.it")
ADDRESSES = tuple(f"utente{n:02d}@{DOMAINS[n % len(DOMAINS)]}" for n in range(100))


@dataclass(frozen=True)
class Endpoint:
    """One kind of request in the mix; `{email}` and `{domain}` are filled per request."""

    name: str
    path: str
    content_type: str  # what a 200 carries
    method: str = "GET"
    body: str = ""
    host: str = ""


ENDPOINTS = (
    Endpoint("thunderbird", "/mail/config-v1.1.xml?emailaddress={email}", "application/xml"),
    Endpoint("thunderbird well-known", "/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress={email}",
             "application/xml"),
    Endpoint("thunderbird by Host (K-9)", "/mail/config-v1.1.xml", "application/xml", host="autoconfig.{domain}"),
    Endpoint("outlook POX", "/autodiscover/autodiscover.xml", "text/xml", method="POST", body=POX_BODY),
    Endpoint("autodiscover v2 path", "/autodiscover/autodiscover.json/v1.0/{email}?Protocol=AutodiscoverV1",
             "application/json"),
    Endpoint("autodiscover v2 query", "/autodiscover/autodiscover.json?Email={email}&Protocol=AutodiscoverV1",
             "application/json"),
    Endpoint("mobileconfig", "/mobileconfig?email={email}", "application/x-apple-aspen-config"),
    Endpoint("settings API", "/api/v1/settings?email={email}", "application/json"),
)


@dataclass(frozen=True)
class Request:
    name: str
    method: str
    path: str
    body: str
    headers: dict[str, str]


def requests_table() -> list[Request]:
    """Every (address, endpoint) request, interleaved so consecutive requests differ."""
    table = []
    for email in ADDRESSES:
        domain = email.partition("@")[2]
        for endpoint in ENDPOINTS:
            headers = {"Host": endpoint.host.format(domain=domain)} if endpoint.host else {}
            if endpoint.body:
                headers["Content-Type"] = "text/xml"
            table.append(Request(endpoint.name, endpoint.method, endpoint.path.format(email=email, domain=domain),
                                 endpoint.body.format(email=email), headers))
    return table


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string of ASCII text is a valid Lua string literal


def lua_script(table: list[Request]) -> str:
    """wrk's script: each thread walks the table from its own offset; `response` counts
    statuses and content types; `done` sums the threads and prints one line per figure."""
    entries = []
    for item in table:
        headers = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in item.headers.items())
        body = _lua_string(item.body) if item.body else "nil"
        entries.append(
            f"  {{name = {_lua_string(item.name)}, req = wrk.format({_lua_string(item.method)}, "
            f"{_lua_string(item.path)}, {{{headers}}}, {body})}},"
        )
    return "local entries = {\n" + "\n".join(entries) + "\n}\n" + _LUA


_LUA = """
local threads = {}
local counter = 1

setup = function(thread)
  thread:set("offset", #threads * 7)
  table.insert(threads, thread)
end

init = function(args)
  counter = (offset or 0) + 1
  sent = {}
  statuses = {}
  types = {}
end

request = function()
  local entry = entries[((counter - 1) % #entries) + 1]
  counter = counter + 1
  sent[entry.name] = (sent[entry.name] or 0) + 1
  return entry.req
end

response = function(status, headers, body)
  statuses[tostring(status)] = (statuses[tostring(status)] or 0) + 1
  local kind = headers["Content-Type"] or headers["content-type"] or "-"
  kind = string.match(kind, "^[^;]+") or kind
  types[kind] = (types[kind] or 0) + 1
end

local function add(total, part)
  for k, v in pairs(part or {}) do total[k] = (total[k] or 0) + v end
end

done = function(summary, latency, requests)
  local all_sent, all_statuses, all_types = {}, {}, {}
  for _, thread in ipairs(threads) do
    add(all_sent, thread:get("sent"))
    add(all_statuses, thread:get("statuses"))
    add(all_types, thread:get("types"))
  end
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("LATENCY %s %f\\n", p, latency:percentile(p) / 1000))
  end
  local e = summary.errors
  io.write(string.format("ERRORS connect=%d read=%d write=%d timeout=%d status=%d\\n",
    e.connect, e.read, e.write, e.timeout, e.status))
  io.write(string.format("TOTAL %d %f\\n", summary.requests, summary.duration / 1e6))
  for k, v in pairs(all_sent) do io.write(string.format("SENT %d %s\\n", v, k)) end
  for k, v in pairs(all_statuses) do io.write(string.format("STATUS %s %d\\n", k, v)) end
  for k, v in pairs(all_types) do io.write(string.format("TYPE %d %s\\n", v, k)) end
end
"""


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    requests_per_s: float
    latency_ms: dict[str, float]
    errors: dict[str, int]
    sent: dict[str, int]
    statuses: dict[int, int]
    types: dict[str, int]

    @property
    def failures(self) -> list[str]:
        problems = [f"{count} {kind} errors" for kind, count in self.errors.items() if count and kind != "status"]
        bad = {status: n for status, n in self.statuses.items() if not 200 <= status < 300}
        if bad:
            problems.append(f"non-2xx answers: {bad}")
        missing = [e.name for e in ENDPOINTS if not self.sent.get(e.name)]
        if missing:
            problems.append(f"endpoints never asked: {missing}")
        wrong_types = {t: n for t, n in self.types.items() if t not in {e.content_type for e in ENDPOINTS}}
        if wrong_types:
            problems.append(f"unexpected content types: {wrong_types}")
        return problems


def run_wrk(url: str, *, seconds: int, connections: int, threads: int) -> Result:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (tests/debian-packages.txt lists it)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as fh:
        fh.write(lua_script(requests_table()))
        lua = fh.name
    try:
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", lua, url],
            capture_output=True, text=True, check=True,
        ).stdout
    finally:
        os.unlink(lua)
    total = re.search(r"^TOTAL (\d+) ([\d.]+)", out, re.M)
    assert total is not None, out
    requests, duration = int(total.group(1)), float(total.group(2))
    return Result(
        requests=requests,
        seconds=duration,
        requests_per_s=requests / duration,
        latency_ms={p: float(v) for p, v in re.findall(r"^LATENCY ([\d.]+) ([\d.]+)", out, re.M)},
        errors={k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", re.search(r"^ERRORS .*", out, re.M).group(0))},  # type: ignore[union-attr]
        sent={name: int(n) for n, name in re.findall(r"^SENT (\d+) (.+)$", out, re.M)},
        statuses={int(s): int(n) for s, n in re.findall(r"^STATUS (\d+) (\d+)", out, re.M)},
        types={kind: int(n) for n, kind in re.findall(r"^TYPE (\d+) (.+)$", out, re.M)},
    )


def smoke(url: str) -> None:
    """Each endpoint for each domain once before the load: what is broken fails here, clearly."""
    for item in requests_table()[: len(ENDPOINTS) * len(DOMAINS)]:
        request = urllib.request.Request(  # noqa: S310 - loopback only
            url + item.path, data=item.body.encode() or None, method=item.method, headers=item.headers,
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            assert response.status == 200, (item.name, item.path, response.status)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as work, gunicorn(
        "autoconfig:create_app()", env={"AUTOCONFIG_CONFIG": str(demo_config(Path(work)))}
    ) as url:
        smoke(url)
        run_wrk(url, seconds=2, connections=8, threads=1)  # warm every worker up
        result = run_wrk(url, seconds=args.seconds, connections=args.connections, threads=args.threads)

    print(f"mix of {len(ENDPOINTS)} endpoints x {len(ADDRESSES)} addresses, {args.connections} connections, "
          f"{args.threads} wrk threads, {result.seconds:.0f} s")
    print(f"requests              {result.requests}")
    print(f"req/s                 {result.requests_per_s:9.0f}")
    for p, ms in result.latency_ms.items():
        print(f"latency p{p:<5}        {ms:9.2f} ms")
    print(f"errors                {sum(v for k, v in result.errors.items() if k != 'status')}   {result.errors}")
    print(f"non-2xx               {sum(n for s, n in result.statuses.items() if not 200 <= s < 300)}   "
          f"statuses {dict(sorted(result.statuses.items()))}")
    for endpoint in ENDPOINTS:
        print(f"  asked {endpoint.name:<26} {result.sent.get(endpoint.name, 0):8d}")
    for kind, count in sorted(result.types.items()):
        print(f"  answered {kind:<33} {count:8d}")
    if result.failures:
        print("FAILED: " + "; ".join(result.failures))
        return 1
    print("ok: no errors, every answer a 2xx")
    return 0


if __name__ == "__main__":
    sys.exit(main())
