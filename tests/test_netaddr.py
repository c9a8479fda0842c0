"""The SSRF guard's classifier, as a pure function: no packet is sent to any of these."""

from __future__ import annotations

import ipaddress

import pytest

from autoconfig.probes import netaddr
from autoconfig.probes.netaddr import classify, is_internal

INTERNAL = [
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("127.0.0.1", "loopback"),
    ("127.8.9.10", "loopback"),
    ("169.254.169.254", "link-local"),  # cloud metadata
    ("100.64.0.1", "shared"),
    ("100.127.255.255", "shared"),
    ("0.0.0.0", "this-network"),
    ("192.0.0.8", "reserved"),
    ("192.0.2.1", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("224.0.0.1", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("::1", "loopback"),
    ("::", "unspecified"),
    ("fc00::1", "private"),
    ("fd12:3456:789a::1", "private"),
    ("fe80::1", "link-local"),
    ("febf::1", "link-local"),
    ("fec0::1", "private"),
    ("ff02::1", "multicast"),
    ("2001:db8::1", "documentation"),
    ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("::ffff:10.1.2.3", "private"),
    ("::ffff:169.254.169.254", "link-local"),
    ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    ("64:ff9b:1::1", "private"),  # local-use NAT64
    ("2002:a00:1::1", "private"),  # 6to4 of 10.0.0.1
    ("2002:7f00:1::1", "loopback"),  # 6to4 of 127.0.0.1
    ("::127.0.0.1", "loopback"),  # IPv4-compatible (deprecated)
    ("2001::1", "reserved"),  # Teredo
    ("fe80::1%eth0", "link-local"),
    # Found by the attack (issue 16): blocks the old table missed.
    ("::ffff:0:7f00:1", "loopback"),  # IPv4-translated (SIIT) form of 127.0.0.1
    ("::ffff:0:808:808", "ipv4-translated"),  # the translated form never names a mail server
    ("::ffff:8.8.8.8", "ipv4-mapped"),  # mapped: not globally reachable, whatever it carries
    ("5f00::1", "reserved"),  # SRv6 SIDs
    ("100:0:0:1::1", "reserved"),  # dummy prefix
    ("2001:2::1", "benchmarking"),
    ("2001:1::1", "anycast"),
    ("2001:20::1", "reserved"),  # ORCHIDv2
    ("2620:4f:8000::1", "anycast"),  # AS112
    ("3fff::1", "documentation"),
    ("192.0.0.9", "anycast"),
    ("192.31.196.1", "anycast"),
    ("192.52.193.1", "anycast"),
    ("192.175.48.1", "anycast"),
    ("192.0.0.170", "reserved"),
    ("4000::1", "reserved"),  # outside global unicast (2000::/3), not yet allocated
    ("::8.8.8.8", "ipv4-compatible"),
    ("64:ff9b::7f00:1", "loopback"),  # NAT64 of 127.0.0.1
    ("64:ff9b:1::808:808", "private"),  # local-use NAT64, whatever it carries
]

PUBLIC = ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1", "2a00:1450:4001::1",
          "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1", "2001:4860:4860::8888",
          "192.0.1.1", "198.20.0.1", "3ffe::1"]


@pytest.mark.parametrize(("address", "reason"), INTERNAL)
def test_internal_ranges_are_refused_with_their_name(address: str, reason: str) -> None:
    verdict = classify(address)
    assert verdict.internal and verdict.reason == reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert not is_internal(address)
    assert classify(address).reason is None


def test_address_objects_work_like_text() -> None:
    assert is_internal(ipaddress.ip_address("192.168.0.1"))
    assert not is_internal(ipaddress.ip_address("2a00:1450:4001::1"))


@pytest.mark.parametrize("text", ["mail.example.com", "", "10.0.0", "1.2.3.4.5", "::g"])
def test_text_that_is_no_address_raises(text: str) -> None:
    with pytest.raises(ValueError):
        classify(text)


# The IANA special-purpose registries, row by row (block, globally reachable): every row
# the registries hold is in our tables, with a reason, and a sample of it is refused.
IANA_IPV4 = [
    "0.0.0.0/8", "0.0.0.0/32", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.0.0.0/29", "192.0.0.8/32", "192.0.0.9/32", "192.0.0.10/32",
    "192.0.0.170/32", "192.0.0.171/32", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
    "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "240.0.0.0/4", "255.255.255.255/32",
]
IANA_IPV6 = [
    "::1/128", "::/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "100:0:0:1::/64",
    "2001::/23", "2001::/32", "2001:1::1/128", "2001:1::2/128", "2001:1::3/128", "2001:2::/48", "2001:3::/32",
    "2001:4:112::/48", "2001:10::/28", "2001:20::/28", "2001:30::/28", "2001:db8::/32", "2002::/16",
    "2620:4f:8000::/48", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10",
]
# Judged by the IPv4 address inside (NAT64 and 6to4 carry real hosts' addresses).
TRANSLATION = {"::ffff:0:0/96", "64:ff9b::/96", "2002::/16"}


@pytest.mark.parametrize("block", IANA_IPV4 + IANA_IPV6)
def test_every_registry_block_is_refused(block: str) -> None:
    network = ipaddress.ip_network(block)
    tables = {b.network for b in (*netaddr.IPV4_SPECIAL, *netaddr.IPV6_SPECIAL)}
    if block in TRANSLATION:
        assert network in {netaddr.MAPPED, netaddr.NAT64, netaddr.SIX_TO_FOUR}
        inside = network[0x0A000001] if network.version == 6 and block != "2002::/16" else None
        if inside is not None:  # carrying 10.0.0.1
            assert classify(inside).reason == "private"
        return
    assert network in tables
    for sample in (network[0], network[-1], network[network.num_addresses // 2]):
        assert is_internal(sample), sample


@pytest.mark.parametrize("text", [
    "0.1.2.3", "10.20.30.40", "100.100.0.1", "127.1.2.3", "169.254.1.1", "172.20.1.1", "192.0.0.1",
    "192.168.9.9", "198.19.255.1", "203.0.113.77", "240.1.1.1", "255.255.255.255",
    "::", "::1", "::ffff:1.2.3.4", "64:ff9b:1::1", "100::1", "2001::1", "2001:db8:1::1", "2001:10::1",
    "fc00::1", "fe80::2", "ff05::2", "5f00:1::1", "3fff:1::1",
])
def test_what_python_calls_not_global_is_refused_and_more(text: str) -> None:
    # Given Python's own reading of the registries (ipaddress.is_global)
    address = ipaddress.ip_address(text)
    # Then an address it calls not global is internal to us as well (and ours is the stricter:
    # Python 3.11 predates 5f00::/16, 3fff::/20 and calls ::ffff:1.2.3.4 or ff05::2 global)
    assert is_internal(address), (text, address.is_global)


@pytest.mark.parametrize(("address", "networks", "inside"), [
    ("192.0.2.10", ["192.0.2.0/24"], True),
    ("192.0.2.10", ["198.51.100.0/24"], False),
    ("2001:db8::25", ["2001:db8::/32"], True),
    ("2001:db8::25", ["192.0.2.0/24"], False),
    ("::ffff:192.0.2.10", ["192.0.2.0/24"], True),  # mapped counts as its IPv4 address
    ("192.0.2.10", [], False),  # no list: nothing is inside
    ("fe80::1%eth0", ["fe80::/10"], False),  # a zone is never a mail host
    ("not-an-address", ["0.0.0.0/0"], False),
    ("203.0.113.5", ["203.0.113.5"], True),  # a bare address is its /32
])
def test_within_login_networks(address: str, networks: list[str], inside: bool) -> None:
    assert netaddr.within(address, netaddr.parse_networks(networks)) is inside
