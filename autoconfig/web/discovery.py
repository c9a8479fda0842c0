"""GET /api/v1/discovery?domain=D: will each client find the settings by itself?

The Discoverer is built on first use (its TLS context and trust roots cost a little) and
kept for the app. `DISCOVERY_PORTS` in the Flask config maps https/http to other ports: the
tests' nginx cannot take 443 and 80; the config file has no such key, so customers cannot.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from ..addresses import normalize_domain
from ..discovery import Discoverer
from ..errors import InvalidDomain, InvalidInput, UnknownDomain
from ..lookup import resolve
from ..messages import LANGUAGES
from ..resolver import make_resolver
from ..schemas.discovery import dump
from .context import admit_lookup, services
from .limits import SETUP, limited

bp = Blueprint("discovery", __name__, url_prefix="/api/v1")
EXTENSION = "autoconfig.discovery"
PORTS_KEY = "DISCOVERY_PORTS"


class _Lazy:
    def __init__(self, app: Flask) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._value: Discoverer | None = None

    def get(self) -> Discoverer:
        with self._lock:
            if self._value is None:
                config = services(self._app).config
                # No cache: a customer who just fixed a record must see it at once.
                resolver = make_resolver(config.dns, cache=False)
                self._value = Discoverer.build(config, resolver, self._app.config.get(PORTS_KEY))
            return self._value


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = _Lazy(app)
    app.register_blueprint(bp)


def discoverer(app: Flask | None = None) -> Discoverer:
    return (app or current_app).extensions[EXTENSION].get()  # type: ignore[no-any-return]


def _language() -> str:
    lang = request.args.get("lang")
    if lang is None or lang == "":
        return services().config.service.default_language
    if lang not in LANGUAGES:
        raise InvalidInput(f"lang must be one of {', '.join(LANGUAGES)}", field="lang")
    return lang


@bp.get("/discovery")
@limited(SETUP)  # like the DNS check
def discovery() -> Response:
    raw = request.args.get("domain")
    if not raw:
        raise InvalidDomain("give the domain to check, like ?domain=example.com", field="domain")
    try:
        domain, domain_unicode = normalize_domain(raw)
    except InvalidDomain as exc:
        raise InvalidDomain(exc.message, field="domain") from None
    lang = _language()
    provider = services().directory.lookup(domain, admit_lookup())
    if provider is None:
        raise UnknownDomain(f"no provider serves the domain {domain_unicode}", field="domain")
    found = discoverer().run(resolve(provider, domain, domain_unicode, None))
    response = jsonify(dump(found, lang))
    response.cache_control.no_store = True
    return response
