"""Diagnosis speed, with baselines measured in the same run:

1. A healthy account (6 servers: IMAP, POP3, submission, each TLS and STARTTLS, IPv4 and
   IPv6, plus the DNS records) against its slowest single part run alone: each server's
   checks (connect, TLS, greeting, login, folders/quota/mailbox) and the DNS checks are
   timed alone, one after another; the slowest of them is the baseline. Target: the
   whole diagnosis takes at most 1.25 times that. Also shown: the whole diagnosis
   against the longest `duration_ms` any check reported inside it.
   Again with every server behind a relay that adds ONE_WAY_MS each way (a wide-area
   round trip), where waiting, not the two cores, dominates as it does in real life.
2. Every server silent (accepts, never speaks): the diagnosis ends within budget_s + 0.5 s.
3. 20 diagnoses at once (20 users, on this machine's cores): each within budget.

Run: .venv/bin/python -m tests.benchmarks.bench_diagnose
"""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from autoconfig.diagnose import DiagnosisRequest, Diagnostician
from autoconfig.lookup import settings_for_address
from autoconfig.probes import DnsJob, Run, Secret, plan
from tests.diagnostics_helpers import HOST, SERVICES, dovecot_servers, make, publish_example_zone, raw_config, server
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, DovecotServer, MailUser, healthy_spec
from tests.support.latency import relay_pair
from tests.support.silent import SilentServer

REPEATS = 15
ONE_WAY_MS = 15
CONCURRENT = 20
BUDGET_S = 8.0


def timed(fn: Any) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def healthy_vs_slowest_part(owner: Diagnostician, label: str) -> None:
    settings = settings_for_address(owner.directory, ALICE.address)
    targets = plan(settings)
    password = Secret(ALICE.password)
    dns_job = DnsJob(settings, owner.config.service.public_url)

    def whole() -> None:
        list(Run(owner.toolkit, targets, password, dns_job))

    def part(index: int | None) -> Any:
        if index is None:
            return lambda: list(Run(owner.toolkit, [], None, dns_job))
        return lambda: list(Run(owner.toolkit, [targets[index]], password))

    whole()  # warm up: resolver cache, Dovecot's processes
    parts: dict[str, list[float]] = {"dns": []}
    parts.update({t.prefix: [] for t in targets})
    wholes: list[float] = []
    longest_check: list[float] = []
    for _ in range(REPEATS):
        wholes.append(timed(whole))
        parts["dns"].append(timed(part(None)))
        for i, t in enumerate(targets):
            parts[t.prefix].append(timed(part(i)))
        report = owner.start(DiagnosisRequest(ALICE.address, password)).run()
        longest_check.append(max(c.check.duration_ms for c in report.checks) / 1000)
    medians = {name: statistics.median(v) for name, v in parts.items()}
    slowest = max(medians, key=lambda k: medians[k])
    whole_s = statistics.median(wholes)
    print(f"   healthy account (median of {REPEATS})")
    for name, value in sorted(medians.items(), key=lambda kv: -kv[1]):
        print(f"   {name:<22} alone {value * 1000:7.1f} ms")
    print(f"   whole diagnosis        {whole_s * 1000:7.1f} ms")
    print(f"   ratio whole / slowest part, {label} ({slowest}): {whole_s / medians[slowest]:.2f}  (target <= 1.25)")
    print(f"   ratio whole / longest check duration_ms inside it: "
          f"{whole_s / statistics.median(longest_check):.2f}")


def silent(ca: TestCA, knot: KnotServer, tmp: Path) -> None:
    with SilentServer() as mute:
        knot.set_zone("mute.test", f"mail A {mute.host}")
        servers = [server(p, "mail.mute.test", mute.port, s)
                   for p in ("imap", "pop3", "smtp") for s in ("tls", "starttls")]
        for budget in (2.0, 4.0):
            raw = raw_config(servers, ca=ca, knot=knot, domains=["mute.test"], budget_s=budget,
                             connect_timeout_s=budget)
            owner = Diagnostician(make(raw, tmp), *_services(make(raw, tmp)))
            took = timed(lambda o=owner: o.start(DiagnosisRequest("x@mute.test", Secret("pw"))).run())
            print(f"2. silent ports, budget_s={budget}: ended after {took:.2f} s "
                  f"(limit {budget + 0.5:.1f} s) {'OK' if took <= budget + 0.5 else 'OVER'}")


def _services(config: Any) -> tuple[Any, Any]:
    from autoconfig.services import Services

    svc = Services.build(config)
    return svc.directory, svc.resolver


def concurrent(ca: TestCA, knot: KnotServer, tmp: Path) -> None:
    users = tuple(MailUser(f"user{n}@example.test", f"Pw-{n}-x") for n in range(CONCURRENT))
    spec = replace(healthy_spec(ca), users=users, max_userip_connections=100)
    with DovecotServer(spec) as dovecot:
        raw = raw_config(dovecot_servers(dovecot), ca=ca, knot=knot, budget_s=BUDGET_S)
        config = make(raw, tmp)
        publish_example_zone(knot, config)
        owner = Diagnostician(config, *_services(config))
        owner.start(DiagnosisRequest(users[0].address, Secret(users[0].password))).run()  # warm up
        times: list[float] = [0.0] * CONCURRENT
        statuses: list[str] = [""] * CONCURRENT

        def one(n: int) -> None:
            started = time.perf_counter()
            report = owner.start(DiagnosisRequest(users[n].address, Secret(users[n].password))).run()
            times[n] = time.perf_counter() - started
            statuses[n] = ",".join(sorted({c.check.code for c in report.checks if c.check.kind == "auth"}))

        threads = [threading.Thread(target=one, args=(n,)) for n in range(CONCURRENT)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        print(f"3. {CONCURRENT} diagnoses at once on {os.cpu_count()} cores: wall {wall:.2f} s, each "
              f"median {statistics.median(times):.2f} s, max {max(times):.2f} s (budget {BUDGET_S} s) "
              f"{'OK' if max(times) <= BUDGET_S else 'OVER'}; logins: {sorted(set(statuses))}")


def with_latency(dovecot: DovecotServer, ca: TestCA, knot: KnotServer, tmp: Path) -> None:
    """The healthy account again, every server behind a relay adding ONE_WAY_MS each way."""
    with ExitStack() as stack:
        relayed = {}
        for service, port in dovecot.ports.items():
            relayed[service] = stack.enter_context(relay_pair(dovecot.host_ip, "::1", port, ONE_WAY_MS / 1000))
        servers = [server(p, HOST, relayed[svc], sec) for p, svc, sec in SERVICES]
        config = make(raw_config(servers, ca=ca, knot=knot, budget_s=BUDGET_S), tmp / "latency")
        print(f"1b. healthy account, {2 * ONE_WAY_MS} ms round trip to every server")
        healthy_vs_slowest_part(Diagnostician(config, *_services(config)), f"{2 * ONE_WAY_MS} ms round trip")


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-diagnose-"))
    ca = TestCA(tmp / "ca")
    with KnotServer() as knot, DovecotServer(healthy_spec(ca)) as dovecot:
        raw = raw_config(dovecot_servers(dovecot), ca=ca, knot=knot, budget_s=BUDGET_S)
        config = make(raw, tmp)
        publish_example_zone(knot, config)
        owner = Diagnostician(config, *_services(config))
        print("1a. healthy account, loopback")
        healthy_vs_slowest_part(owner, "loopback")
        with_latency(dovecot, ca, knot, tmp)
        silent(ca, knot, tmp)
        concurrent(ca, knot, tmp)


if __name__ == "__main__":
    main()
