"""GET /api/v1/discovery?domain=D: will each client find the settings by itself?

The Discoverer is built on first use (its TLS context and trust roots cost a little) and
kept for the app. A discovery holds a thread for up to its budget, like a diagnosis, so it
takes one of the same slots (`[diagnostics] max_concurrent`): a flood of either is refused
at once, and client setup keeps its threads. `DISCOVERY_PORTS` in the Flask config maps https/http to other ports: the
tests' nginx cannot take 443 and 80; the config file has no such key, so customers cannot.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from ..discovery import Discoverer
from ..errors import InvalidDomain
from ..i18n import check_language
from ..resolver import make_resolver
from ..schemas.discovery import dump
from ..usecases import domain_discovery
from .context import admit_lookup, services
from .limits import SETUP, limited
from .slots import busy, slots

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
    """?lang= when given (a configured language), else the configured first language."""
    return check_language(request.args.get("lang")) or services().config.service.default_language


@bp.get("/discovery")
@limited(SETUP)  # like the DNS check
def discovery() -> Response:
    raw = request.args.get("domain")
    if not raw:
        raise InvalidDomain("give the domain to check, like ?domain=example.com", field="domain")
    lang = _language()
    free = slots()
    if not free.take():
        return busy()
    try:
        found = domain_discovery(services(), discoverer(), raw, admit_lookup())
    finally:
        free.give_back()
    response = jsonify(dump(found, lang))
    response.cache_control.no_store = True
    return response
