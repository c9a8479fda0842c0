"""POST /api/v1/diagnostics: validate, run the probes, answer with the report (JSON) or
stream each check as it ends (`Accept: application/x-ndjson`), then the report.

The endpoint is `diagnostics.run`; per-IP and per-account limits are attached to it by
web/limits.py, not here.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import threading
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, current_app, jsonify, request, stream_with_context

from ..diagnose import Diagnosis, Diagnostician, Report
from ..errors import InvalidAddress, InvalidInput
from ..i18n import check_language
from ..model import ClientAddress
from ..schemas.diagnostics import CheckLineSchema, DiagnosisRequestSchema, ReportLineSchema, ReportSchema
from ..schemas.loading import load
from .context import services
from .limits import DIAGNOSIS, admit_account, limited
from .observability import Metrics, metrics
from .reports import ticketed
from .slots import busy, slots
from .status import watch_view

bp = Blueprint("diagnostics", __name__, url_prefix="/api/v1")
EXTENSION = "autoconfig.diagnostics"
NDJSON = "application/x-ndjson"


class _Lazy:
    """Builds the Diagnostician on first use (its TLS contexts cost ~50 ms): apps that
    never diagnose, like most tests', never pay for it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: Diagnostician | None = None

    def get(self) -> Diagnostician:
        with self._lock:
            if self._value is None:
                svc = services()
                from .discovery import discoverer  # the same one as the API (and its test port map)

                self._value = Diagnostician.for_services(svc, discoverer(), watch_view().notices)
            return self._value


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = _Lazy()
    app.register_blueprint(bp)


def diagnostician() -> Diagnostician:
    return current_app.extensions[EXTENSION].get()  # type: ignore[no-any-return]


def _start() -> Diagnosis:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput('the body must be a JSON object, like {"email": "name@example.com"}')
    wanted = load(DiagnosisRequestSchema(), body)
    check_language(wanted.lang)
    try:
        return diagnostician().start(dataclasses.replace(wanted, client=client_address()), admit_account)
    except InvalidAddress as exc:
        raise InvalidAddress(exc.message, field="email") from None


def client_address() -> ClientAddress | None:
    """The customer's address after trusted proxies; the port only without a proxy (behind
    one, the port is the proxy's own)."""
    try:
        ip = str(ipaddress.ip_address(request.remote_addr or ""))
    except ValueError:  # a unix socket's peer, or nothing
        return None
    behind_proxy = services().config.service.trusted_proxies > 0
    port = None if behind_proxy else request.environ.get("REMOTE_PORT")
    return ClientAddress(ip, int(port) if port and str(port).isdigit() else None)


def _lines(diagnosis: Diagnosis, m: Metrics) -> Iterator[str]:
    """Each check as it ends, then the report. /metrics counts the report's checks, as for a
    whole answer: the report may name a root cause the streamed lines could not know yet (our
    resolver down turns the names that failed with it into skip.resolver_down)."""
    try:
        for check in diagnosis:
            yield json.dumps(CheckLineSchema().dump(check), ensure_ascii=False) + "\n"
        report = diagnosis.report()
        line = json.dumps(ticketed(diagnosis, ReportLineSchema().dump(report)), ensure_ascii=False) + "\n"
        _count(m, report)
        yield line
    finally:
        diagnosis.close()  # the client may leave early: stop the probes


def _count(m: Metrics, report: Report) -> None:
    """A whole report in /metrics: its status, and each check by code and status."""
    for described in report.checks:
        m.count_check(described.check.code, described.check.status.value)
    m.count_diagnosis(report.status.value)


@bp.post("/diagnostics")
@limited(DIAGNOSIS)
def run() -> Response:
    diagnosis = _start()
    free = slots()
    if not free.take():
        diagnosis.close()
        return busy()
    if request.accept_mimetypes.best_match(["application/json", NDJSON]) == NDJSON:
        response = Response(stream_with_context(_lines(diagnosis, metrics())), mimetype=NDJSON)
        response.headers["X-Accel-Buffering"] = "no"  # nginx: pass each line on at once
        response.call_on_close(free.give_back)  # when the server is done with the stream, however it ended
    else:
        try:
            report = diagnosis.run()
        finally:
            free.give_back()
        response = jsonify(ticketed(diagnosis, ReportSchema().dump(report)))
        _count(metrics(), report)
    response.cache_control.no_store = True
    return response
