"""The requests mail clients send most, answered without building a Flask request.

Thunderbird (and every client that copies it) asks `GET /mail/config-v1.1.xml?emailaddress=…`
first, for every account it sets up; Outlook POSTs to /autodiscover/autodiscover.xml; Apple
devices fetch /mobileconfig. Each answer is remembered bytes (the app's memo), so Flask's
own per-request work (request and response objects, routing, hooks) is most of its cost;
under gunicorn it halved the throughput (docs/performance.md). This WSGI middleware answers
those requests with the very functions their views call (`thunderbird_answer`,
`pox_answer`, `profile_answer`), inside the same request id, access log, metrics and security
headers, and checks the same client-setup bucket.

It is self-contained: it renders its own 200, its errors (the views' own: JSON from
web/answers.py, or Autodiscover's Error document) and its 429 (as every limit does), and
hands Flask nothing. Whatever it does not answer goes to Flask untouched: other paths and
methods, conditional requests, Thunderbird without `emailaddress` (the Host-header
fallback), a POX body without a Content-Length or larger than the XML cap.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import ClientDisconnected
from werkzeug.http import parse_accept_header, quote_etag

from ..directory import Admit
from ..formats.autodiscover import POX_PATH
from ..languages import choose_language
from ..lookup import settings_for_address
from ..signing import ProfileSigner
from ..xmlinput import MAX_XML_BYTES
from .answers import Answer, refusal_answer
from .apple import SIGNERS, profile_answer
from .clients import CACHE_HEADERS, THUNDERBIRD_PATHS, XML_CONTENT_TYPE, thunderbird_answer
from .context import services
from .errors import answer_for
from .limits import LOOKUP_BUCKET, SETUP_BUCKET, BucketFull, SetupBucket, client_key_for, count_refusal, endpoint_for
from .observability import ENDPOINT_KEY, Metrics, metrics
from .outlook import pox_answer, pox_error

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from ..services import Services

ADDRESS_PARAM = "emailaddress"
LANGUAGE_PARAM = "lang"
PROFILE_PATH = "/mobileconfig"
# Requests the views must see: conditional ones get their 304 from werkzeug.
_CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")

Args = dict[str, str]


class ClientFastPath:
    """WSGI middleware: Thunderbird's GET, Outlook's POX POST and the Apple profile's GET."""

    def __init__(self, app: WSGIApplication, flask_app: Flask) -> None:
        self.app = app
        self.services: Services = services(flask_app)
        self.bucket: SetupBucket = flask_app.extensions[SETUP_BUCKET]
        self.lookups: SetupBucket = flask_app.extensions[LOOKUP_BUCKET]
        self.metrics: Metrics = metrics(flask_app)
        self.signers: Mapping[str, ProfileSigner] = flask_app.extensions[SIGNERS]
        # path → (method, endpoint, how to answer); the endpoints as the app routes them
        routes: dict[str, tuple[str, str, Callable[[WSGIEnvironment, Args, Admit], Answer]]] = {}
        for method, path, answer in (
            *(("GET", p, self._thunderbird) for p in THUNDERBIRD_PATHS),
            ("POST", POX_PATH, self._pox),
            ("GET", PROFILE_PATH, self._profile),
        ):
            if endpoint := endpoint_for(flask_app, method, path):
                routes[path] = (method, endpoint, answer)
        self.routes = routes

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        route = self.routes.get(path)
        if route is None and path.isascii() and path.lower() == POX_PATH:  # Outlook's path in any letter case
            route = self.routes.get(POX_PATH)
        if route is None or any(h in environ for h in _CONDITIONAL):
            return self.app(environ, start_response)
        method, endpoint, answer = route
        args = _query_args(environ.get("QUERY_STRING", ""))
        if environ.get("REQUEST_METHOD") != method or args is None or not self._takes(method, environ, args, path):
            return self.app(environ, start_response)
        environ[ENDPOINT_KEY] = endpoint  # for the request observer around us
        client = client_key_for(environ.get("REMOTE_ADDR"))
        try:
            if endpoint in self.bucket.endpoints:
                self.bucket.check(client)
            found = answer(environ, args, lambda: self.lookups.check(client))
        except BucketFull as full:
            count_refusal(self.metrics, endpoint, path, full.scope, full.rule, full.retry_after)
            lang = self._language(args, environ.get("HTTP_ACCEPT_LANGUAGE"))
            found = refusal_answer(full.scope, full.rule, full.retry_after, lang)
        except Exception as exc:  # the error handlers' own policy: our errors as JSON, a bug as a 500
            found = answer_for(exc)
        return found.send(start_response)

    def _takes(self, method: str, environ: WSGIEnvironment, args: Args, path: str) -> bool:
        """Whether this request is ours: Thunderbird with an address, POX with a sized body."""
        if path in THUNDERBIRD_PATHS:
            return ADDRESS_PARAM in args
        if method == "POST":
            return _content_length(environ) is not None
        return True

    def _thunderbird(self, environ: WSGIEnvironment, args: Args, admit: Admit) -> Answer:
        settings = settings_for_address(self.services.directory, args[ADDRESS_PARAM], self.services.memo, admit)
        body, etag = thunderbird_answer(self.services, settings)
        return Answer(200, body, XML_CONTENT_TYPE, (*CACHE_HEADERS.items(), ("ETag", quote_etag(etag))))

    def _pox(self, environ: WSGIEnvironment, args: Args, admit: Admit) -> Answer:
        length = _content_length(environ) or 0

        def read() -> bytes:
            data: bytes = environ["wsgi.input"].read(length)
            if len(data) < length:
                raise ClientDisconnected()
            return data

        try:
            return pox_answer(self.services, read, admit)
        except BucketFull:
            raise
        except Exception as exc:  # pox_answer answers every failure; this is only for safety
            return pox_error(self.services, exc)

    def _profile(self, environ: WSGIEnvironment, args: Args, admit: Admit) -> Answer:
        return profile_answer(self.services, self.signers, args, admit)

    def _language(self, args: Args, accept_language: str | None) -> str:
        """The language `i18n.request_language` would choose: ?lang=, then Accept-Language."""
        accepted = parse_accept_header(accept_language, LanguageAccept)
        return choose_language(args.get(LANGUAGE_PARAM), accepted, self.services.config.service.languages)


def _content_length(environ: WSGIEnvironment) -> int | None:
    """The announced body size when the fast path may read the body itself (not chunked, within the cap)."""
    if environ.get("HTTP_TRANSFER_ENCODING"):
        return None
    try:
        length = int(environ.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return length if 0 <= length <= MAX_XML_BYTES else None


def _query_args(query: str) -> Args | None:
    """Each parameter's first value, decoded as werkzeug decodes `request.args`; None when it cannot."""
    try:
        text = query.encode("latin-1").decode()
    except UnicodeError:
        return None
    args: Args = {}
    for key, value in parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"):
        args.setdefault(key, value)
    return args
