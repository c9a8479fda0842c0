"""Who may use the helpdesk console and its API: staff accounts (argon2 hashes) and bearer
tokens for helpdesk systems (SHA-256 hashes), each in a small text file.

Users file: `name:$argon2id$…` lines. Tokens file: `name:sha256-hex` lines. Both are written
by the CLI (`autoconfig helpdesk add-user|add-token`), read at each use (they are small, and a
new account works without a restart), and never hold a password or a token in clear.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

NAME = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
MIN_PASSWORD = 12
_HASHER = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY = _HASHER.hash(secrets.token_urlsafe(16))


class StaffFileError(ValueError):
    """A name or password the files cannot take; the message says why (never the password)."""


def _read(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    entries: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.strip().partition(":")
        if sep and NAME.match(name) and value:
            entries[name] = value
    return entries


def _write(path: Path, entries: dict[str, str]) -> None:
    """Replace the file atomically, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.writelines(f"{name}:{value}\n" for name, value in sorted(entries.items()))
    os.replace(temporary, path)


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise StaffFileError("a name is 1 to 64 letters, digits, '.', '_', '@' or '-'")
    return name


def add_user(path: Path, name: str, password: str) -> bool:
    """Add or replace `name`'s password; True if the account is new."""
    check_name(name)
    if len(password) < MIN_PASSWORD:
        raise StaffFileError(f"the password needs at least {MIN_PASSWORD} characters")
    entries = _read(path)
    new = name not in entries
    entries[name] = _HASHER.hash(password)
    _write(path, entries)
    return new


def verify_user(path: Path | None, name: str, password: str) -> bool:
    stored = _read(path).get(name)
    try:
        return _HASHER.verify(stored or _DUMMY, password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def user_exists(path: Path | None, name: str) -> bool:
    return name in _read(path)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_token(path: Path, name: str) -> str:
    """A new random token for `name` (replacing its old one); only its hash is written."""
    check_name(name)
    token = secrets.token_urlsafe(32)
    entries = _read(path)
    entries[name] = token_hash(token)
    _write(path, entries)
    return token


def token_owner(path: Path | None, token: str) -> str | None:
    """The name whose token this is, or None (compared in constant time)."""
    if not token or len(token) > 256:
        return None
    wanted = token_hash(token)
    owner = None
    for name, stored in _read(path).items():
        if hmac.compare_digest(stored, wanted):
            owner = name
    return owner
