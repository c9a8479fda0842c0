"""What operations sees: a request id on every request and log line, an access log and
Prometheus metrics in a registry of this app's own (served by web/ops.py).

Every app gets its own `CollectorRegistry` (tests build many apps; the global registry
would refuse the second). Under gunicorn with several workers, set
`PROMETHEUS_MULTIPROC_DIR` (deploy/gunicorn.conf.py does): prometheus_client then keeps
the values in files and /metrics sums every worker's.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import time
from collections.abc import Iterable, Iterator
from contextvars import Token
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values
from prometheus_client.exposition import choose_encoder
from prometheus_client.multiprocess import MultiProcessCollector

from ..logs import REDACTED_MARK, redact, redact_path, request_id_var
from ..version import __version__

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

EXTENSION = "autoconfig.observability"
REQUEST_ID_HEADER = "X-Request-ID"
# An incoming request id is kept only when it looks like one (nginx's $request_id, a
# UUID, a trace id); anything else could forge or pollute log lines.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:+=/-]{7,127}$")
# Autoconfig answers take milliseconds, diagnoses seconds (up to budget_s).
LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30, 60)

# Any token is a valid method to gunicorn: labels and log fields get these or "other", so a
# scanner inventing methods cannot grow the metrics without bound.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

access_log = logging.getLogger("autoconfig.access")


@dataclass(frozen=True)
class Metrics:
    """The app's Prometheus collectors; label values are endpoint names and catalogue codes."""

    registry: CollectorRegistry
    requests: Counter
    latency: Histogram
    diagnoses: Counter
    checks: Counter
    rate_limited: Counter
    # The labelled children of the per-request metrics, found once per label set.
    _children: dict[tuple[str, str, int], tuple[Any, Any]] = field(default_factory=dict, compare=False, repr=False)

    def count(self, endpoint: str, method: str, status: int, duration_s: float) -> None:
        """One answered request: its endpoint, method and status, and how long it took."""
        key = (endpoint, method, status)
        children = self._children.get(key)
        if children is None:
            children = (self.requests.labels(endpoint, method, str(status)), self.latency.labels(endpoint))
            self._children[key] = children
        children[0].inc()
        children[1].observe(duration_s)

    def count_check(self, code: str, status: str) -> None:
        """One diagnosis check, by its outcome code and status."""
        self.checks.labels(code=code, status=status).inc()

    def count_diagnosis(self, status: str) -> None:
        """One finished diagnosis, by its overall status."""
        self.diagnoses.labels(status=status).inc()

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

    def exposition(self, accept: str | None, extra: Iterable[Any] = ()) -> tuple[bytes, str]:
        """The text Prometheus scrapes, summed over workers in multiprocess mode; `extra`
        collectors (the watch's, read from the database) are added as they are."""
        encoder, content_type = choose_encoder(accept or "")
        registry = CollectorRegistry(auto_describe=False)
        if _multiprocess():
            MultiProcessCollector(registry)
        else:
            registry.register(_Chain((self.registry,)))
        for collector in extra:
            registry.register(collector)
        return encoder(registry), content_type


class _Chain:
    """Other collectors' metrics, as one collector (this app's own registry)."""

    def __init__(self, sources: Iterable[Any]) -> None:
        self.sources = tuple(sources)

    def collect(self) -> Iterator[Any]:
        for source in self.sources:
            yield from source.collect()


def _multiprocess() -> bool:
    """Whether prometheus_client chose file-backed values (it decides once, at import)."""
    return bool(getattr(values.ValueClass, "_multiprocess", False))


def metrics(app: Flask | None = None) -> Metrics:
    return (app or current_app).extensions[EXTENSION]  # type: ignore[no-any-return]


def current_request_id() -> str | None:
    return request_id_var.get()


ENDPOINT_KEY = "autoconfig.endpoint"
_OPS_PREFIX = "ops."


def _note_endpoint() -> None:
    """Tell the middleware which view answers (Flask has forgotten by the time the body is sent)."""
    rule = request.url_rule
    request.environ[ENDPOINT_KEY] = rule.endpoint if rule is not None else "unmatched"


def _wsgi_path(environ: WSGIEnvironment) -> str:
    """PATH_INFO as the client wrote it (WSGI hands it over as latin-1 text)."""
    raw = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    return raw.encode("latin-1", "replace").decode("utf-8", "replace") or "/"


class RequestObserver:
    """WSGI middleware: the request id, then the metrics and one access line per request.

    It works on the WSGI environ and header list, not in Flask hooks: it runs on every
    request, and here it costs a fraction of what the hooks and their request proxies did
    (docs/performance.md). A whole answer is recorded as soon as the app returns it; a
    streamed one when its last chunk is sent, so it is timed to the end. (Diagnoses and
    their checks are counted by the diagnostics view, where a diagnosis ends.)
    """

    def __init__(self, app: WSGIApplication, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if incoming and _SANE_REQUEST_ID.match(incoming) else os.urandom(16).hex()
        token = request_id_var.set(request_id)
        state = _Exchange(self.metrics, environ, request_id, started, token)

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((REQUEST_ID_HEADER, request_id))
            state.status = int(status[:3])
            state.sized = any(name == "Content-Length" for name, _ in headers)
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start)
        except BaseException:
            state.status = 500
            state.finish()
            raise
        return state.observe(body)


class _Exchange:
    """One request on its way through the middleware, until it is recorded."""

    __slots__ = ("environ", "metrics", "request_id", "sized", "started", "status", "token")

    def __init__(
        self, metrics: Metrics, environ: WSGIEnvironment, request_id: str, started: float,
        token: Token[str | None],
    ) -> None:
        self.metrics = metrics
        self.environ = environ
        self.request_id = request_id
        self.started = started
        self.token: Token[str | None] | None = token
        self.status = 500
        self.sized = False

    def observe(self, body: Iterable[bytes]) -> Iterable[bytes]:
        """A whole answer (it has a Content-Length) is recorded now; a stream when it ends."""
        if not self.sized:
            return _ObservedBody(body, self)
        self.finish()
        return body

    def finish(self) -> None:
        """Count the request and write its access line, once."""
        token, self.token = self.token, None
        if token is None:
            return
        duration = time.perf_counter() - self.started
        environ, status = self.environ, self.status
        endpoint: str = environ.get(ENDPOINT_KEY, "unmatched")
        method: str = environ.get("REQUEST_METHOD", "")
        if method not in KNOWN_METHODS:
            method = "other"
        m = self.metrics
        try:
            m.count(endpoint, method, status, duration)
            # Scrapes and probes every few seconds would drown the requests that matter.
            level = logging.DEBUG if endpoint.startswith(_OPS_PREFIX) else logging.INFO
            if access_log.isEnabledFor(level):
                _log_access(level, environ, method, status, endpoint, duration, self.request_id)
        finally:
            with contextlib.suppress(ValueError):  # a body dropped in another context
                request_id_var.reset(token)


def _log_access(
    level: int, environ: WSGIEnvironment, method: str, status: int, endpoint: str, duration: float,
    request_id: str,
) -> None:
    # The path and the user agent are the only client-controlled text in the line: scrubbed
    # here, so the logging filter can pass the record through without scanning every field.
    path = redact_path(_wsgi_path(environ))
    record = access_log.makeRecord(
        access_log.name, level, __file__, 0, "%s %s %s", (method, path, status), None,
        extra={
            "request_id": request_id, "method": method, "path": path, "status": status,
            "endpoint": endpoint, "duration_ms": round(duration * 1000, 1),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "user_agent": redact(environ.get("HTTP_USER_AGENT", "")[:200]), REDACTED_MARK: True,
        },
    )
    # handle(), not log(): the caller's file and line would be this function's, at a cost.
    access_log.handle(record)


class _ObservedBody:
    """A streamed body as the server sends it: the request is recorded once, when the
    stream is exhausted or closed, whichever comes first."""

    __slots__ = ("_body", "_exchange")

    def __init__(self, body: Iterable[bytes], exchange: _Exchange) -> None:
        self._body = body
        self._exchange = exchange

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._body
        finally:
            self._exchange.finish()

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        try:
            if close is not None:
                close()
        finally:
            self._exchange.finish()


def init_app(app: Flask) -> None:
    """Call first, so every later hook already knows the endpoint. The middleware is
    installed by `web.init_app`, with the others."""
    app.extensions[EXTENSION] = Metrics.build()
    app.before_request(_note_endpoint)
