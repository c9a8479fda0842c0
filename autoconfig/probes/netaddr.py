"""Is an IP address internal? A pure classifier, the SSRF guard's only judge.

A hostname built from %EMAILDOMAIN% is named by whoever owns the customer's domain, so
its addresses must not lead the diagnostics into our own network. Every range below is
refused; addresses that carry an IPv4 address inside IPv6 (mapped, compatible, NAT64,
6to4) are judged by the IPv4 address they carry. Nothing here does I/O.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_V4: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "this-network"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared"),  # carrier-grade NAT, RFC 6598
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),  # also cloud metadata services (169.254.169.254)
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "reserved"),  # IETF protocol assignments
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "reserved"),  # 6to4 relay anycast, deprecated
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),  # includes 255.255.255.255
)

_V6: tuple[tuple[str, str], ...] = (
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("64:ff9b:1::/48", "private"),  # local-use NAT64, RFC 8215
    ("100::/64", "reserved"),  # discard-only
    ("2001::/23", "reserved"),  # IETF protocol assignments (Teredo, ORCHID, benchmarking…)
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
    ("fc00::/7", "private"),  # unique local
    ("fe80::/10", "link-local"),
    ("fec0::/10", "private"),  # site-local, deprecated
    ("ff00::/8", "multicast"),
)

_V4_NETS = tuple((ipaddress.IPv4Network(net), why) for net, why in _V4)
_V6_NETS = tuple((ipaddress.IPv6Network(net), why) for net, why in _V6)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated IPv4-compatible addresses
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")


@dataclass(frozen=True)
class AddressClass:
    """`reason` names the range ("private", "loopback", …) when the address is internal."""

    address: str
    reason: str | None

    @property
    def internal(self) -> bool:
        return self.reason is not None


def _embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64 or (address in _COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def _reason_v4(address: ipaddress.IPv4Address) -> str | None:
    return next((why for net, why in _V4_NETS if address in net), None)


def classify(value: str | IPAddress) -> AddressClass:
    """Classify an address; a string with a zone (`fe80::1%eth0`) counts as link-local.

    Raises ValueError for text that is not an IP address.
    """
    text = str(value)
    if isinstance(value, str) and "%" in value:
        ipaddress.ip_address(value.split("%", 1)[0])  # still must be an address
        return AddressClass(text, "link-local")
    address = ipaddress.ip_address(value)
    if isinstance(address, ipaddress.IPv4Address):
        return AddressClass(str(address), _reason_v4(address))
    embedded = _embedded_v4(address)
    if embedded is not None:
        reason = _reason_v4(embedded)
        if reason is not None:
            return AddressClass(str(address), reason)
        if address.ipv4_mapped is not None or address in _COMPATIBLE:
            return AddressClass(str(address), None)
    return AddressClass(str(address), next((why for net, why in _V6_NETS if address in net), None))


def is_internal(value: str | IPAddress) -> bool:
    return classify(value).internal
