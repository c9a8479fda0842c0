"""DNS health of a customer domain, against a real authoritative server (Knot) on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autoconfig.dnshealth import CODES, DnsHealth, RecordCheck, check_dns
from autoconfig.formats import zone
from autoconfig.messages import CATALOGUE, words
from autoconfig.model import Config, Status
from autoconfig.resolver import make_resolver
from tests.support.dns import KnotServer
from tests.support.dns_cases import PUBLIC_URL, SERVICE_ADDRESS, customer_zone, hoster_config
from tests.support.silent_dns import SilentNameserver


@pytest.fixture
def config(tmp_path: Path, dns_server: KnotServer) -> Config:
    return hoster_config(tmp_path, [dns_server.nameserver])


@pytest.fixture
def silent() -> Iterator[SilentNameserver]:
    with SilentNameserver() as server:
        yield server


def health(config: Config, domain: str) -> DnsHealth:
    resolver = make_resolver(config.dns, cache=False)
    return check_dns(config.providers[0], domain, resolver, config.service.public_url)


def by_name(result: DnsHealth, name: str) -> RecordCheck:
    return next(c for c in result.checks if c.name == name)


def test_publishing_the_recommended_zone_lines_makes_every_check_ok(
    config: Config, dns_server: KnotServer
) -> None:
    # Given a customer who pasted exactly the lines we recommend into their zone
    provider = config.providers[0]
    domain = customer_zone(dns_server, "")
    lines = zone.lines(provider, domain, PUBLIC_URL)
    dns_server.set_zone(domain, "\n".join(lines))
    # When we check the domain
    result = health(config, domain)
    # Then everything is in order, and what we found is what we asked for
    assert result.status is Status.OK, [(c.name, c.code) for c in result.checks if c.status is not Status.OK]
    assert result.zone_lines == lines
    kinds = {c.kind for c in result.checks}
    assert kinds == {"mx", "srv", "autoconfig", "autodiscover"}
    for check in result.checks:
        assert check.code.endswith("_ok"), check
        assert sorted(check.found) == sorted(check.expected), check
    # the SMTP host templated with %EMAILDOMAIN% is the customer's own name
    assert by_name(result, f"_submissions._tcp.{domain}").found == (f"0 0 465 smtp.{domain}.",)


def test_mx_at_another_provider_is_an_error_that_names_it(config: Config, dns_server: KnotServer) -> None:
    domain = customer_zone(dns_server, "@ IN MX 10 mx.other-provider.test.\n@ IN MX 20 mx1.example.test.")
    result = health(config, domain)
    mx = by_name(result, domain)
    assert (mx.kind, mx.rtype, mx.status, mx.code) == ("mx", "MX", Status.ERROR, "dns.mx_foreign")
    assert mx.found == ("10 mx.other-provider.test.", "20 mx1.example.test.")
    assert mx.expected == ("10 mx1.example.test.", "20 mx2.example.test.")
    assert result.status is Status.ERROR
    text = words(mx.code, "it", mx.params)
    assert "mx.other-provider.test" in text.message
    assert text.remedy and "10 mx1.example.test." in text.remedy


def test_backup_mx_elsewhere_is_only_a_warning(config: Config, dns_server: KnotServer) -> None:
    domain = customer_zone(dns_server, "@ IN MX 10 mx1.example.test.\n@ IN MX 50 backup.other.test.")
    mx = by_name(health(config, domain), domain)
    assert (mx.status, mx.code, mx.params["foreign"]) == (Status.WARNING, "dns.mx_mixed", "backup.other.test")


def test_no_mx_is_missing_not_failed(config: Config, dns_server: KnotServer) -> None:
    domain = customer_zone(dns_server, "www IN A 127.0.0.20")
    mx = by_name(health(config, domain), domain)
    assert (mx.status, mx.code, mx.found, mx.params["reason"]) == (Status.ERROR, "dns.mx_missing", (), "nodata")


def test_a_domain_that_does_not_exist_is_missing_everywhere(config: Config, dns_server: KnotServer) -> None:
    zone_name = customer_zone(dns_server, "www IN A 127.0.0.20")
    result = health(config, f"gone.{zone_name}")  # inside a served zone: NXDOMAIN
    mx = by_name(result, f"gone.{zone_name}")
    assert (mx.code, mx.params["reason"]) == ("dns.mx_missing", "nxdomain")
    assert "dns.lookup_failed" not in {c.code for c in result.checks}
    assert by_name(result, f"autoconfig.gone.{zone_name}").code == "dns.autoconfig_missing"


def test_null_mx_says_the_domain_takes_no_mail(config: Config, dns_server: KnotServer) -> None:
    domain = customer_zone(dns_server, "@ IN MX 0 .")
    mx = by_name(health(config, domain), domain)
    assert (mx.status, mx.code) == (Status.ERROR, "dns.mx_null")


def test_srv_records_right_wrong_missing_and_not_offered(config: Config, dns_server: KnotServer) -> None:
    # Given: IMAPS right, IMAP (STARTTLS) at the previous provider, POP3S saying "not
    # offered" although we offer it, plain POP3 (which we never publish) marked not
    # offered, submission records absent
    domain = customer_zone(
        dns_server,
        """
_imaps._tcp IN SRV 0 1 993 mail.example.test.
_imap._tcp IN SRV 10 1 143 imap.old-provider.test.
_pop3s._tcp IN SRV 0 0 0 .
_pop3._tcp IN SRV 0 0 0 .
""",
    )
    result = health(config, domain)
    expect = {
        "_imaps._tcp": (Status.OK, "dns.srv_ok"),
        "_imap._tcp": (Status.ERROR, "dns.srv_mismatch"),
        "_pop3s._tcp": (Status.WARNING, "dns.srv_mismatch"),
        "_pop3._tcp": (Status.OK, "dns.srv_ok"),
        "_submissions._tcp": (Status.WARNING, "dns.srv_missing"),
        "_submission._tcp": (Status.WARNING, "dns.srv_missing"),
    }
    for label, verdict in expect.items():
        check = by_name(result, f"{label}.{domain}")
        assert (check.status, check.code) == verdict, check
    imap = by_name(result, f"_imap._tcp.{domain}")
    assert imap.found == ("10 1 143 imap.old-provider.test.",)
    assert imap.expected == ("10 0 143 mail.example.test.",)
    assert by_name(result, f"_pop3._tcp.{domain}").expected == ("0 0 0 .",)


def test_a_service_we_do_not_offer_may_simply_be_absent(config: Config, dns_server: KnotServer) -> None:
    domain = customer_zone(dns_server, "@ IN MX 10 mx1.example.test.")
    check = by_name(health(config, domain), f"_pop3._tcp.{domain}")
    assert (check.status, check.code) == (Status.OK, "dns.srv_not_offered")


def test_autoconfig_and_autodiscover_names(config: Config, dns_server: KnotServer) -> None:
    # Given autoconfig on our address, autodiscover on a web host (a wildcard, typically),
    # and an _autodiscover SRV at another provider
    domain = customer_zone(
        dns_server,
        f"""
autoconfig IN A {SERVICE_ADDRESS}
autodiscover IN A 127.0.0.99
_autodiscover._tcp IN SRV 0 0 443 autodiscover.old-provider.test.
""",
    )
    result = health(config, domain)
    autoconfig = by_name(result, f"autoconfig.{domain}")
    assert (autoconfig.kind, autoconfig.status, autoconfig.code) == ("autoconfig", Status.OK, "dns.autoconfig_ok")
    assert autoconfig.found == (f"A {SERVICE_ADDRESS}",)
    assert autoconfig.expected == ("CNAME autoconfig.example.test.",)
    autodiscover = by_name(result, f"autodiscover.{domain}")
    assert (autodiscover.status, autodiscover.code) == (Status.WARNING, "dns.autodiscover_foreign")
    srv = by_name(result, f"_autodiscover._tcp.{domain}")
    assert (srv.kind, srv.status, srv.code) == ("autodiscover", Status.WARNING, "dns.autodiscover_foreign")
    assert srv.expected == ("0 0 443 autoconfig.example.test.",)


def test_missing_autoconfig_and_autodiscover(config: Config, dns_server: KnotServer) -> None:
    domain = customer_zone(dns_server, "@ IN MX 10 mx1.example.test.")
    result = health(config, domain)
    assert by_name(result, f"autoconfig.{domain}").code == "dns.autoconfig_missing"
    assert by_name(result, f"autodiscover.{domain}").code == "dns.autodiscover_missing"
    srv = by_name(result, f"_autodiscover._tcp.{domain}")
    assert (srv.status, srv.code) == (Status.WARNING, "dns.autodiscover_srv_missing")
    assert result.status is Status.WARNING  # MX is right: nothing here stops mail


def test_autodiscover_srv_is_optional_when_the_name_works(config: Config, dns_server: KnotServer) -> None:
    domain = customer_zone(dns_server, "autodiscover IN CNAME autoconfig.example.test.")
    result = health(config, domain)
    assert by_name(result, f"autodiscover.{domain}").code == "dns.autodiscover_ok"
    srv = by_name(result, f"_autodiscover._tcp.{domain}")
    assert (srv.status, srv.code) == (Status.OK, "dns.autodiscover_srv_missing")


def test_a_zone_the_server_refuses_is_a_failed_lookup_not_a_missing_record(
    config: Config, dns_server: KnotServer
) -> None:
    customer_zone(dns_server, "")  # the hoster's zone is served; this one is not
    result = health(config, "not-served.test")
    assert {c.code for c in result.checks} == {"dns.lookup_failed"}
    mx = by_name(result, "not-served.test")
    assert (mx.status, mx.params["reason"]) == (Status.ERROR, "REFUSED")
    assert by_name(result, "_imaps._tcp.not-served.test").status is Status.WARNING


def test_a_silent_nameserver_fails_every_lookup_within_one_timeout(
    tmp_path: Path, silent: SilentNameserver
) -> None:
    # Given a nameserver that swallows every query, and a 0.5 s DNS timeout
    config = hoster_config(tmp_path, [silent.nameserver], timeout_s=0.5)
    # When we check a domain (ten checks from fourteen lookups, our own name among them)
    started = time.monotonic()
    result = health(config, "customer.test")
    elapsed = time.monotonic() - started
    # Then it is one root cause, our resolver, and no record is claimed missing or failed;
    # and the lookups ran side by side: the whole check took about one timeout
    assert result.resolver_down
    assert [(c.code, c.status) for c in result.checks] == [("dns.resolver_down", Status.ERROR)]
    assert silent.nameserver.split(":")[0] in str(result.checks[0].params["nameservers"])
    assert result.zone_lines  # what to publish does not depend on DNS answering
    assert elapsed < 2.5, elapsed


def test_a_customer_domain_whose_dns_fails_is_not_our_resolver(config: Config, dns_server: KnotServer) -> None:
    # Given a domain nobody serves (Knot answers REFUSED for it) while our own name resolves
    customer_zone(dns_server, "@ MX 10 mx1.example.test.")
    result = health(config, "nobody-serves-this.test")
    # Then the failures are the customer's records, not our resolver
    assert not result.resolver_down
    assert "dns.resolver_down" not in {c.code for c in result.checks}


def test_a_budget_caps_the_resolver_lifetime(tmp_path: Path, silent: SilentNameserver) -> None:
    config = hoster_config(tmp_path, [silent.nameserver], timeout_s=10)
    resolver = make_resolver(config.dns, cache=False)
    started = time.monotonic()
    result = check_dns(config.providers[0], "customer.test", resolver, PUBLIC_URL, budget_s=0.3)
    assert time.monotonic() - started < 2.5
    assert result.status is Status.ERROR


def test_without_mx_hosts_the_mx_found_is_shown_as_information(
    tmp_path: Path, dns_server: KnotServer
) -> None:
    config = hoster_config(tmp_path, [dns_server.nameserver], mx_hosts=[])
    domain = customer_zone(dns_server, "@ IN MX 10 mx.anywhere.test.")
    result = health(config, domain)
    mx = by_name(result, domain)
    assert (mx.status, mx.code, mx.found, mx.expected) == (
        Status.OK, "dns.mx_unchecked", ("10 mx.anywhere.test.",), ()
    )
    assert not any(" MX " in line for line in result.zone_lines)


def test_every_dns_code_has_words_in_both_languages() -> None:
    for code in CODES:
        assert set(CATALOGUE[code]) == {"it", "en"}, code
        for lang in ("it", "en"):
            assert CATALOGUE[code][lang].message.strip(), (code, lang)
    # a problem always comes with a remedy
    problems = {"dns.mx_missing", "dns.mx_null", "dns.mx_foreign", "dns.mx_mixed", "dns.srv_missing",
                "dns.srv_mismatch", "dns.autoconfig_missing", "dns.autoconfig_foreign",
                "dns.autodiscover_missing", "dns.autodiscover_foreign", "dns.autodiscover_srv_missing",
                "dns.lookup_failed"}
    assert problems <= set(CODES)
    for code in problems:
        assert all(CATALOGUE[code][lang].remedy for lang in ("it", "en")), code
