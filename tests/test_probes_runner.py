"""The runner: no connection to internal addresses (SSRF), streaming as checks end, a
stable order, and a diagnosis that ends within its budget whatever the servers do."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autoconfig.diagnose import DiagnosisRequest
from autoconfig.model import Secret, Status
from tests.diagnostics_helpers import by_id, diagnose, diagnostician, make, raw_config, server
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.silent import CountingServer, SilentServer

EVIL = "evil.test"


@pytest.fixture
def counting_v6() -> Iterator[CountingServer]:
    with CountingServer(host="::1") as srv:
        yield srv


def _ssrf_config(v4: CountingServer, v6: CountingServer, ca: TestCA, knot: KnotServer, tmp: Path,
                 allow: bool):  # type: ignore[no-untyped-def]
    knot.set_zone(EVIL, "mail A 127.0.0.1\nmail AAAA ::1\n")
    host = "mail.%EMAILDOMAIN%"
    servers = [server("imap", host, v4.port, "tls"), server("imap", host, v6.port, "tls"),
               server("smtp", host, v4.port, "tls")]
    raw = raw_config(servers, ca=ca, knot=knot, domains=[EVIL], allow_private_addresses=allow,
                     budget_s=3, connect_timeout_s=1)
    return make(raw, tmp)


def test_templated_host_pointing_at_loopback_is_refused_without_a_connection(
    counting_server: CountingServer, counting_v6: CountingServer, test_ca: TestCA, dns_server: KnotServer,
    tmp_path: Path,
) -> None:
    # Given mail.%EMAILDOMAIN% and a customer domain whose record points at 127.0.0.1 and ::1
    config = _ssrf_config(counting_server, counting_v6, test_ca, dns_server, tmp_path, allow=False)
    # When it is diagnosed
    report = diagnose(config, f"victim@{EVIL}", "secret-password")
    # Then every address is refused, by name of its range, and nothing connected
    tcp = [c.check for c in report.checks if c.check.kind == "tcp" and "-tcp-" in c.check.id]
    assert tcp and {t.code for t in tcp} == {"net.private_address_refused"}
    assert {t.params["range"] for t in tcp} == {"loopback"}
    assert {t.params["ip"] for t in tcp} == {"127.0.0.1", "::1"}
    assert by_id(report)[f"imap-{counting_server.port}-auth"].check.code == "skip.unreachable"
    assert counting_server.connections == 0 and counting_v6.connections == 0


def test_the_same_setup_connects_when_private_addresses_are_allowed(
    counting_server: CountingServer, counting_v6: CountingServer, test_ca: TestCA, dns_server: KnotServer,
    tmp_path: Path,
) -> None:
    # The control experiment: the listening sockets do see a connection when allowed
    config = _ssrf_config(counting_server, counting_v6, test_ca, dns_server, tmp_path, allow=True)
    diagnose(config, f"victim@{EVIL}", "secret-password")
    assert counting_server.connections > 0 and counting_v6.connections > 0


def test_checks_stream_as_they_end_and_the_report_keeps_a_stable_order(
    silent_server: SilentServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path,
    dovecot_healthy,  # type: ignore[no-untyped-def]
) -> None:
    # Given a fast healthy server listed after a silent one
    dns_server.set_zone("mixed.test", f"slow A {silent_server.host}\nmail A 127.0.0.2\n")
    servers = [server("imap", "slow.mixed.test", silent_server.port, "starttls"),
               server("imap", "mail.mixed.test", dovecot_healthy.ports["imaps"], "tls"),
               server("smtp", "mail.mixed.test", dovecot_healthy.ports["submissions"], "tls")]
    raw = raw_config(servers, ca=test_ca, knot=dns_server, domains=["mixed.test"], budget_s=4, connect_timeout_s=3)
    owner = diagnostician(make(raw, tmp_path))
    diagnosis = owner.start(DiagnosisRequest("someone@mixed.test", Secret("x")))
    # When the checks are read as they end
    streamed = [(c.check.id, time.monotonic()) for c in diagnosis]
    report = diagnosis.report()
    ids = [i for i, _t in streamed]
    # Then the healthy server's checks arrive before the silent one gives up...
    fast = ids.index(f"imap-{dovecot_healthy.ports['imaps']}-tls")
    slow = ids.index(f"imap-{silent_server.port}-greeting")
    assert fast < slow
    # ...while the report lists every streamed check once, in configuration order
    assert sorted(ids) == sorted(c.check.id for c in report.checks)
    ordered = [c.check.id for c in report.checks if not c.check.id.startswith("dns")]
    assert ordered.index(f"imap-{silent_server.port}-greeting") < ordered.index(
        f"imap-{dovecot_healthy.ports['imaps']}-tls")


def test_many_silent_servers_end_within_budget_and_every_check_is_accounted_for(
    silent_server: SilentServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    dns_server.set_zone("mute.test", f"mail A {silent_server.host}")
    port = silent_server.port
    servers = [server(p, "mail.mute.test", port, sec) for p in ("imap", "pop3", "smtp") for sec in ("tls", "starttls")]
    raw = raw_config(servers, ca=test_ca, knot=dns_server, domains=["mute.test"], budget_s=1.5, connect_timeout_s=1.5)
    started = time.monotonic()
    report = diagnose(make(raw, tmp_path), "someone@mute.test", "pw")
    took = time.monotonic() - started
    assert took < 1.5 + 0.5
    checks = by_id(report)
    for protocol in ("imap", "pop3", "smtp"):
        for n, stage in ((f"{protocol}-{port}", "tls"), (f"{protocol}-{port}-2", "greeting")):
            # timed out in its step, or (on a busy machine) never reached before the end
            check = checks[f"{n}-{stage}"].check
            assert check.code in ("net.timeout", "diag.cut_short", "skip.budget"), check
            if check.code != "skip.budget":
                assert check.status is Status.ERROR
                assert check.params["step"] in ("resolve", "connect", "tls_handshake", "greeting")
        assert checks[f"{protocol}-{port}-auth"].check.status is Status.SKIPPED
    assert checks["imap-folders"].check.status is Status.SKIPPED
    assert report.status is Status.ERROR
