"""The request mail clients send most, answered without building a Flask request.

Thunderbird (and every client that copies it) asks `GET /mail/config-v1.1.xml?emailaddress=…`
first, for every account it sets up. The answer is remembered bytes (the app's memo), so
Flask's own per-request work (request and response objects, routing, hooks) is most of its
cost; under gunicorn it halved the throughput (docs/performance.md). This WSGI middleware
answers that request from the same functions the view uses, inside the same request id,
access log, metrics and security headers, and checks the same client-setup bucket.

Whatever it does not answer goes to Flask untouched: other paths and methods, conditional
requests, no `emailaddress` (the Host-header fallback). When the bucket refuses or the
address has no answer, what it found is handed to Flask in the environ, so the limit counts
the request once and the lookup (which may wait on DNS) is not repeated; Flask then renders
the 429 or the error exactly as it always does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.http import quote_etag

from ..lookup import settings_for_address
from .clients import CACHE_HEADERS, HANDED_OVER, THUNDERBIRD_PATHS, XML_CONTENT_TYPE, thunderbird_answer
from .context import services
from .limits import BUCKET_VERDICT, SETUP_BUCKET, BucketFull, SetupBucket, client_key_for, endpoint_for
from .observability import ENDPOINT_KEY

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from ..services import Services

ADDRESS_PARAM = "emailaddress"
# Requests the view must see: conditional ones get their 304 from werkzeug.
_CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")


class ThunderbirdFastPath:
    """WSGI middleware: `GET` of the Thunderbird autoconfig document for a given address."""

    def __init__(self, app: WSGIApplication, flask_app: Flask) -> None:
        self.app = app
        self.services: Services = services(flask_app)
        self.bucket: SetupBucket = flask_app.extensions[SETUP_BUCKET]
        self.endpoints: dict[str, str] = {
            path: endpoint for path in THUNDERBIRD_PATHS if (endpoint := endpoint_for(flask_app, "GET", path))
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        endpoint = self.endpoints.get(environ.get("PATH_INFO", ""))
        if endpoint is None or environ.get("REQUEST_METHOD") != "GET" or any(h in environ for h in _CONDITIONAL):
            return self.app(environ, start_response)
        raw = _address_param(environ.get("QUERY_STRING", ""))
        if raw is None:
            return self.app(environ, start_response)
        environ[ENDPOINT_KEY] = endpoint
        if endpoint in self.bucket.endpoints:
            try:
                self.bucket.check(client_key_for(environ.get("REMOTE_ADDR")))
            except BucketFull as full:
                environ[BUCKET_VERDICT] = full
                return self.app(environ, start_response)
            environ[BUCKET_VERDICT] = True
        try:
            settings = settings_for_address(self.services.directory, raw, self.services.memo)
            body, etag = thunderbird_answer(self.services, settings)
        except Exception as exc:  # the view re-raises it: one policy renders every error
            environ[HANDED_OVER] = exc
            return self.app(environ, start_response)
        start_response("200 OK", [
            *CACHE_HEADERS.items(),
            ("Content-Type", XML_CONTENT_TYPE),
            ("Content-Length", str(len(body))),
            ("ETag", quote_etag(etag)),
        ])
        return (body,)


def _address_param(query: str) -> str | None:
    """The first `emailaddress=` value, decoded as werkzeug decodes `request.args`."""
    try:
        text = query.encode("latin-1").decode()
    except UnicodeError:
        return None
    if ADDRESS_PARAM not in text:
        return None
    for name, value in parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"):
        if name == ADDRESS_PARAM:
            return value
    return None
