"""What operations polls: /healthz, /metrics and the OpenAPI document (endpoints `ops.*`).

The request observer logs these at DEBUG: scrapes and probes every few seconds would
drown the requests that matter.
"""

from __future__ import annotations

import json
from functools import cached_property

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from prometheus_client import Gauge

from ..openapi import build_document
from ..version import __version__
from ..watch.metrics import WatchCollector
from .context import services
from .limits import storage_status
from .observability import metrics
from .status import watch_view

bp = Blueprint("ops", __name__)
EXTENSION = "autoconfig.ops"


class _Document:
    """The OpenAPI document as served, built on the first request for it."""

    def __init__(self, server_url: str, languages: tuple[str, ...]) -> None:
        self.server_url = server_url
        self.languages = languages

    @cached_property
    def json(self) -> bytes:
        document = build_document(version=__version__, server_url=self.server_url, languages=self.languages)
        return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the configuration is loaded; says which version and whether the limiter's
    storage answers (when it does not, limits fall back to per-process memory)."""
    config = services().config
    storage = storage_status(current_app)
    body = {
        "status": "ok" if storage != "unreachable" else "degraded",
        "version": __version__,
        "config": {"loaded": True, "providers": len(config.providers)},  # the file's path: /metrics
        "rate_limit_storage": storage,
    }
    response = jsonify(body)
    response.cache_control.no_store = True
    return response


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    watch = WatchCollector(watch_view().snapshot, services().config.watch.interval_s)
    body, content_type = metrics().exposition(request.headers.get("Accept"), extra=(watch,))
    response = Response(body, content_type=content_type)
    response.cache_control.no_store = True
    return response


@bp.get("/api/v1/openapi.json")
def openapi_document() -> Response:
    document: _Document = current_app.extensions[EXTENSION]
    response = Response(document.json, content_type="application/json")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.add_etag()
    response.make_conditional(request)
    return response


def init_app(app: Flask) -> None:
    service = services(app).config.service
    app.extensions[EXTENSION] = _Document(service.public_url, service.languages)
    _config_info(app)
    app.register_blueprint(bp)


def _config_info(app: Flask) -> None:
    """Which configuration file this process runs on, for operations only: in /metrics (which
    the nginx site opens to the monitoring host alone), never in /healthz, which any load
    balancer or container probe may relay."""
    source = services(app).config.source
    info = Gauge(
        "autoconfig_config_info", "The configuration file the service loaded.", ["source"],
        registry=metrics(app).registry, multiprocess_mode="max",
    )
    info.labels(source=str(source) if source else "").set(1)
