"""Properties of address parsing, for every input hypothesis can think of: a clear
InvalidAddress or a sound Address, never a crash (a crash would be a 500 for the customer)."""

from __future__ import annotations

import string

import idna
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from autoconfig.addresses import MAX_ADDRESS, MAX_DOMAIN, MAX_LOCAL, normalize_domain, parse_address
from autoconfig.errors import InvalidAddress, InvalidDomain
from autoconfig.model import Address

# RFC 5322 atext, less '%': the service refuses it, since it marks Thunderbird's placeholders.
ATEXT = string.ascii_letters + string.digits + "!#$&'*+/=?^_`{|}~-"
LDH = string.ascii_lowercase + string.digits

atoms = st.text(ATEXT, min_size=1, max_size=20)
local_parts = st.lists(atoms, min_size=1, max_size=4).map(".".join).filter(lambda s: len(s) <= MAX_LOCAL)
# Host name labels; IDNA 2008 also reserves "--" in the third and fourth place (xn--…).
labels = st.text(LDH + "-", min_size=1, max_size=63).filter(
    lambda s: s[0] != "-" and s[-1] != "-" and s[2:4] != "--"
)
tlds = st.text(string.ascii_lowercase, min_size=2, max_size=10)
domains = st.builds(lambda ls, tld: ".".join([*ls, tld]), st.lists(labels, min_size=1, max_size=4), tlds).filter(
    lambda d: len(d) <= MAX_DOMAIN
)
addresses = st.builds(lambda local, domain: f"{local}@{domain}", local_parts, domains).filter(
    lambda a: len(a) <= MAX_ADDRESS
)
# Characters a person or a client may paste by mistake, and some that only an attacker sends.
nasty = st.sampled_from(list(" \t\r\n\x00\x0b\x0c\x7f\u00a0\u200b\u200e\u2028\u2029\ufeff\U000e0041\ud800"))
unicode_letters = "àèéìòùäöüßçñøåæœłšžčřęąńśźżабвгдежзαβγδ中文日本語한국어"
unicode_labels = st.text(unicode_letters + LDH, min_size=1, max_size=20)


def accepted_or_refused(raw: str) -> Address | None:
    """parse_address's two allowed outcomes; anything else fails the property."""
    try:
        return parse_address(raw)
    except InvalidAddress as exc:
        assert exc.message, "a refusal says what is wrong"
        assert exc.status == 400
        return None


@settings(max_examples=500)
@given(st.text(max_size=300))
@example("a@b@c.example")
@example("@example.com")
@example("a@")
@example("a@.example")
@example("a@example..com")
@example("a@xn--.example")
@example("a@xn--zz-.example")
@example("a@1.2.3.4")
@example("a@[127.0.0.1]")
@example("\"quoted local\"@example.com")
@example("%EMAILLOCALPART%@example.com")
@example("a@" + "a" * 64 + ".example")
@example("a@" + "ab." * 100 + "example")
def test_any_text_is_either_an_address_or_a_clear_refusal(raw: str) -> None:
    accepted_or_refused(raw)


@settings(max_examples=300)
@given(st.text(ATEXT + "%.@" + LDH + "-" + unicode_letters, max_size=120))
def test_address_like_text_is_either_an_address_or_a_clear_refusal(raw: str) -> None:
    accepted_or_refused(raw)


@settings(max_examples=300)
@given(addresses)
def test_every_well_formed_address_is_accepted_and_stable(raw: str) -> None:
    address = parse_address(raw)
    local, _, domain = raw.partition("@")
    assert address.local == local
    assert address.domain == domain == address.domain_unicode
    assert address.email == raw
    # parsing what we produced gives the same address back
    assert parse_address(address.email) == address


@settings(max_examples=200)
@given(local_parts, domains)
def test_the_domain_is_case_insensitive_the_local_part_kept(local: str, domain: str) -> None:
    assume(len(local) + 1 + len(domain) <= MAX_ADDRESS)
    lower = parse_address(f"{local}@{domain}")
    upper = parse_address(f"{local}@{domain.upper()}")
    assert upper.domain == lower.domain == domain
    assert upper.local == local


@settings(max_examples=300)
@given(addresses, nasty, st.integers(min_value=0))
def test_a_control_or_invisible_character_anywhere_is_refused(raw: str, bad: str, where: int) -> None:
    position = where % (len(raw) + 1)
    assert accepted_or_refused(raw[:position] + bad + raw[position:]) is None


@settings(max_examples=300)
@given(st.text(max_size=400))
def test_whatever_is_accepted_fits_the_smtp_limits(raw: str) -> None:
    address = accepted_or_refused(raw)
    if address is None:
        return
    assert 0 < len(address.local.encode("utf-8")) <= MAX_LOCAL
    assert len(address.domain) <= MAX_DOMAIN
    assert len(address.email.encode("utf-8")) <= MAX_ADDRESS
    assert address.domain.isascii() and address.domain == address.domain.lower()
    assert "." in address.domain


@settings(max_examples=300)
@given(st.lists(unicode_labels, min_size=1, max_size=3), tlds)
def test_an_idn_domain_and_its_punycode_are_the_same_domain(names: list[str], tld: str) -> None:
    unicode_domain = ".".join([*names, tld])
    try:
        a_label = idna.encode(unicode_domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        assume(False)
        return
    assume(len(a_label) <= MAX_DOMAIN)
    by_unicode = parse_address(f"mario@{unicode_domain}")
    by_punycode = parse_address(f"mario@{a_label}")
    assert by_unicode == by_punycode
    assert by_unicode.domain == a_label.lower()
    assert by_unicode.email_unicode == f"mario@{by_unicode.domain_unicode}"


@settings(max_examples=300)
@given(st.text(max_size=100))
def test_normalize_domain_is_idempotent_or_refuses_clearly(raw: str) -> None:
    try:
        a_label, u_label = normalize_domain(raw)
    except InvalidDomain as exc:
        assert exc.message
        return
    assert normalize_domain(a_label) == (a_label, u_label)
    assert normalize_domain(u_label) == (a_label, u_label)
