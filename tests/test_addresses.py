"""Address parsing: RFC 5321 limits, IDN in either form, control characters refused."""

from __future__ import annotations

import pytest

from autoconfig.addresses import parse_address
from autoconfig.errors import InvalidAddress


@pytest.mark.parametrize(
    ("raw", "local", "domain", "domain_unicode"),
    [
        ("mario.rossi@example.com", "mario.rossi", "example.com", "example.com"),
        ("Mario.Rossi@EXAMPLE.COM", "Mario.Rossi", "example.com", "example.com"),
        ("anna@bücher.example", "anna", "xn--bcher-kva.example", "bücher.example"),
        ("anna@xn--bcher-kva.example", "anna", "xn--bcher-kva.example", "bücher.example"),
        ("anna@BÜCHER.example", "anna", "xn--bcher-kva.example", "bücher.example"),
        ("o'brien+tag@example.com", "o'brien+tag", "example.com", "example.com"),
        ("niccolò@caffè.example", "niccolò", "xn--caff-8oa.example", "caffè.example"),
    ],
)
def test_valid_addresses_normalise_the_domain(raw: str, local: str, domain: str, domain_unicode: str) -> None:
    address = parse_address(raw)
    assert (address.local, address.domain, address.domain_unicode) == (local, domain, domain_unicode)


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("", "missing"),
        ("example.com", "exactly one '@'"),
        ("a@b@example.com", "exactly one '@'"),
        ("@example.com", "before '@' is empty"),
        ("a@", "domain is empty"),
        ("a\r\nBcc: x@example.com", "control"),
        ("a\x00@example.com", "control"),
        ("a b@example.com", "white space"),
        ("\"a\"@example.com", "may not contain"),
        ("<a>@example.com", "may not contain"),
        ("a@example.com.", "must not end with a dot"),
        ("a@.example.com", "empty label"),
        ("a@exa..mple.com", "empty label"),
        (".a@example.com", "misplaced dot"),
        ("a..b@example.com", "misplaced dot"),
        ("x" * 65 + "@example.com", "longer than 64"),
        ("a@" + "b" * 64 + ".com", "not a valid"),
        ("a@" + ".".join(["abcdefghij"] * 24) + ".com", "longer than"),
        ("a@localhost", "at least two labels"),
        ("a@127.0.0.1", "not an IP"),
        ("a@[127.0.0.1]", "not a valid"),
        ("a@exam_ple.com", "not a valid"),
        ("a@example.com\u200b", "invisible"),
        ("a\u202e@example.com", "invisible"),
        ("a@-example.com", "not a valid"),
        ("a" * 300 + "@example.com", "longer than"),
    ],
)
def test_invalid_addresses_say_what_is_wrong(raw: str, words: str) -> None:
    with pytest.raises(InvalidAddress) as info:
        parse_address(raw)
    assert words in info.value.message
