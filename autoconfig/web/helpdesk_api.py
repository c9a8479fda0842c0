"""GET /api/v1/helpdesk/reports: helpdesk systems (OTRS, Zammad) fetch a report by its code,
or list an address's reports, with `Authorization: Bearer <token>` (or a console session).

Without a valid token or sign-in: 401 and nothing else, whatever was asked. Every answer is
written to the audit log under `token:<name>`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user

from ..db import DatabaseError
from ..i18n import current_language
from ..reports import StoredReport
from ..tickets import parse_code
from .context import services
from .errors import error_response
from .helpdesk import masked
from .staffauth import Staff, bearer_user

bp = Blueprint("helpdesk_api", __name__, url_prefix="/api/v1/helpdesk")


def _iso(stored: StoredReport, name: str) -> str:
    return str(getattr(stored, name).strftime("%Y-%m-%dT%H:%M:%SZ"))


def staff_view(stored: StoredReport, lang: str, *, full: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "code": stored.code, "email": stored.email, "status": stored.status, "lang": stored.lang,
        "created_at": _iso(stored, "created_at"), "expires_at": _iso(stored, "expires_at"),
    }
    if full:
        entry["report"] = stored.in_language(lang)
    return entry


def _private(response: Response) -> Response:
    response.cache_control.no_store = True
    response.cache_control.private = True
    return response


def _unauthorized() -> Response:
    response = error_response(401, "unauthorized", "sign in to the helpdesk console or send a valid bearer token")
    response.headers["WWW-Authenticate"] = 'Bearer realm="helpdesk"'
    return _private(response)


@bp.get("/reports")
def reports() -> Response:
    staff: Staff | None = bearer_user() or (current_user if current_user.is_authenticated else None)
    if staff is None:
        return _unauthorized()
    code_text, email = request.args.get("code", ""), request.args.get("email", "")
    if bool(code_text) == bool(email):
        return _private(error_response(400, "invalid_input", "give either code or email", field="code"))
    lang = current_language()
    store = services().reports
    try:
        if code_text:
            code = parse_code(code_text)
            if code is None:
                return _private(error_response(400, "invalid_input", "a code has six letters and digits, like K7P-4QX",
                                               field="code"))
            found = store.by_code(code)
            store.audit(staff.actor, "api_code", code)
            if found is None:
                return _private(error_response(404, "not_found", "no report has this code (or it expired)"))
            return _private(jsonify(staff_view(found, lang, full=True)))
        if len(email) > 320:
            return _private(error_response(400, "invalid_input", "the address is too long", field="email"))
        store.audit(staff.actor, "api_email", masked(email))
        listed = store.for_email(email)
        return _private(jsonify({"reports": [staff_view(r, lang, full=False) for r in listed]}))
    except DatabaseError:
        return _private(error_response(503, "reports_unavailable", "the reports database does not answer"))


def init_app(app: Any) -> None:
    app.register_blueprint(bp)
