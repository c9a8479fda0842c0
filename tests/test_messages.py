"""The one catalogue: every code has a message in Italian and English, problems have a
remedy in both, and every code the code base emits has words."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from autoconfig.messages import CATALOGUE, LANGUAGES, words

PACKAGE = Path(__file__).resolve().parent.parent / "autoconfig"
PREFIXES = sorted({code.split(".", 1)[0] for code in CATALOGUE})
CODE_LITERAL = re.compile(r"""["']((?:""" + "|".join(PREFIXES) + r""")\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)["']""")

# The codes SPEC says must exist.
SPEC_CODES = [
    "dns.mx_ok", "dns.mx_missing", "dns.mx_foreign", "dns.srv_ok", "dns.srv_missing", "dns.srv_mismatch",
    "dns.autoconfig_ok", "dns.autoconfig_missing", "net.ok", "net.resolve_failed", "net.refused",
    "net.timeout", "net.private_address_refused", "proto.bad_greeting", "tls.ok", "tls.expired",
    "tls.not_yet_valid", "tls.hostname_mismatch", "tls.untrusted", "tls.handshake_failed",
    "tls.expiring_soon", "tls.weak_protocol", "starttls.missing", "auth.ok", "auth.failed",
    "auth.plaintext_refused", "auth.too_many_connections", "auth.unavailable", "auth.disabled",
    "auth.skipped", "auth.not_attempted_insecure", "imap.folders_ok", "imap.special_use_missing",
    "imap.unsubscribed_folders", "imap.quota_ok", "imap.quota_high", "imap.quota_full",
    "imap.quota_unsupported", "pop3.mailbox_ok", "pop3.uidl_missing", "smtp.auth_ok", "smtp.auth_failed",
    "smtp.auth_not_offered",
]

# Codes whose check can end in warning or error: a person needs to be told what to do.
PROBLEMS = [
    code for code in CATALOGUE
    if code.split(".", 1)[0] in {"net", "proto", "tls", "starttls", "auth", "imap", "pop3", "smtp", "diag", "discovery"}
    and not code.endswith(("_ok", ".ok", "skipped", "quota_unsupported", "quota_unlimited", "via_mx", "profile_signed"))
]


def emitted_codes() -> dict[str, set[str]]:
    """Every string literal in the package that looks like one of the catalogue's codes."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name == "messages.py":
            continue
        for match in CODE_LITERAL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match.group(1), set()).add(str(path.relative_to(PACKAGE)))
    return found


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_code_has_a_message_in_both_languages(code: str) -> None:
    for lang in LANGUAGES:
        text = CATALOGUE[code].get(lang)
        assert text is not None and text.message.strip(), f"{code} has no {lang} message"


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_both_languages_use_the_same_fields(code: str) -> None:
    def fields(lang: str) -> set[str]:
        text = CATALOGUE[code][lang]
        parts = [text.message, text.remedy or ""]
        return {name for part in parts for _l, name, _f, _c in string.Formatter().parse(part) if name}

    assert fields("it") == fields("en")


@pytest.mark.parametrize("code", PROBLEMS)
def test_every_problem_has_a_remedy_in_both_languages(code: str) -> None:
    for lang in LANGUAGES:
        assert CATALOGUE[code][lang].remedy, f"{code} has no {lang} remedy"


def test_spec_codes_exist() -> None:
    assert [c for c in SPEC_CODES if c not in CATALOGUE] == []


def test_every_code_the_code_base_emits_is_in_the_catalogue() -> None:
    found = emitted_codes()
    assert "tls.expired" in found and "skip.budget" in found  # the scan sees the probes
    missing = {code: sorted(files) for code, files in found.items() if code not in CATALOGUE}
    assert missing == {}


def test_words_fill_parameters_and_fall_back() -> None:
    text = words("tls.expired", "it", {"host": "mail.example.com", "not_after": "2026-10-01"})
    assert "mail.example.com" in text.message and "2026-10-01" in text.message and text.remedy
    assert words("no.such_code", "it").message == "no.such_code"
