"""Abuse limits (Flask-Limiter), one Limiter per app, counters in `[limits] storage_uri`.

- Diagnoses (`POST /api/v1/diagnostics`): `diagnostics_per_ip` per client address and
  `diagnostics_per_account` per login the diagnosis would try (accountlimit.py: the expanded
  user name at the server, not the address typed): a diagnosis opens connections and may try
  a password, so both a noisy client and a guessed account are capped.
- Client setup and the cheap lookups (autoconfig, autodiscover, mobileconfig, settings,
  DNS, advice): one generous `autoconfig_per_ip` bucket per client address, shared by all of them.
- Lookups that must ask DNS (a domain no list names, whose MX decides): a lower
  `dns_lookups_per_ip` bucket per client address, counted only when DNS is really asked
  (directory.py calls the check; cached answers and served domains never count).

Each view says which limit it is under, with `@limited(SETUP)` or `@limited(DIAGNOSIS)` next
to its route; `init_app` reads those marks from the app's views, so a view keeps its limit
whatever its path. The diagnosis limits go through Flask-Limiter, wrapped around that view. The
client-setup bucket is checked with Flask-Limiter's own `limits` strategy and storage in
one before-request hook: Flask-Limiter's per-request resolution cost about 0.5 ms, more
than the whole autoconfig answer, on the endpoints that clients hit most.
A refusal is a 429 with `Retry-After` and a message in the request's language. With
`memory://` each process counts alone; with `redis://` every instance and worker shares
the counters. When Redis is unreachable the limiter falls back to per-process memory
instead of failing requests (healthz says so).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RateLimitExceeded, RouteLimit
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import RateLimiter, SlidingWindowCounterRateLimiter
from werkzeug.exceptions import HTTPException

from ..accountlimit import SCOPE as ACCOUNT_SCOPE
from ..accountlimit import login_key
from ..i18n import request_language
from ..logs import redact_path
from ..model import Settings
from .answers import refusal_answer
from .context import ADMIT_LOOKUP, services
from .jsonbody import body_or_none
from .observability import Metrics, metrics

log = logging.getLogger(__name__)

EXTENSION = "autoconfig.limiter"
SETUP_BUCKET = "autoconfig.setup_bucket"
LOOKUP_BUCKET = "autoconfig.lookup_bucket"
ACCOUNT_BUCKET = "autoconfig.account_bucket"
KEY_PREFIX = "autoconfig"

PER_IP, PER_ACCOUNT, AUTOCONFIG, LOOKUPS = "per_ip", ACCOUNT_SCOPE, "autoconfig_per_ip", "dns_lookups_per_ip"
# What a view declares with @limited(...): the client-setup bucket, or the diagnosis limits.
Kind = Literal["setup", "diagnosis"]
SETUP: Kind = "setup"
DIAGNOSIS: Kind = "diagnosis"
_MARK = "_autoconfig_limit"
View = TypeVar("View", bound=Callable[..., Any])
# A client owning an IPv6 /64 has 2**64 addresses: count the network, not the address.
IPV6_PREFIX = 64
REDIS_TIMEOUTS: dict[str, str | int] = {"socket_connect_timeout": 1, "socket_timeout": 1}


def limited(kind: Kind) -> Callable[[View], View]:
    """Declare, next to a view's route, the limit it is under; `init_app` reads it."""

    def mark(view: View) -> View:
        setattr(view, _MARK, kind)
        return view

    return mark


def declared(app: Flask, kind: Kind) -> frozenset[str]:
    """The endpoints of `app` whose views declared `kind`."""
    return frozenset(endpoint for endpoint, view in app.view_functions.items() if getattr(view, _MARK, None) == kind)


def client_key() -> str:
    """The client's address (after ProxyFix), IPv6 reduced to its /64."""
    return client_key_for(request.remote_addr)


def client_key_for(remote_addr: str | None) -> str:
    """The limit key of a client address: itself, IPv6 reduced to its /64."""
    raw = remote_addr or ""
    if ":" not in raw and raw:
        return raw  # IPv4 (or a name a trusted proxy sent): the address is the key
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


def _language() -> str:
    """The body's `lang` for the JSON API, else what i18n decides (?lang=, Accept-Language)."""
    body = body_or_none() if request.is_json else None
    wanted = body.get("lang") if isinstance(body, dict) else None
    return request_language(wanted if isinstance(wanted, str) else None)


def limiter(app: Flask | None = None) -> Limiter:
    return (app or current_app).extensions[EXTENSION]  # type: ignore[no-any-return]


def storage_status(app: Flask) -> str:
    """"memory" (per process), "ok" (shared storage answers) or "unreachable"."""
    if services(app).config.limits.storage_uri.startswith("memory://"):
        return "memory"
    try:
        return "ok" if limiter(app).storage.check() else "unreachable"
    except Exception:
        return "unreachable"


def endpoint_for(app: Flask, method: str, path: str) -> str | None:
    """The endpoint that serves `method path` in this app, or None."""
    adapter = app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path, method=method)
    except HTTPException:
        return None
    return str(endpoint)


def _wrap(app: Flask, endpoint: str, *decorators: Callable[[Any], Any]) -> None:
    view = app.view_functions[endpoint]
    for decorate in decorators:
        view = decorate(view)
    app.view_functions[endpoint] = view


def _attach(app: Flask, endpoints: set[str], *limits: RouteLimit) -> None:
    """Wrap each endpoint's view with `limits`, checked when that view runs."""
    for endpoint in sorted(endpoints):
        _wrap(app, endpoint, *limits)


def _refused(exc: RateLimitExceeded) -> Response:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scope = exc.limit.scope if isinstance(exc.limit.scope, str) else "unknown"
    retry_after = 60
    breached = limiter(app).current_limit
    if breached is not None:
        try:
            retry_after = max(1, math.ceil(breached.reset_at - time.time()))
        except Exception:  # storage gone between the hit and now: keep the default
            log.warning("rate limit storage unreachable while computing Retry-After")
    return too_many(scope, str(exc.limit.limit), retry_after)


class BucketFull(Exception):
    """A bucket of this address (client setup, or DNS lookups) is empty for now."""

    def __init__(self, rule: str, retry_after: int, scope: str = AUTOCONFIG) -> None:
        super().__init__(rule)
        self.rule = rule
        self.retry_after = retry_after
        self.scope = scope


class QuietMemoryStorage(MemoryStorage):
    """limits' per-process storage, sweeping expired counters inline at most once a second.

    MemoryStorage starts a timer thread for its sweep whenever the last one has ended: under
    load, a thread every 10 ms, which cost client-setup requests more than the rest of the
    limit (docs/performance.md). Each key still expires on read, as before.
    """

    SWEEP_EVERY_S = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = 0.0

    def _MemoryStorage__schedule_expiry(self) -> None:  # replaces the parent's private timer
        now = time.time()
        if now >= self._next_sweep:
            self._next_sweep = now + self.SWEEP_EVERY_S
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]


class SetupBucket:
    """One generous per-address bucket shared by the client-setup endpoints.

    Uses the limiter's strategy when its storage is shared (Redis); with per-process memory,
    a quiet memory storage of its own (the same counting, without a timer thread). While the
    shared storage does not answer, a per-process memory bucket stands in, as Flask-Limiter's
    fallback does.
    """

    def __init__(self, rule: str, endpoints: frozenset[str], limiter: Limiter, scope: str = AUTOCONFIG) -> None:
        self.items: list[RateLimitItem] = parse_many(rule)
        self.endpoints = endpoints
        self.scope = scope
        self._limiter = limiter
        self._fallback: RateLimiter = SlidingWindowCounterRateLimiter(QuietMemoryStorage())
        self._local = self._fallback if isinstance(limiter.storage, MemoryStorage) else None

    def check(self, key: str) -> None:
        try:
            strategy = self._local or self._limiter.limiter
            self._hit(strategy, key)
        except BucketFull:
            raise
        except Exception:
            log.warning("rate limit storage unreachable; counting in this process")
            self._hit(self._fallback, key)

    def _hit(self, strategy: RateLimiter, key: str) -> None:
        for item in self.items:
            if not strategy.hit(item, KEY_PREFIX, self.scope, key):
                reset = strategy.get_window_stats(item, KEY_PREFIX, self.scope, key).reset_time
                raise BucketFull(str(item), max(1, math.ceil(reset - time.time())), self.scope)


def _check_setup_bucket() -> None:
    bucket: SetupBucket = current_app.extensions[SETUP_BUCKET]
    if request.endpoint in bucket.endpoints:
        bucket.check(client_key())


def _drop_request_hooks(app: Flask, limiter: Limiter) -> None:
    """Remove the hooks Flask-Limiter adds to every request of the app.

    They cost about 0.2 ms per request even where no limit applies. Nothing here needs
    them: the diagnosis view is wrapped with its own limits (checked when it runs), the
    limit headers are off, no limit deducts on the response, and the limiter's per-request
    state lives on the request context, which goes away with the request.
    """
    def ours(hook: Callable[..., Any]) -> bool:
        owner = getattr(hook, "__self__", None) or next(iter(getattr(hook, "args", ())), None)
        return owner is not limiter

    hooks: dict[None, list[Any]]
    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):  # type: ignore[assignment]
        hooks[None] = [hook for hook in hooks.get(None, []) if ours(hook)]


def _bucket_full(exc: BucketFull) -> Response:
    return too_many(exc.scope, exc.rule, exc.retry_after)


def admit_account(settings: Settings) -> None:
    """Count a diagnosis against the login it would try (BucketFull when over); the view
    calls it once the address is resolved, before anything runs."""
    key = login_key(settings)
    if key is not None:
        bucket: SetupBucket = current_app.extensions[ACCOUNT_BUCKET]
        bucket.check(key)


def _admit_lookup() -> None:
    """Count a lookup that must ask DNS against the requesting address (BucketFull when over)."""
    bucket: SetupBucket = current_app.extensions[LOOKUP_BUCKET]
    bucket.check(client_key())


def count_refusal(m: Metrics, endpoint: str, path: str, scope: str, rule: str, retry_after: int) -> None:
    """Count a refused request in /metrics and log it (without the client's key)."""
    m.rate_limited.labels(endpoint=endpoint, limit=scope).inc()
    log.warning(
        "rate limit %s refused a request to %s", scope, redact_path(path),
        extra={"limit": scope, "rule": rule, "retry_after": retry_after},
    )


def record_refusal(scope: str, rule: str, retry_after: int) -> None:
    """`count_refusal` for the request Flask is handling."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    count_refusal(metrics(app), request.endpoint or "unmatched", request.path, scope, rule, retry_after)


def too_many(scope: str, rule: str, retry_after: int) -> Response:
    """The 429 every limit answers: Retry-After and words in the request's language."""
    record_refusal(scope, rule, retry_after)
    return refusal_answer(scope, rule, retry_after, _language()).response()


def init_app(app: Flask) -> None:
    """Create this app's Limiter and attach the limits; call after every blueprint."""
    options = services(app).config.limits
    limiter = Limiter(
        client_key,
        storage_uri=options.storage_uri,
        storage_options=dict(REDIS_TIMEOUTS) if options.storage_uri.startswith("redis") else {},
        strategy="sliding-window-counter",
        key_prefix=KEY_PREFIX,
        headers_enabled=False,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    limiter.init_app(app)
    app.extensions[EXTENSION] = limiter
    app.register_error_handler(RateLimitExceeded, _refused)

    diagnostics = declared(app, DIAGNOSIS)
    _drop_request_hooks(app, limiter)
    if diagnostics:
        _attach(app, set(diagnostics), limiter.limit(options.diagnostics_per_ip, scope=PER_IP, methods=["POST"]))
    app.extensions[SETUP_BUCKET] = SetupBucket(options.autoconfig_per_ip, declared(app, SETUP), limiter)
    app.extensions[ACCOUNT_BUCKET] = SetupBucket(options.diagnostics_per_account, frozenset(), limiter, PER_ACCOUNT)
    app.extensions[LOOKUP_BUCKET] = SetupBucket(options.dns_lookups_per_ip, frozenset(), limiter, LOOKUPS)
    app.extensions[ADMIT_LOOKUP] = _admit_lookup
    app.register_error_handler(BucketFull, _bucket_full)
    app.before_request(_check_setup_bucket)
