"""When our own DNS resolver is down, every DNS-based check fails together: a diagnosis and
`autoconfig dns` say it once, as "our DNS resolver does not answer", with a remedy for the
service, never as the customer's DNS servers failing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from autoconfig.cli import main
from autoconfig.model import Status
from tests.diagnostics_helpers import by_id, diagnose, make, raw_config, server, to_toml
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE
from tests.support.silent_dns import SilentNameserver


@pytest.fixture
def silent() -> Iterator[SilentNameserver]:
    with SilentNameserver() as nameserver:
        yield nameserver


def _raw(silent: SilentNameserver, test_ca: TestCA, dns_server: KnotServer) -> dict:  # type: ignore[type-arg]
    servers = [server("imap", "mail.example.test", 993, "tls"), server("imap", "mail.example.test", 143, "starttls"),
               server("pop3", "mail.example.test", 995, "tls"), server("smtp", "mail.example.test", 587, "starttls")]
    raw = raw_config(servers, ca=test_ca, knot=dns_server)
    raw["dns"] = {"nameservers": [silent.nameserver], "timeout_s": 0.5}
    return raw


def test_a_silent_resolver_is_one_root_cause_in_a_diagnosis(
    silent: SilentNameserver, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    # Given the service's resolver swallows every query
    config = make(_raw(silent, test_ca, dns_server), tmp_path)
    # When an account is diagnosed
    report = diagnose(config, ALICE.address, ALICE.password, lang="it")
    checks = by_id(report)
    codes = {c.check.code for c in report.checks}
    # Then one check says our resolver does not answer, with a remedy for the service
    resolver = checks["dns-resolver"]
    assert (resolver.check.status, resolver.check.code) == (Status.ERROR, "dns.resolver_down")
    assert "Il nostro server DNS" in resolver.message and "[dns] nameservers" in (resolver.remedy or "")
    assert [c for c in report.checks if c.check.status is Status.ERROR] == [resolver]
    # And no row blames the customer's DNS or claims a record or a name is missing
    assert not codes & {"dns.lookup_failed", "net.resolve_failed", "dns.mx_missing"}
    # And every server's connection names that one cause; the rest names the connection
    for tcp in (c for i, c in checks.items() if i.endswith("-tcp")):
        assert (tcp.check.code, tcp.check.params["blocked_by"]) == ("skip.resolver_down", "dns-resolver")
        assert "dns-resolver" in tcp.message and "{" not in tcp.message
    # And the customer reads one problem, starting there
    # (the unsigned Apple profile of this test's configuration is a warning of its own)
    verdict = report.verdict
    assert [p.code for p in verdict.problems if p.status is Status.ERROR] == ["dns.resolver_down"]
    assert "discovery.timeout" not in codes


def test_autoconfig_dns_exits_2_when_the_resolver_is_silent(
    silent: SilentNameserver, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> None:
    config_file = tmp_path / "autoconfig.toml"
    config_file.write_text(to_toml(_raw(silent, test_ca, dns_server)), encoding="utf-8")
    result = CliRunner().invoke(main, ["dns", "example.test", "--config", str(config_file), "--lang", "en"])
    assert result.exit_code == 2, result.output
    assert "Our DNS resolver" in result.output and "[dns] nameservers" in result.output
    assert "dns.lookup_failed" not in result.output
