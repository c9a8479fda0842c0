"""Hardening every response and request: security headers, the JSON API's content type,
body size, and whom to believe about the client's address.

The page must therefore do without inline scripts, inline styles and `style=` attributes:
the Content-Security-Policy below has no 'unsafe-inline'.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from .errors import error_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# For HTML: only our own scripts, styles, images and API calls; never framed.
HTML_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)
# Anything else (JSON, XML, profiles) is data, never a document that may run or be framed.
DATA_CSP = "default-src 'none'; frame-ancestors 'none'"

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # The page's URL may carry ?email=: never send it to the FAQ or anywhere else.
    "Referrer-Policy": "no-referrer",
}
HTML_HEADERS = {
    "Content-Security-Policy": HTML_CSP,
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
JSON_API_PREFIX = "/api/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


_HTML = (*COMMON_HEADERS.items(), *HTML_HEADERS.items())
_DATA = (*COMMON_HEADERS.items(), ("Content-Security-Policy", DATA_CSP))


def with_security_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` plus the security headers the view did not set itself."""
    present = {name.lower() for name, _ in headers}
    html = any(name.lower() == "content-type" and value.startswith("text/html") for name, value in headers)
    headers.extend([(name, value) for name, value in (_HTML if html else _DATA) if name.lower() not in present])
    return headers


class SecurityHeaders:
    """WSGI middleware adding the security headers to every answer, errors included.

    On the header list itself: this runs on every request, and a Flask after-request hook
    costs several times as much for the same work.
    """

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, with_security_headers(headers), exc_info)

        return self.app(environ, start)


def _check_request() -> Response | None:
    """On the JSON API, refuse a body that is too large before anyone reads it (the rate
    limiter peeks at it) and a body that is not JSON. Other paths keep their own policy:
    autodiscover answers even a too large body with its XML Error document."""
    if not request.path.startswith(JSON_API_PREFIX):
        return None
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit is not None and (request.content_length or 0) > limit:
        raise RequestEntityTooLarge(f"the request body is larger than {limit} bytes")
    if request.method in BODY_METHODS and request.mimetype != "application/json":
        sent = request.mimetype or "no Content-Type"
        return error_response(
            415, "unsupported_media_type",
            f"send the body as JSON with 'Content-Type: application/json' (got {sent})",
        )
    return None


def trust_proxies(app: Flask, count: int) -> None:
    """Believe X-Forwarded-For/-Proto only from `count` proxies in front of us (nginx: 1).

    With 0 the client address is the TCP peer, whatever headers the client sends; rate
    limits and logs rely on it.
    """
    if count > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=0, x_port=0, x_prefix=0
        )


def init_app(app: Flask) -> None:
    app.before_request(_check_request)
