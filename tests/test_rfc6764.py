"""Calendars and contacts found as RFC 6764 clients find them: SRV and `path=` TXT records in a real
DNS server (Knot), and the `/.well-known/caldav|carddav` redirects of the service under gunicorn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.resolver
import pytest

from autoconfig.config import build_config
from autoconfig.dnshealth import DnsHealth, RecordCheck, check_dns
from autoconfig.formats import zone
from autoconfig.messages import words
from autoconfig.model import Config, Status
from autoconfig.resolver import make_resolver
from tests.conftest import base_raw
from tests.support.dns import KnotServer
from tests.support.dns_cases import PUBLIC_URL, customer_zone, hoster_raw
from tests.support.procs import ServiceProcess, write_config

DAV = [
    {"type": "caldav", "url": "https://dav.example.test/calendars/%EMAILADDRESS%/"},
    {"type": "carddav", "url": "https://contacts.example.test:8443/dav/%EMAILDOMAIN%/books/%EMAILLOCALPART%/"},
]


@pytest.fixture
def config(tmp_path: Path, dns_server: KnotServer) -> Config:
    raw = hoster_raw([dns_server.nameserver])
    raw["provider"][0]["dav"] = [dict(d) for d in DAV]
    return build_config(raw, base_dir=tmp_path)


def health(config: Config, domain: str) -> DnsHealth:
    return check_dns(config.providers[0], domain, make_resolver(config.dns, cache=False), config.service.public_url)


def by(result: DnsHealth, name: str, rtype: str) -> RecordCheck:
    return next(c for c in result.checks if c.name == name and c.rtype == rtype)


def rfc6764_lookup(nameserver: str, domain: str, service: str) -> str:
    """What an RFC 6764 client does: SRV for host and port, TXT for the path, then an https URL."""
    resolver = dns.resolver.Resolver(configure=False)
    host, port = nameserver.rsplit(":", 1)
    resolver.nameservers = [host]
    resolver.port = int(port)
    srv = min(resolver.resolve(f"_{service}s._tcp.{domain}", "SRV"), key=lambda r: r.priority)
    texts = [b"".join(r.strings).decode() for r in resolver.resolve(f"_{service}s._tcp.{domain}", "TXT")]
    path = next(t[5:] for t in texts if t.startswith("path="))
    target = str(srv.target).rstrip(".")
    return f"https://{target}{'' if srv.port == 443 else f':{srv.port}'}{path}"


def test_published_zone_lines_let_rfc6764_clients_find_calendars_and_contacts(
    config: Config, dns_server: KnotServer
) -> None:
    # Given a customer who pasted our zone lines, DAV records included, into a real Knot zone
    domain = customer_zone(dns_server, "")
    lines = zone.lines(config.providers[0], domain, PUBLIC_URL)
    assert f"_caldavs._tcp.{domain}." in "\n".join(lines)
    dns_server.set_zone(domain, "\n".join(lines))
    # When an RFC 6764 client looks them up
    calendars = rfc6764_lookup(dns_server.nameserver, domain, "caldav")
    contacts = rfc6764_lookup(dns_server.nameserver, domain, "carddav")
    # Then it lands on the configured servers, at their context paths (the domain filled in)
    assert calendars == "https://dav.example.test/calendars/"
    assert contacts == f"https://contacts.example.test:8443/dav/{domain}/books/"
    # And DNS health finds every record right, the DAV ones too
    result = health(config, domain)
    assert result.status is Status.OK, [(c.name, c.code) for c in result.checks if c.status is not Status.OK]
    dav = [c for c in result.checks if c.kind == "dav"]
    assert [(c.name, c.rtype, c.code) for c in dav] == [
        (f"_caldavs._tcp.{domain}", "SRV", "dns.dav_srv_ok"),
        (f"_caldavs._tcp.{domain}", "TXT", "dns.dav_path_ok"),
        (f"_carddavs._tcp.{domain}", "SRV", "dns.dav_srv_ok"),
        (f"_carddavs._tcp.{domain}", "TXT", "dns.dav_path_ok"),
    ]
    assert by(result, f"_carddavs._tcp.{domain}", "SRV").found == ("0 1 8443 contacts.example.test.",)
    assert by(result, f"_carddavs._tcp.{domain}", "TXT").found == (f'"path=/dav/{domain}/books/"',)


def test_missing_and_wrong_dav_records_are_named_with_the_line_to_publish(
    config: Config, dns_server: KnotServer
) -> None:
    # Given a CalDAV SRV left at the previous provider with a wrong path, and no CardDAV records
    domain = customer_zone(
        dns_server,
        '_caldavs._tcp IN SRV 0 1 443 cloud.old-provider.test.\n_caldavs._tcp IN TXT "path=/remote.php/dav"\n',
    )
    result = health(config, domain)
    cal_srv = by(result, f"_caldavs._tcp.{domain}", "SRV")
    assert (cal_srv.status, cal_srv.code) == (Status.ERROR, "dns.dav_srv_mismatch")
    cal_txt = by(result, f"_caldavs._tcp.{domain}", "TXT")
    assert (cal_txt.status, cal_txt.code) == (Status.WARNING, "dns.dav_path_mismatch")
    card_srv = by(result, f"_carddavs._tcp.{domain}", "SRV")
    assert (card_srv.status, card_srv.code) == (Status.WARNING, "dns.dav_srv_missing")
    assert by(result, f"_carddavs._tcp.{domain}", "TXT").code == "dns.dav_path_missing"
    # And the words say what was found and what to publish, in both languages
    for lang in ("it", "en"):
        text = words(cal_srv.code, lang, cal_srv.params)
        assert "cloud.old-provider.test" in text.message
        assert text.remedy and "0 1 443 dav.example.test." in text.remedy
        txt = words(cal_txt.code, lang, cal_txt.params)
        assert '"path=/calendars/"' in txt.message


def test_a_provider_without_dav_gets_no_dav_lines_or_checks(tmp_path: Path, dns_server: KnotServer) -> None:
    config = build_config(hoster_raw([dns_server.nameserver]), base_dir=tmp_path)
    domain = customer_zone(dns_server, "")
    assert not any("dav" in line for line in zone.lines(config.providers[0], domain, PUBLIC_URL))
    assert not [c for c in health(config, domain).checks if c.kind == "dav"]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    folder = tmp_path_factory.mktemp("rfc6764")
    raw: dict[str, Any] = base_raw()
    raw["provider"][0]["dav"] = [
        {"type": "caldav", "url": "https://dav.example.com/calendars/%EMAILADDRESS%/"},
        {"type": "carddav", "url": "https://dav.example.com:8443/%EMAILDOMAIN%/contacts/%EMAILLOCALPART%/"},
    ]
    other = base_raw()["provider"][0]
    other.update(id="other", domains=["other.example"], domain_patterns=[])
    raw["provider"].append(other)
    with ServiceProcess(write_config(raw, folder / "autoconfig.toml")) as process:
        yield process


@pytest.mark.parametrize("method", ["GET", "PROPFIND"])
def test_well_known_caldav_and_carddav_redirect_to_the_servers(service: ServiceProcess, method: str) -> None:
    # When a client asks the customer's autoconfig host (a CNAME to us), as RFC 6764 section 5 says
    status, headers, _ = service.request(method, "/.well-known/caldav", headers={"Host": "autoconfig.example.org"})
    # Then it is sent to the calendar server's context path
    assert status == 301
    assert headers["Location"] == "https://dav.example.com/calendars/"
    status, headers, _ = service.request(method, "/.well-known/carddav", headers={"Host": "example.org:443"})
    assert status == 301
    assert headers["Location"] == "https://dav.example.com:8443/example.org/contacts/"


def test_well_known_dav_for_a_domain_without_dav_or_unknown_is_404(service: ServiceProcess) -> None:
    status, headers, body = service.get("/.well-known/caldav", headers={"Host": "autoconfig.other.example"})
    assert status == 404
    assert headers["Content-Type"].startswith("application/json")
    assert b"offers no caldav server" in body
    status, _, _ = service.get("/.well-known/carddav", headers={"Host": "autoconfig.unknown.example"})
    assert status == 404
