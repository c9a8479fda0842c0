"""What operations sees: a request id on every request and log line, an access log,
Prometheus metrics in a registry of this app's own, /healthz, /metrics and the OpenAPI
document.

Every app gets its own `CollectorRegistry` (tests build many apps; the global registry
would refuse the second). Under gunicorn with several workers, set
`PROMETHEUS_MULTIPROC_DIR` (deploy/gunicorn.conf.py does): prometheus_client then keeps
the values in files and /metrics sums every worker's.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from .. import __version__
from ..logs import REDACTED_MARK, redact, request_id_var
from . import services

EXTENSION = "autoconfig.observability"
REQUEST_ID_HEADER = "X-Request-ID"
DIAGNOSTICS_PATH = "/api/v1/diagnostics"
# An incoming request id is kept only when it looks like one (nginx's $request_id, a
# UUID, a trace id); anything else could forge or pollute log lines.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+=/-]{7,127}$")
# Autoconfig answers take milliseconds, diagnoses seconds (up to budget_s).
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60)

access_log = logging.getLogger("autoconfig.access")
bp = Blueprint("ops", __name__)


@dataclass(frozen=True)
class Metrics:
    """The app's Prometheus collectors; label values are endpoint names and catalogue codes."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    diagnoses: Counter
    checks: Counter
    rate_limited: Counter

    @classmethod
    def build(cls) -> Metrics:
        registry = CollectorRegistry(auto_describe=True)
        build_info = Gauge(
            "autoconfig_build_info", "The running version.", ["version"],
            registry=registry, multiprocess_mode="max",
        )
        build_info.labels(version=__version__).set(1)
        return cls(
            registry=registry,
            requests=Counter(
                "autoconfig_http_requests", "HTTP requests by endpoint, method and status.",
                ["endpoint", "method", "status"], registry=registry,
            ),
            latency=Histogram(
                "autoconfig_http_request_duration_seconds",
                "Time to answer, until the last byte for streamed answers.",
                ["endpoint"], buckets=LATENCY_BUCKETS, registry=registry,
            ),
            diagnoses=Counter(
                "autoconfig_diagnoses", "Diagnoses by overall status.", ["status"], registry=registry,
            ),
            checks=Counter(
                "autoconfig_diagnosis_checks", "Diagnosis checks by outcome code and status.",
                ["code", "status"], registry=registry,
            ),
            rate_limited=Counter(
                "autoconfig_rate_limited", "Requests refused by a rate limit (429).",
                ["endpoint", "limit"], registry=registry,
            ),
        )

    def exposition(self, accept: str | None) -> tuple[bytes, str]:
        """The text Prometheus scrapes, summed over workers in multiprocess mode."""
        encoder, content_type = choose_encoder(accept or "")
        if _multiprocess():
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return encoder(registry), content_type
        return encoder(self.registry), content_type


def _multiprocess() -> bool:
    """Whether prometheus_client chose file-backed values (it decides once, at import)."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


def metrics(app: Flask | None = None) -> Metrics:
    return (app or current_app).extensions[EXTENSION].metrics  # type: ignore[no-any-return]


@dataclass
class _State:
    metrics: Metrics
    document: Callable[[], dict[str, Any]]

    @cached_property
    def openapi_json(self) -> bytes:
        return json.dumps(self.document(), ensure_ascii=False, indent=1).encode("utf-8")


def current_request_id() -> str | None:
    return request_id_var.get()


def _begin() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    g.request_id = request_id
    g.request_started = time.perf_counter()
    g.request_id_token = request_id_var.set(request_id)


def _endpoint() -> str:
    return request.url_rule.endpoint if request.url_rule is not None else "unmatched"


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started", time.perf_counter())
    endpoint, method, path = _endpoint(), request.method, request.path
    # Scrapes and probes every few seconds would drown the requests that matter.
    level = logging.DEBUG if endpoint.startswith("ops.") else logging.INFO
    logged = access_log.isEnabledFor(level)
    remote = request.remote_addr if logged else None
    # The only client-controlled text in the line: scrubbed here, so the logging filter can
    # pass the record through without scanning every field again (this runs per request).
    agent = redact((request.headers.get("User-Agent") or "")[:200]) if logged else ""
    logged_path = redact(path) if logged else path
    m = metrics()
    diagnosis = path == DIAGNOSTICS_PATH and method == "POST" and response.status_code == 200

    def record(counter: _DiagnosisCounter | None) -> None:
        duration = time.perf_counter() - started
        m.requests.labels(endpoint, method, str(response.status_code)).inc()
        m.latency.labels(endpoint).observe(duration)
        if counter is not None:
            counter.commit(m)
        if logged:
            access_log.log(
                level, "%s %s %s", method, logged_path, response.status_code,
                extra={
                    "request_id": request_id, "method": method, "path": logged_path,
                    "status": response.status_code, "endpoint": endpoint,
                    "duration_ms": round(duration * 1000, 1), "remote_addr": remote,
                    "user_agent": agent, REDACTED_MARK: True,
                },
            )

    if response.is_streamed:
        counter = _DiagnosisCounter() if diagnosis else None
        response.response = _ObservedBody(response.response, counter, record)
    else:
        counter = None
        if diagnosis:
            counter = _DiagnosisCounter()
            counter.feed(response.get_data())
        record(counter)
    return response


def _end(_: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        request_id_var.reset(token)


class _DiagnosisCounter:
    """Reads the report the client received (whole JSON or NDJSON lines) and counts its codes."""

    def __init__(self) -> None:
        self.statuses: list[str] = []
        self.check_lines: list[tuple[str, str]] = []
        self.report_checks: list[tuple[str, str]] = []
        self._pending = b""

    def feed(self, chunk: bytes) -> None:
        data = self._pending + chunk
        *lines, self._pending = data.split(b"\n")
        for line in lines:
            self._line(line)

    def _line(self, line: bytes) -> None:
        if not line.strip():
            return
        try:
            item = json.loads(line)
        except ValueError:
            return
        if not isinstance(item, dict):
            return
        checks = item.get("checks")
        if isinstance(checks, list) or "email" in item:
            if isinstance(item.get("status"), str):
                self.statuses.append(item["status"])
            for check in checks if isinstance(checks, list) else []:
                if isinstance(check, dict):
                    self.report_checks.append((str(check.get("code")), str(check.get("status"))))
        elif "code" in item and "status" in item:
            self.check_lines.append((str(item["code"]), str(item["status"])))

    def commit(self, m: Metrics) -> None:
        self._line(self._pending)
        self._pending = b""
        for status in self.statuses:
            m.diagnoses.labels(status=status).inc()
        # A stream may send each check and then the whole report: count each check once.
        for code, status in self.check_lines or self.report_checks:
            m.checks.labels(code=code, status=status).inc()


class _ObservedBody:
    """Wraps a streamed body: feeds the counter, records the request when the stream ends."""

    def __init__(
        self, body: Iterable[bytes] | Iterable[str], counter: _DiagnosisCounter | None,
        record: Callable[[_DiagnosisCounter | None], None],
    ) -> None:
        self._body = body
        self._counter = counter
        self._record: Callable[[_DiagnosisCounter | None], None] | None = record

    def __iter__(self) -> Iterator[bytes]:
        for item in self._body:
            chunk = item.encode("utf-8") if isinstance(item, str) else item
            if self._counter is not None:
                self._counter.feed(chunk)
            yield chunk
        self._done()

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        try:
            if close is not None:
                close()
        finally:
            self._done()

    def _done(self) -> None:
        record, self._record = self._record, None
        if record is not None:
            record(self._counter)


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the configuration is loaded; says which version and whether the limiter's
    storage answers (when it does not, limits fall back to per-process memory)."""
    from .limits import storage_status

    config = services().config
    storage = storage_status(current_app)
    body = {
        "status": "ok" if storage != "unreachable" else "degraded",
        "version": __version__,
        "config": {
            "loaded": True,
            "source": str(config.source) if config.source else None,
            "providers": len(config.providers),
        },
        "rate_limit_storage": storage,
    }
    response = jsonify(body)
    response.cache_control.no_store = True
    return response


@bp.get("/metrics")
def prometheus_metrics() -> Response:
    body, content_type = metrics().exposition(request.headers.get("Accept"))
    response = Response(body, content_type=content_type)
    response.cache_control.no_store = True
    return response


@bp.get("/api/v1/openapi.json")
def openapi_document() -> Response:
    state: _State = current_app.extensions[EXTENSION]
    response = Response(state.openapi_json, content_type="application/json")
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    response.add_etag()
    response.make_conditional(request)
    return response


def init_app(app: Flask) -> None:
    """Register first, so every later hook and handler already has the request id."""
    from ..openapi import build_document

    config = app.extensions["autoconfig"].config
    app.extensions[EXTENSION] = _State(
        metrics=Metrics.build(),
        document=lambda: build_document(version=__version__, server_url=config.service.public_url),
    )
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_end)
    app.register_blueprint(bp)
