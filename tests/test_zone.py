"""The zone lines a customer should publish (formats/zone.py), and deploy/zone.example.db."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dns.rdatatype
import dns.zone
from click.testing import CliRunner

from autoconfig.cli import main
from autoconfig.config import DEMO_CONFIG, build_config, load_config
from autoconfig.formats import zone
from autoconfig.model import Provider
from tests.conftest import REPO, base_raw
from tests.support.dns import KnotServer

SAMPLE = REPO / "deploy" / "zone.example.db"


def provider_with(tmp_path: Path, servers: list[dict[str, Any]] | None = None, **fields: Any) -> Provider:
    raw = base_raw()
    raw["provider"][0].update(fields)
    if servers is not None:
        raw["provider"][0]["server"] = servers
    return build_config(raw, base_dir=tmp_path).providers[0]


def record_lines(text: str) -> list[str]:
    """The resource records of a zone file, without comments, directives, SOA and NS."""
    lines = []
    for line in text.splitlines():
        if not line.strip() or line.startswith((";", "$")):
            continue
        if line.split()[3] in ("SOA", "NS"):
            continue
        lines.append(line)
    return lines


def parses_as_zone(domain: str, lines: tuple[str, ...]) -> dns.zone.Zone:
    head = "@ 3600 IN SOA ns.invalid. hostmaster.invalid. 1 7200 3600 1209600 3600\n@ 3600 IN NS ns.invalid.\n"
    return dns.zone.from_text(head + "\n".join(lines) + "\n", origin=domain, relativize=False)


def test_srv_records_follow_the_order_of_preference(tmp_path: Path) -> None:
    servers = [
        {"protocol": "imap", "hostname": "imap.example.com", "port": 993, "security": "tls"},
        {"protocol": "pop3", "hostname": "pop.example.com", "port": 995, "security": "tls"},
        {"protocol": "imap", "hostname": "imap2.example.com", "port": 993, "security": "tls"},
        {"protocol": "pop3", "hostname": "pop.example.com", "port": 110, "security": "plain"},
        {"protocol": "smtp", "hostname": "smtp.%EMAILDOMAIN%", "port": 587, "security": "starttls"},
    ]
    provider = provider_with(tmp_path, servers, mx_hosts=["mx1.example.com", "mx2.%EMAILDOMAIN%"])
    lines = zone.lines(provider, "cliente.it", "https://autoconfig.example.com")
    assert lines == (
        "cliente.it.                    3600 IN MX    10 mx1.example.com.",
        "cliente.it.                    3600 IN MX    20 mx2.cliente.it.",
        "_imaps._tcp.cliente.it.        3600 IN SRV   0 0 993 imap.example.com.",
        "_imaps._tcp.cliente.it.        3600 IN SRV   20 0 993 imap2.example.com.",
        "_imap._tcp.cliente.it.         3600 IN SRV   0 0 0 .",
        "_pop3s._tcp.cliente.it.        3600 IN SRV   10 0 995 pop.example.com.",
        "_pop3._tcp.cliente.it.         3600 IN SRV   0 0 0 .",  # plain POP3 is never published
        "_submissions._tcp.cliente.it.  3600 IN SRV   0 0 0 .",
        "_submission._tcp.cliente.it.   3600 IN SRV   0 0 587 smtp.cliente.it.",
        "autoconfig.cliente.it.         3600 IN CNAME autoconfig.example.com.",
        "autodiscover.cliente.it.       3600 IN CNAME autoconfig.example.com.",
        "_autodiscover._tcp.cliente.it. 3600 IN SRV   0 0 443 autoconfig.example.com.",
    )
    assert len(list(parses_as_zone("cliente.it", lines).iterate_rdatas())) == len(lines) + 2


def test_the_service_host_decides_cname_a_or_aaaa(tmp_path: Path) -> None:
    provider = provider_with(tmp_path)
    by_url = {
        "https://autoconfig.example.com:8443/x": ("CNAME autoconfig.example.com.", "0 0 8443 autoconfig.example.com."),
        "http://setup.example.com": ("CNAME setup.example.com.", "0 0 80 setup.example.com."),
        "http://192.0.2.1:8080": ("A     192.0.2.1", None),
        "https://[2001:db8::1]": ("AAAA  2001:db8::1", None),
    }
    for url, (host_record, srv) in by_url.items():
        lines = zone.lines(provider, "cliente.it", url)
        autoconfig = next(line for line in lines if line.startswith("autoconfig."))
        assert autoconfig.endswith(f"IN {host_record}"), (url, autoconfig)
        autodiscover_srv = [line for line in lines if line.startswith("_autodiscover.")]
        # an SRV target must be a host name: no SRV for a URL with an IP address
        assert [line.split(" IN SRV   ")[1] for line in autodiscover_srv] == ([srv] if srv else []), url
        parses_as_zone("cliente.it", lines)


def test_no_cname_loop_on_the_service_hosts_own_domain(tmp_path: Path) -> None:
    provider = provider_with(tmp_path)
    lines = zone.lines(provider, "example.com", "https://autoconfig.example.com")
    assert not any(line.startswith("autoconfig.example.com.") for line in lines)
    assert any(line.startswith("autodiscover.example.com.") for line in lines)


def test_internationalised_domains_use_a_labels(tmp_path: Path) -> None:
    provider = provider_with(tmp_path, mx_hosts=["mx.%EMAILDOMAIN%"])
    text = zone.render(provider, "xn--caff-8oa.it", "https://autoconfig.example.com")
    assert text.startswith("xn--caff-8oa.it. ")
    assert "10 mx.xn--caff-8oa.it.\n" in text
    assert text.endswith("\n") and "è" not in text


def test_sample_zone_is_what_the_demo_recommends_for_example_com() -> None:
    # Given the bundled demo configuration
    config = load_config(DEMO_CONFIG)
    expected = zone.lines(config.providers[0], "example.com", config.service.public_url)
    # Then the sample zone's records are exactly those lines, in order, and it is a valid zone
    assert record_lines(SAMPLE.read_text(encoding="utf-8")) == list(expected)
    loaded = dns.zone.from_file(str(SAMPLE), origin="example.com", relativize=False)
    assert loaded.get_rdataset("example.com.", dns.rdatatype.SOA) is not None


def test_autoconfig_dns_prints_the_sample_zone_lines(tmp_path: Path, dns_server: KnotServer) -> None:
    # Given the demo configuration, asking our Knot instead of the system resolver, and
    # example.com serving the sample zone (plus the MX the domain already has)
    text = DEMO_CONFIG.read_text(encoding="utf-8")
    assert "nameservers = []" in text
    (tmp_path / "autoconfig.toml").write_text(
        text.replace("nameservers = []", f'nameservers = ["{dns_server.nameserver}"]'), encoding="utf-8"
    )
    (tmp_path / "domains.txt").write_text((DEMO_CONFIG.parent / "domains.txt").read_text(encoding="utf-8"))
    sample = record_lines(SAMPLE.read_text(encoding="utf-8"))
    dns_server.set_zone("example.com", "\n".join([*sample, "@ 3600 IN MX 10 mail.example.com."]))
    # When the operator runs `autoconfig dns example.com`
    config_file = str(tmp_path / "autoconfig.toml")
    result = CliRunner().invoke(main, ["dns", "example.com", "--config", config_file, "--lang", "en"])
    # Then it prints the sample's lines as the lines to publish, and finds them all in place
    assert result.exit_code == 0, result.output
    printed = result.output.split("Lines to publish in the DNS zone:\n", 1)[1].splitlines()
    assert printed == sample
    table = result.output.split("\n\n", 1)[0].splitlines()[1:]
    assert all(row.startswith("ok ") for row in table), table
