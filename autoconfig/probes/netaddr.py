"""Is an IP address internal, and may a password go there? Pure functions, the guards' only judges.

A hostname built from %EMAILDOMAIN% is named by whoever owns the customer's domain, so
its addresses must not lead the diagnostics into our own network. Every block of the IANA
special-purpose address registries (IPv4 and IPv6, as of 2025) is refused, and so is IPv6
outside global unicast (2000::/3). Addresses that carry an IPv4 address inside IPv6 are
judged by the IPv4 address they carry; only NAT64's well-known prefix and 6to4 may then
pass (DNS64 resolvers hand out 64:ff9b:: addresses for every IPv4-only host), the other
forms (mapped, translated, compatible) never name a real mail server. Nothing here does I/O.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Block:
    """One row of a special-purpose registry: the block, its registry name, why we refuse it."""

    network: IPNetwork
    name: str
    reason: str


def _blocks(rows: Iterable[tuple[str, str, str]]) -> tuple[Block, ...]:
    """Most specific first, so an address gets the name of the smallest block holding it."""
    made = [Block(ipaddress.ip_network(net), name, reason) for net, name, reason in rows]
    return tuple(sorted(made, key=lambda b: -b.network.prefixlen))


# https://www.iana.org/assignments/iana-ipv4-special-registry, plus multicast (RFC 5771).
IPV4_SPECIAL = _blocks((
    ("0.0.0.0/8", "This network", "this-network"),
    ("0.0.0.0/32", "This host on this network", "this-network"),
    ("10.0.0.0/8", "Private-Use", "private"),
    ("100.64.0.0/10", "Shared Address Space", "shared"),
    ("127.0.0.0/8", "Loopback", "loopback"),
    ("169.254.0.0/16", "Link Local", "link-local"),  # cloud metadata services too (169.254.169.254)
    ("172.16.0.0/12", "Private-Use", "private"),
    ("192.0.0.0/24", "IETF Protocol Assignments", "reserved"),
    ("192.0.0.0/29", "IPv4 Service Continuity Prefix", "reserved"),
    ("192.0.0.8/32", "IPv4 dummy address", "reserved"),
    ("192.0.0.9/32", "Port Control Protocol Anycast", "anycast"),
    ("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "anycast"),
    ("192.0.0.170/32", "NAT64/DNS64 Discovery", "reserved"),
    ("192.0.0.171/32", "NAT64/DNS64 Discovery", "reserved"),
    ("192.0.2.0/24", "Documentation (TEST-NET-1)", "documentation"),
    ("192.31.196.0/24", "AS112-v4", "anycast"),
    ("192.52.193.0/24", "AMT", "anycast"),
    ("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "reserved"),
    ("192.168.0.0/16", "Private-Use", "private"),
    ("192.175.48.0/24", "Direct Delegation AS112 Service", "anycast"),
    ("198.18.0.0/15", "Benchmarking", "benchmarking"),
    ("198.51.100.0/24", "Documentation (TEST-NET-2)", "documentation"),
    ("203.0.113.0/24", "Documentation (TEST-NET-3)", "documentation"),
    ("224.0.0.0/4", "Multicast", "multicast"),
    ("240.0.0.0/4", "Reserved", "reserved"),
    ("255.255.255.255/32", "Limited Broadcast", "broadcast"),
))

# https://www.iana.org/assignments/iana-ipv6-special-registry, plus multicast and the
# deprecated site-local block. The four translation prefixes are judged by what they carry.
IPV6_SPECIAL = _blocks((
    ("::/128", "Unspecified Address", "unspecified"),
    ("::1/128", "Loopback Address", "loopback"),
    ("64:ff9b:1::/48", "IPv4-IPv6 Translat. (local use)", "private"),
    ("100::/64", "Discard-Only Address Block", "reserved"),
    ("100:0:0:1::/64", "Dummy IPv6 Prefix", "reserved"),
    ("2001::/23", "IETF Protocol Assignments", "reserved"),
    ("2001::/32", "TEREDO", "reserved"),
    ("2001:1::1/128", "Port Control Protocol Anycast", "anycast"),
    ("2001:1::2/128", "Traversal Using Relays around NAT Anycast", "anycast"),
    ("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "anycast"),
    ("2001:2::/48", "Benchmarking", "benchmarking"),
    ("2001:3::/32", "AMT", "anycast"),
    ("2001:4:112::/48", "AS112-v6", "anycast"),
    ("2001:10::/28", "Deprecated (previously ORCHID)", "reserved"),
    ("2001:20::/28", "ORCHIDv2", "reserved"),
    ("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "reserved"),
    ("2001:db8::/32", "Documentation", "documentation"),
    ("2620:4f:8000::/48", "Direct Delegation AS112 Service", "anycast"),
    ("3fff::/20", "Documentation", "documentation"),
    ("5f00::/16", "Segment Routing (SRv6) SIDs", "reserved"),
    ("fc00::/7", "Unique-Local", "private"),
    ("fe80::/10", "Link-Local Unicast", "link-local"),
    ("fec0::/10", "Site-Local (deprecated)", "private"),
    ("ff00::/8", "Multicast", "multicast"),
))

MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")  # IPv4-mapped, RFC 4291
TRANSLATED = ipaddress.IPv6Network("::ffff:0:0:0/96")  # IPv4-translated, RFC 2765 (SIIT)
COMPATIBLE = ipaddress.IPv6Network("::/96")  # IPv4-compatible, deprecated by RFC 4291
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix, RFC 6052
SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")  # RFC 3056
GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")

# Embedding form → the reason when the IPv4 address inside is public; None: then it may pass.
_EMBEDDINGS: tuple[tuple[ipaddress.IPv6Network, str | None], ...] = (
    (MAPPED, "ipv4-mapped"),
    (TRANSLATED, "ipv4-translated"),
    (NAT64, None),
    (SIX_TO_FOUR, None),
    (COMPATIBLE, "ipv4-compatible"),
)


@dataclass(frozen=True)
class AddressClass:
    """`reason` names the range ("private", "loopback", …) when the address is internal."""

    address: str
    reason: str | None

    @property
    def internal(self) -> bool:
        return self.reason is not None


def special_block(address: IPAddress) -> Block | None:
    """The smallest special-purpose block that holds `address`, or None."""
    table = IPV4_SPECIAL if isinstance(address, ipaddress.IPv4Address) else IPV6_SPECIAL
    return next((b for b in table if address in b.network), None)


def embedded_v4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, translated, compatible, NAT64, 6to4)."""
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net, _ in _EMBEDDINGS) and int(address) > 1:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _reason_v6(address: ipaddress.IPv6Address) -> str | None:
    for net, own_reason in _EMBEDDINGS:
        if address in net and (address not in COMPATIBLE or int(address) > 1):
            inner = embedded_v4(address)
            assert inner is not None
            block = special_block(inner)
            return block.reason if block is not None else own_reason
    block = special_block(address)
    if block is not None:
        return block.reason
    return None if address in GLOBAL_UNICAST else "reserved"


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
        block = special_block(address)
        return AddressClass(str(address), block.reason if block else None)
    return AddressClass(str(address), _reason_v6(address))


def is_internal(value: str | IPAddress) -> bool:
    return classify(value).internal


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """CIDRs as written in the configuration (host bits allowed) → networks; ValueError if not one."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values)


def within(value: str | IPAddress, networks: Iterable[IPNetwork]) -> bool:
    """Does the address lie in one of `networks`? An IPv4-mapped IPv6 address counts as its
    IPv4 address; a zone or text that is no address is never inside."""
    if isinstance(value, str) and "%" in value:
        return False
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address.version == net.version and address in net for net in networks)
