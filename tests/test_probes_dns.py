"""The DNS checks of a diagnosis, against a real authoritative server (Knot) with zones
where the records are right, missing, and pointing elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from autoconfig.formats import zone
from autoconfig.model import Config, Status
from autoconfig.probes import dns as dns_probe
from autoconfig.probes.base import Kind
from autoconfig.resolver import make_resolver
from tests.diagnostics_helpers import DOMAIN, PUBLIC_URL, make, raw_config, server
from tests.support.ca import TestCA
from tests.support.dns import KnotServer


@pytest.fixture
def config(test_ca: TestCA, dns_server: KnotServer, tmp_path: Path) -> Config:
    servers = [server("imap", "mail.example.test", 993, "tls"), server("smtp", "mail.example.test", 465, "tls")]
    return make(raw_config(servers, ca=test_ca, knot=dns_server), tmp_path)


def _checks(config: Config) -> dict[str, object]:
    results = dns_probe.run(config.providers[0], DOMAIN, make_resolver(config.dns, cache=False), PUBLIC_URL, 3.0)
    assert all(r.kind is Kind.DNS for r in results)
    return {r.id: r for r in results}


def test_right_records_are_ok(config: Config, dns_server: KnotServer) -> None:
    dns_server.set_zone(DOMAIN, "\n".join(zone.lines(config.providers[0], DOMAIN, PUBLIC_URL)) + "\nmail A 127.0.0.2")
    dns_server.set_zone("example.com", "autoconfig A 127.0.0.9")
    checks = _checks(config)
    assert {c.code for c in checks.values()} <= {"dns.mx_ok", "dns.srv_ok", "dns.autoconfig_ok", "dns.autodiscover_ok",
                                                 "dns.autodiscover_srv_ok"}
    assert checks["dns-mx"].status is Status.OK
    assert checks["dns-srv-imaps"].code == "dns.srv_ok"
    assert checks["dns-srv-imap"].status is Status.OK  # "not offered" (0 0 0 .) is what we publish


def test_missing_records(config: Config, dns_server: KnotServer) -> None:
    dns_server.set_zone(DOMAIN, "www A 127.0.0.10")
    checks = _checks(config)
    assert checks["dns-mx"].code == "dns.mx_missing" and checks["dns-mx"].status is Status.ERROR
    assert checks["dns-srv-imaps"].code == "dns.srv_missing"
    assert checks["dns-autoconfig"].code == "dns.autoconfig_missing"


def test_records_pointing_elsewhere(config: Config, dns_server: KnotServer) -> None:
    dns_server.set_zone(DOMAIN, "@ MX 10 mx.other-provider.test.\n"
                                "_imaps._tcp SRV 0 1 993 imap.other-provider.test.\n")
    checks = _checks(config)
    assert checks["dns-mx"].code == "dns.mx_foreign"
    assert checks["dns-srv-imaps"].code == "dns.srv_mismatch"
    assert "other-provider" in str(checks["dns-mx"].params["found"])
