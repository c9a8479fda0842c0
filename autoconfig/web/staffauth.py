"""Who is asking, on the staff side: Flask-Login sessions for the console, an SSO proxy's
trusted header, bearer tokens for helpdesk systems, and the sign-in rate limit.

The session cookie is signed with a key kept in the reports database (shared by every
instance), loaded the first time a staff path is asked for: the rest of the service never
opens a session or the database for it. Cookies: Secure unless `public_url` is http,
HttpOnly, SameSite=Strict; no "remember me".
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Flask, Request, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_login import LoginManager, UserMixin
from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from ..db import DatabaseError
from ..staff import token_owner, user_exists
from .context import services
from .limits import KEY_PREFIX, client_key, limiter

log = logging.getLogger(__name__)

STAFF_PATHS = ("/helpdesk", "/api/v1/helpdesk")
SESSION_KEY = "session-signing"
SIGN_IN_RULE = "5/minute;30/hour"  # attempts per client address, and per name
SIGN_IN_SCOPE = "helpdesk_sign_in"
SESSION_HOURS = 8


@dataclass(frozen=True)
class Staff(UserMixin):  # type: ignore[misc]
    """A signed-in staff member; `via` is how: password, sso or token."""

    name: str
    via: str = "password"

    def get_id(self) -> str:
        return self.name

    @property
    def actor(self) -> str:
        return f"token:{self.name}" if self.via == "token" else self.name


def is_staff_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in STAFF_PATHS)


class StaffSessions(SecureCookieSessionInterface):
    """Sessions only on staff paths, signed with the database's shared key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not is_staff_path(request.path):
            return None  # Flask falls back to a null session: nothing to sign, nothing stored
        if not app.secret_key:
            with self._lock:
                try:
                    app.secret_key = services(app).database.key(SESSION_KEY)
                except DatabaseError:
                    log.warning("helpdesk sessions unavailable: the reports database is unreachable")
                    return None
        return super().open_session(app, request)


def sso_user() -> Staff | None:
    """The name the SSO proxy vouches for, if this request came through it."""
    options = services().config.helpdesk
    header = options.trusted_user_header
    if not header or services().config.service.trusted_proxies < 1:
        return None
    name = request.headers.get(header, "").strip()
    if not name or len(name) > 200:
        return None
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR")
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return None
    if not any(address in ipaddress.ip_network(net, strict=False) for net in options.sso_proxy_networks):
        return None
    return Staff(name, via="sso")


def bearer_user() -> Staff | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    owner = token_owner(services().config.helpdesk.api_tokens_file, token.strip())
    return Staff(owner, via="token") if owner else None


class SignInLimit:
    """Sign-in attempts per client address and per name, in the limiter's storage (shared
    with Redis), counted in this process while that storage does not answer. A moving
    window, exact: the sixth attempt within a minute is refused whatever the clock says."""

    def __init__(self) -> None:
        self.items = parse_many(SIGN_IN_RULE)
        self._fallback: RateLimiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, name: str) -> int:
        """Count one attempt; 0 if allowed, else the seconds to wait."""
        keys = [f"ip:{client_key()}", f"name:{name.lower()[:64]}"]
        try:
            return self._hit(MovingWindowRateLimiter(limiter().storage), keys)
        except Exception:
            return self._hit(self._fallback, keys)

    def _hit(self, strategy: RateLimiter, keys: list[str]) -> int:
        for key in keys:
            for item in self.items:
                if not strategy.hit(item, KEY_PREFIX, SIGN_IN_SCOPE, key):
                    reset = strategy.get_window_stats(item, KEY_PREFIX, SIGN_IN_SCOPE, key).reset_time
                    return max(1, math.ceil(reset - time.time()))
        return 0


def init_app(app: Flask) -> None:
    config = services(app).config
    secure = not config.service.public_url.startswith("http://")
    app.config.update(
        SESSION_COOKIE_NAME="autoconfig_staff",
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_PATH="/",
        PERMANENT_SESSION_LIFETIME=SESSION_HOURS * 3600,
        REMEMBER_COOKIE_SECURE=secure,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Strict",
        WTF_CSRF_SSL_STRICT=False,  # it needs a Referer, and every page here sends none (no-referrer)
        WTF_CSRF_TIME_LIMIT=SESSION_HOURS * 3600,
    )
    app.session_interface = StaffSessions()
    manager = LoginManager(app)
    manager.login_view = "helpdesk.sign_in"
    manager.login_message = ""  # no English library text flashed at people
    # "basic": a session seen from another browser is no longer fresh. ("strong" would drop
    # it, and with it an SSO member's CSRF token, at every page.)
    manager.session_protection = "basic"

    @manager.user_loader
    def _load(name: str) -> Staff | None:
        if user_exists(services().config.helpdesk.users_file, name):
            return Staff(name)
        return None

    @manager.request_loader
    def _from_request(_request: Any) -> Staff | None:
        return sso_user()

    app.extensions["autoconfig.sign_in_limit"] = SignInLimit()


def sign_in_limit() -> SignInLimit:
    return current_app.extensions["autoconfig.sign_in_limit"]  # type: ignore[no-any-return]
