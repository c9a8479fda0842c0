"""The per-account diagnosis limit counts the login actually tried, not the address typed.

With `username = "%EMAILLOCALPART%@good.test"` and MX matching, `alice@<any domain with our
MX>` logs in as alice@good.test: keyed on the typed address, every such domain was a fresh
bucket for guessing one mailbox's password. The key is the provider and the user name(s)
the servers are asked to log in with, expanded and case-folded, hashed so the limiter's
storage never holds them. The API (and the page, which diagnoses through it) and the CLI
count in the same buckets: with `redis://` storage, one budget per mailbox everywhere.
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from .errors import AutoconfigError
from .model import Settings

KEY_PREFIX = "autoconfig"  # the web limiter's prefix: the same counters
SCOPE = "per_account"
REDIS_TIMEOUTS: dict[str, str | int] = {"socket_connect_timeout": 1, "socket_timeout": 1}


def login_key(settings: Settings) -> str | None:
    """The limit key of a diagnosis: its provider and the expanded user names it would log in
    with (pure); None without an address (nothing to log in as)."""
    if settings.address is None:
        return None
    names = sorted({s.username.casefold() for s in settings.servers if s.password_methods})
    if not names:
        return None
    digest = hashlib.sha256("\0".join((settings.provider.id, *names)).encode("utf-8")).hexdigest()
    return f"account:{digest[:32]}"


class AccountLimitReached(AutoconfigError):
    status = 429
    code = "rate_limited"

    def __init__(self, rule: str, retry_after: int) -> None:
        super().__init__(f"this mailbox was diagnosed too often ({rule}); try again in {retry_after} seconds")
        self.retry_after = retry_after


class AccountLimit:
    """`[limits] diagnostics_per_account` outside the web app (the CLI), in the same storage."""

    def __init__(self, rule: str, storage_uri: str) -> None:
        options = dict(REDIS_TIMEOUTS) if storage_uri.startswith("redis") else {}
        self.items = parse_many(rule)
        self.strategy = SlidingWindowCounterRateLimiter(storage_from_string(storage_uri, **options))

    def admit(self, settings: Settings) -> None:
        """Count one diagnosis of this login; AccountLimitReached when over the limit."""
        key = login_key(settings)
        if key is None:
            return
        for item in self.items:
            if not self.strategy.hit(item, KEY_PREFIX, SCOPE, key):
                reset = self.strategy.get_window_stats(item, KEY_PREFIX, SCOPE, key).reset_time
                raise AccountLimitReached(str(item), max(1, math.ceil(reset - time.time())))
