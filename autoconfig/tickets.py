"""Ticket codes and secret link tokens: made, written, read back, hashed. Pure, no I/O.

A code is what a customer reads over the phone: six symbols shown as `K7P-4QX`, from an
alphabet without the look-alikes 0/O, 1/I/L. It opens a report only for signed-in staff.
The link token is 128 random bits; only its SHA-256 is stored, so the database alone
reopens nothing. Addresses are stored as keyed hashes (HMAC-SHA256 with a random key kept
in the database): equal inputs can be found again, the values cannot be read back.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0 O 1 I L
CODE_SYMBOLS = 6
TOKEN_BYTES = 16  # 128 bits
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")  # 16 bytes in unpadded base64url
_SEPARATORS = re.compile(r"[\s\-–—._]+")

assert not set("0O1IL") & set(ALPHABET)


def new_code() -> str:
    """Six random symbols, stored without the dash."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_SYMBOLS))


def show_code(code: str) -> str:
    """`K7P4QX` → `K7P-4QX`, as people read and type it."""
    return f"{code[:3]}-{code[3:]}"


def parse_code(text: str) -> str | None:
    """What staff typed (any case, spaces or dashes) → the stored form, or None if it cannot be a code."""
    if len(text) > 32:
        return None
    code = _SEPARATORS.sub("", text).upper()
    if len(code) != CODE_SYMBOLS or any(ch not in ALPHABET for ch in code):
        return None
    return code


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token(text: str) -> bool:
    return bool(_TOKEN.match(text))


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def keyed_hash(key: str, value: str) -> str:
    return hmac.new(key.encode("ascii"), value.encode("utf-8"), hashlib.sha256).hexdigest()
