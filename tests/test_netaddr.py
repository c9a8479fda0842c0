"""The SSRF guard's classifier, as a pure function: no packet is sent to any of these."""

from __future__ import annotations

import ipaddress

import pytest

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
    ("255.255.255.255", "reserved"),
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
]

PUBLIC = ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "192.169.0.1", "2a00:1450:4001::1",
          "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"]


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
