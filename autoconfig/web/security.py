"""Hardening every response and request: security headers, the JSON API's content type,
body size, and whom to believe about the client's address.

The page must therefore do without inline scripts, inline styles and `style=` attributes:
the Content-Security-Policy below has no 'unsafe-inline'.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix

from .errors import error_response

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


def _add_headers(response: Response) -> Response:
    """Add what the view did not set itself (one pass: this runs on every answer)."""
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    html = (headers.get("Content-Type") or "").startswith("text/html")
    headers.extend([(name, value) for name, value in (_HTML if html else _DATA) if name.lower() not in present])
    return response


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
    trust_proxies(app, app.extensions["autoconfig"].config.service.trusted_proxies)
    app.before_request(_check_request)
    app.after_request(_add_headers)
