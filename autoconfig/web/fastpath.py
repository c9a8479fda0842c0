"""The request mail clients send most, answered without building a Flask request.

Thunderbird (and every client that copies it) asks `GET /mail/config-v1.1.xml?emailaddress=…`
first, for every account it sets up. The answer is remembered bytes (the app's memo), so
Flask's own per-request work (request and response objects, routing, hooks) is most of its
cost; under gunicorn it halved the throughput (docs/performance.md). This WSGI middleware
answers that request from the same functions the view uses, inside the same request id,
access log, metrics and security headers, and checks the same client-setup bucket.

It is self-contained: it renders its own 200, its JSON errors (web/answers.py, as the error
handlers do) and its 429 (as every limit does), and hands Flask nothing. Whatever it does
not answer goes to Flask untouched: other paths and methods, conditional requests, no
`emailaddress` (the Host-header fallback).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, quote_etag

from ..languages import choose_language
from ..lookup import settings_for_address
from .answers import refusal_answer
from .clients import CACHE_HEADERS, THUNDERBIRD_PATHS, XML_CONTENT_TYPE, thunderbird_answer
from .context import services
from .errors import answer_for
from .limits import LOOKUP_BUCKET, SETUP_BUCKET, BucketFull, SetupBucket, client_key_for, count_refusal, endpoint_for
from .observability import ENDPOINT_KEY, Metrics, metrics

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from ..services import Services

ADDRESS_PARAM = "emailaddress"
LANGUAGE_PARAM = "lang"
# Requests the view must see: conditional ones get their 304 from werkzeug.
_CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")


class ThunderbirdFastPath:
    """WSGI middleware: `GET` of the Thunderbird autoconfig document for a given address."""

    def __init__(self, app: WSGIApplication, flask_app: Flask) -> None:
        self.app = app
        self.services: Services = services(flask_app)
        self.bucket: SetupBucket = flask_app.extensions[SETUP_BUCKET]
        self.lookups: SetupBucket = flask_app.extensions[LOOKUP_BUCKET]
        self.metrics: Metrics = metrics(flask_app)
        self.endpoints: dict[str, str] = {
            path: endpoint for path in THUNDERBIRD_PATHS if (endpoint := endpoint_for(flask_app, "GET", path))
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        endpoint = self.endpoints.get(path)
        if endpoint is None or environ.get("REQUEST_METHOD") != "GET" or any(h in environ for h in _CONDITIONAL):
            return self.app(environ, start_response)
        query = environ.get("QUERY_STRING", "")
        raw = _query_param(query, ADDRESS_PARAM)
        if raw is None:
            return self.app(environ, start_response)
        environ[ENDPOINT_KEY] = endpoint  # for the request observer around us
        client = client_key_for(environ.get("REMOTE_ADDR"))
        try:
            if endpoint in self.bucket.endpoints:
                self.bucket.check(client)
            settings = settings_for_address(self.services.directory, raw, self.services.memo,
                                            lambda: self.lookups.check(client))
            body, etag = thunderbird_answer(self.services, settings)
        except BucketFull as full:
            count_refusal(self.metrics, endpoint, path, full.scope, full.rule, full.retry_after)
            lang = self._language(query, environ.get("HTTP_ACCEPT_LANGUAGE"))
            return refusal_answer(full.scope, full.rule, full.retry_after, lang).send(start_response)
        except Exception as exc:  # the error handlers' own policy: our errors as JSON, a bug as a 500
            return answer_for(exc).send(start_response)
        start_response("200 OK", [
            *CACHE_HEADERS.items(),
            ("Content-Type", XML_CONTENT_TYPE),
            ("Content-Length", str(len(body))),
            ("ETag", quote_etag(etag)),
        ])
        return (body,)

    def _language(self, query: str, accept_language: str | None) -> str:
        """The language `i18n.request_language` would choose: ?lang=, then Accept-Language."""
        accepted = parse_accept_header(accept_language, LanguageAccept)
        return choose_language(_query_param(query, LANGUAGE_PARAM), accepted, self.services.config.service.languages)


def _query_param(query: str, name: str) -> str | None:
    """The first `name=` value, decoded as werkzeug decodes `request.args`."""
    try:
        text = query.encode("latin-1").decode()
    except UnicodeError:
        return None
    if name not in text:
        return None
    for key, value in parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"):
        if key == name:
            return value
    return None
