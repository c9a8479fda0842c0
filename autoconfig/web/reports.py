"""Reports that travel: the ticket a finished diagnosis gets, and the customer's secret link.

- `ticketed()` stores a finished report (in every language the service speaks) and adds its
  `ticket` (code, link, expiry); with the database away or locked the report answers all the
  same, with `"ticket": null` and `ticket_unavailable` saying why in the customer's words.
- `GET /r/<token>` reopens it read-only as a page in the visitor's language (the same results
  block and script as the check on `/`); `GET /api/v1/reports/<token>` returns its JSON.

The token is the only key here: a ticket code, or anything else that is not a token, is a 404
before the database is asked. Codes open reports only in the staff console.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from ..db import DatabaseError
from ..diagnose import Diagnosis
from ..i18n import current_language
from ..messages import words
from ..reports import StoredReport
from ..schemas.diagnostics import ReportSchema
from ..tickets import is_token
from .context import services
from .errors import error_response

log = logging.getLogger(__name__)
bp = Blueprint("reports", __name__)
UNAVAILABLE = "ticket.unavailable"


def ticketed(diagnosis: Diagnosis, shown: dict[str, Any]) -> dict[str, Any]:
    """`shown` (the report as the customer gets it) with its ticket, once stored.

    Only the customer's copy is stored before answering (one INSERT); the copies in the
    service's other languages follow on the store's background thread.
    """
    app_services = services()
    stored = {key: value for key, value in shown.items() if key != "type"}
    try:
        ticket = app_services.reports.save(
            {diagnosis.lang: stored}, lang=diagnosis.lang, email=diagnosis.settings.email,
            status=str(shown.get("status", "")), client=request.remote_addr or "",
        )
    except DatabaseError as exc:
        log.warning("report not stored: %s", type(exc).__name__)
        text = words(UNAVAILABLE, diagnosis.lang)
        return {**shown, "ticket": None,
                "ticket_unavailable": {"code": UNAVAILABLE, "message": text.message, "remedy": text.remedy}}
    others = [lang for lang in app_services.config.service.languages if lang != diagnosis.lang]
    if others:
        def every_language() -> dict[str, dict[str, Any]]:
            return {diagnosis.lang: stored, **{lang: translated(diagnosis, stored, lang) for lang in others}}

        app_services.reports.add_languages(ticket.code, every_language)
    return {**shown, "ticket": ticket.as_json()}


def translated(diagnosis: Diagnosis, shown: dict[str, Any], lang: str) -> dict[str, Any]:
    """The customer's report in another language: the same dump with the words swapped.

    Dumping the whole report again costs tens of milliseconds (marshmallow, fifty checks);
    this costs about one. Only the words differ between languages: each check's message and
    remedy, and the parts made of words (the verdict, the recommendation), dumped alone.
    """
    report = diagnosis.report(lang)
    checks = []
    for dumped, described in zip(shown["checks"], report.checks, strict=True):
        checks.append({**dumped, "message": described.message, "remedy": described.remedy})
    worded = _WORDED.dump(report)
    return {**shown, **worded, "lang": lang, "checks": checks}


_WORDED = ReportSchema(only=tuple(name for name in ("verdict", "recommendation") if name in ReportSchema().fields))


def _find(token: str) -> StoredReport | None:
    return services().reports.by_token(token) if is_token(token) else None


def customer_view(stored: StoredReport, token: str, lang: str) -> dict[str, Any]:
    """The stored report in `lang`, with its ticket as the customer first saw it."""
    report = stored.in_language(lang)
    link = services().reports.link(token)
    return {**report, "ticket": {"code": stored.code, "url": link, "expires_at": _iso(stored)}}


def _iso(stored: StoredReport) -> str:
    return stored.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def _private(response: Response) -> Response:
    response.cache_control.no_store = True
    response.cache_control.private = True
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/api/v1/reports/<token>")
def report_json(token: str) -> Response:
    lang = current_language()
    try:
        stored = _find(token)
    except DatabaseError:
        return _private(error_response(503, "reports_unavailable", words(UNAVAILABLE, lang).message))
    if stored is None:
        return _private(error_response(404, "not_found", _gone_text(lang)))
    return _private(jsonify(customer_view(stored, token, lang)))


def _gone_text(lang: str) -> str:
    return _("This link does not exist or has expired: reports are kept for a limited time.")


@bp.get("/r/<token>")
def report_page(token: str) -> Response:
    from .pages import _frame

    lang = current_language()
    try:
        stored = _find(token)
        status = 200 if stored is not None else 404
    except DatabaseError:
        stored, status = None, 503
    provider_id = stored.in_language(stored.lang).get("provider") if stored is not None else None
    frame = _frame(None, "", provider_id) | {
        "language_links": {code: url_for("reports.report_page", token=token, lang=code)
                           for code in services().config.service.languages},
    }
    html = render_template(
        "report.html",
        found=stored is not None,
        unavailable=status == 503,
        report_api=url_for("reports.report_json", token=token, lang=lang) if stored is not None else None,
        checked_email=stored.email if stored is not None else "",
        **frame,
    )
    return _private(Response(html, status=status, mimetype="text/html"))


def init_app(app: Any) -> None:
    app.register_blueprint(bp)
