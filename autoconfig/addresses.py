"""Parse what a user typed into a validated Address, or say precisely what is wrong with it."""

from __future__ import annotations

import re
import unicodedata

import idna

from .errors import InvalidAddress, InvalidDomain
from .model import Address

MAX_ADDRESS = 254
MAX_LOCAL = 64
MAX_DOMAIN = 253
MAX_LABEL = 63

# RFC 5322 atext plus '.', and any non-ASCII letter/number/mark (RFC 6531 internationalised mail).
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
# An all-ASCII name of LDH labels with no A-label needs no IDNA processing (the common case).
_PLAIN_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_ALLOWED_UNICODE = ("L", "N", "M")


def _refuse_controls(text: str, what: type[InvalidAddress] | type[InvalidDomain]) -> None:
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\r\n\x00" or category in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
            raise what(f"contains a control or invisible character (U+{ord(ch):04X})")
        if ch.isspace():
            raise what("contains white space")


def normalize_domain(raw: str) -> tuple[str, str]:
    """Return the domain as (A-label, U-label), both lower case, per IDNA 2008 with UTS 46 mapping."""
    if not raw:
        raise InvalidDomain("the domain is empty")
    lowered = raw.lower()
    if len(lowered) <= MAX_DOMAIN and _PLAIN_DOMAIN.match(lowered) and "xn--" not in lowered and lowered.isascii():
        return lowered, lowered
    if len(raw) > 4 * MAX_DOMAIN:
        raise InvalidDomain("the domain is too long")
    _refuse_controls(raw, InvalidDomain)
    if raw.endswith("."):
        raise InvalidDomain("the domain must not end with a dot")
    if raw.startswith(".") or ".." in raw:
        raise InvalidDomain("the domain has an empty label")
    try:
        ascii_domain = idna.encode(raw, uts46=True, transitional=False).decode("ascii").lower()
        unicode_domain = idna.decode(ascii_domain)
    except (idna.IDNAError, UnicodeError) as exc:
        if str(exc).lower().startswith("domain too long"):
            raise InvalidDomain(f"the domain is longer than {MAX_DOMAIN} characters") from None
        raise InvalidDomain(f"the domain is not a valid (internationalised) domain name: {exc}") from None
    if len(ascii_domain) > MAX_DOMAIN:
        raise InvalidDomain(f"the domain is longer than {MAX_DOMAIN} characters")
    labels = ascii_domain.split(".")
    if len(labels) < 2:
        raise InvalidDomain("the domain needs at least two labels, like example.com")
    for label in labels:
        if not _LABEL.match(label):
            raise InvalidDomain(f"the domain label {label!r} is not a valid host name label")
    if labels[-1].isdigit():
        raise InvalidDomain("the domain must be a name, not an IP address")
    return ascii_domain, unicode_domain


def parse_address(raw: str | None) -> Address:
    """Validate an address by RFC 5321 lengths and characters; domains may be Unicode or punycode."""
    if raw is None or raw == "":
        raise InvalidAddress("the e-mail address is missing")
    if len(raw) > 4 * MAX_ADDRESS:
        raise InvalidAddress(f"the e-mail address is longer than {MAX_ADDRESS} characters")
    _refuse_controls(raw, InvalidAddress)
    if raw.count("@") != 1:
        raise InvalidAddress("an e-mail address has exactly one '@', like name@example.com")
    local, _, domain = raw.partition("@")
    if not local:
        raise InvalidAddress("the part before '@' is empty")
    if len(local.encode("utf-8")) > MAX_LOCAL:
        raise InvalidAddress(f"the part before '@' is longer than {MAX_LOCAL} bytes")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidAddress("the part before '@' has a misplaced dot")
    if "%" in local:
        raise InvalidAddress("the part before '@' may not contain '%' (it marks placeholders)")
    for ch in local:
        if not (_ATEXT.match(ch) or (ord(ch) > 127 and unicodedata.category(ch)[0] in _ALLOWED_UNICODE)):
            raise InvalidAddress(f"the part before '@' may not contain {ch!r}")
    try:
        ascii_domain, unicode_domain = normalize_domain(domain)
    except InvalidDomain as exc:
        raise InvalidAddress(exc.message) from None
    local = unicodedata.normalize("NFC", local)
    if len(local.encode("utf-8")) + 1 + len(ascii_domain) > MAX_ADDRESS:
        raise InvalidAddress(f"the e-mail address is longer than {MAX_ADDRESS} characters")
    return Address(local=local, domain=ascii_domain, domain_unicode=unicode_domain)
