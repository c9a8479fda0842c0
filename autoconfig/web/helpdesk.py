"""/helpdesk/: the staff console. Look a report up by its code, list an address's reports,
compare two of them, delete an address's reports, read the audit log.

Staff only: every view but the sign-in needs a signed-in member (a local account or the SSO
proxy's header). Every form carries a CSRF token (Flask-WTF); searches are POSTed so that
customers' addresses never stand in a URL or an access log. Every view, search and deletion
is written to the audit log. Words come from the page catalogue, in Italian and English.

The watch (engineer i12's incidents) has its place in `templates/helpdesk/_watch.html`,
included on the console's front page, and its own entry in `NAV`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, HiddenField, PasswordField, StringField

from ..db import DatabaseError
from ..i18n import current_language
from ..reports import email_key
from ..staff import verify_user
from ..tickets import parse_code, show_code
from .context import services
from .staffauth import Staff, sign_in_limit

bp = Blueprint("helpdesk", __name__, url_prefix="/helpdesk")

# The console's menu: (endpoint, label). The watch adds its own entry here.
NAV: tuple[tuple[str, Any], ...] = (
    ("helpdesk.home", lazy_gettext("Look up")),
    ("helpdesk.audit", lazy_gettext("Audit log")),
)


class SignInForm(FlaskForm):  # type: ignore[misc]
    name = StringField()
    password = PasswordField()


class CodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField()


class EmailForm(FlaskForm):  # type: ignore[misc]
    email = StringField()


class CompareForm(FlaskForm):  # type: ignore[misc]
    email = HiddenField()


class DeleteForm(FlaskForm):  # type: ignore[misc]
    email = StringField()
    confirm = BooleanField()


class SignOutForm(FlaskForm):  # type: ignore[misc]
    pass


def masked(email: str) -> str:
    """An address as the audit log keeps it: enough to recognise, not to re-identify after a deletion."""
    key = email_key(email)
    local, _sep, domain = key.partition("@")
    digest = services().reports.email_hash(email)[:8]
    return f"{local[:1]}***@{domain} #{digest}"


def audit(action: str, target: str) -> None:
    staff: Staff = current_user
    services().reports.audit(staff.actor, action, target)


def _frame() -> dict[str, Any]:
    from .pages import _frame as page_frame

    path = request.path
    return page_frame(None, "") | {
        "language_links": {code: f"{path}?lang={code}" for code in services().config.service.languages},
        "nav": NAV,
        "sign_out_form": SignOutForm() if current_user.is_authenticated else None,
        "staff": current_user if current_user.is_authenticated else None,
    }


def _page(template: str, status: int = 200, **context: Any) -> Response:
    html = render_template(template, **_frame(), **context)
    response = Response(html, status=status, mimetype="text/html")
    response.cache_control.no_store = True
    response.cache_control.private = True
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _refused_form(form: FlaskForm) -> str | None:
    """Why a posted form is refused (its CSRF token), in words, or None."""
    if form.is_submitted() and not form.validate() and "csrf_token" in form.errors:
        return _("This form has expired or did not come from this console. Please try again.")
    return None


@bp.errorhandler(DatabaseError)
def _database_away(_exc: DatabaseError) -> Response:
    return _page("helpdesk/message.html", 503,
                 message=_("The reports database does not answer. Please try again in a few minutes."))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> BaseResponse:
    form = SignInForm()
    if request.method == "GET":
        return _page("helpdesk/sign_in.html", form=form)
    problem = _refused_form(form)
    if problem:
        return _page("helpdesk/sign_in.html", 400, form=form, problem=problem)
    name = (form.name.data or "").strip()[:64]
    wait = sign_in_limit().hit(name)
    if wait:
        response = _page("helpdesk/sign_in.html", 429, form=form,
                         problem=_("Too many sign-in attempts. Wait %(seconds)s seconds and try again.", seconds=wait))
        response.headers["Retry-After"] = str(wait)
        return response
    users_file = services().config.helpdesk.users_file
    if not verify_user(users_file, name, form.password.data or ""):
        services().reports.audit("-", "sign_in_failed", "")
        return _page("helpdesk/sign_in.html", 401, form=form, problem=_("Wrong name or password."))
    login_user(Staff(name))
    audit("sign_in", name)
    return redirect(url_for("helpdesk.home", lang=current_language()))


@bp.post("/sign-out")
@login_required  # type: ignore[misc]
def sign_out() -> BaseResponse:
    form = SignOutForm()
    if _refused_form(form):
        abort(400)
    audit("sign_out", current_user.name)
    logout_user()
    return redirect(url_for("helpdesk.sign_in", lang=current_language()))


@bp.get("")
def home_without_slash() -> BaseResponse:
    """`/helpdesk` to `/helpdesk/`, with a Location of our own: werkzeug's slash redirect
    would name the host the request's Host header chose."""
    return redirect(url_for("helpdesk.home"), 308)


@bp.route("/", methods=["GET", "POST"])
@login_required  # type: ignore[misc]
def home() -> BaseResponse:
    """The front page: look up by code (GET form, the code is no secret to staff)."""
    code_form, email_form, problem = CodeForm(), EmailForm(), None
    if request.method == "POST":
        problem = _refused_form(code_form)
        if problem is None:
            typed = (code_form.code.data or "").strip()
            code = parse_code(typed)
            audit("search_code", show_code(code) if code else "(not a code)")
            found = services().reports.by_code(code) if code else None
            if found is not None:
                return redirect(url_for("helpdesk.report", report_id=found.id, lang=current_language()))
            problem = _("No report has this code. Codes have six letters and digits, like K7P-4QX; "
                        "reports are kept for %(days)s days.", days=services().config.reports.retention_days)
    return _page("helpdesk/home.html", 400 if problem else 200, code_form=code_form, email_form=email_form,
                 delete_form=DeleteForm(), problem=problem)


@bp.post("/address")
@login_required  # type: ignore[misc]
def address() -> BaseResponse:
    form = EmailForm()
    problem = _refused_form(form)
    email = (form.email.data or "").strip()[:320]
    if problem or not email:
        return _page("helpdesk/home.html", 400, code_form=CodeForm(), email_form=form, delete_form=DeleteForm(),
                     problem=problem or _("Type the customer's e-mail address."))
    audit("search_email", masked(email))
    found = services().reports.for_email(email)
    return _page("helpdesk/address.html", email=email, reports=found, compare_form=CompareForm(email=email),
                 delete_form=DeleteForm(email=email))


@bp.get("/reports/<int:report_id>")
@login_required  # type: ignore[misc]
def report(report_id: int) -> BaseResponse:
    stored = services().reports.by_id(report_id)
    if stored is None:
        audit("view", f"#{report_id} (not found)")
        return _page("helpdesk/message.html", 404, message=_("This report does not exist or has expired."))
    audit("view", stored.code)
    return _page("helpdesk/report.html", stored=stored, report=stored.in_language(current_language()),
                 details=details)


@dataclass(frozen=True)
class Change:
    id: str
    context: str
    before: str | None
    after: str | None
    before_code: str | None
    after_code: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after or self.before_code != self.after_code


def compare(older: dict[str, Any], newer: dict[str, Any]) -> list[Change]:
    """Every check of either report, by id, in the newer report's order: old status next to new."""
    old = {c["id"]: c for c in older.get("checks", [])}
    new = {c["id"]: c for c in newer.get("checks", [])}
    order = list(new) + [i for i in old if i not in new]
    changes = []
    for check_id in order:
        a, b = old.get(check_id), new.get(check_id)
        either = b or a or {}
        where = " ".join(str(x) for x in (either.get("protocol") or either.get("kind"), either.get("host"),
                                          either.get("port")) if x)
        changes.append(Change(check_id, where, a and a["status"], b and b["status"], a and a["code"],
                              b and b["code"]))
    return changes


@bp.post("/compare")
@login_required  # type: ignore[misc]
def compare_view() -> BaseResponse:
    form = CompareForm()
    if _refused_form(form):
        abort(400)
    email = form.email.data or ""
    chosen = [int(x) for x in request.form.getlist("report") if x.isdigit()][:3]
    reports = [r for r in (services().reports.by_id(i) for i in chosen) if r is not None]
    # only reports of the address the staff member listed: a hand-made form cannot mix customers
    reports = [r for r in reports if email_key(r.email) == email_key(email)]
    if len(reports) != 2:
        return _page("helpdesk/message.html", 400, message=_("Choose exactly two reports of the address to compare."))
    older, newer = sorted(reports, key=lambda r: (r.created_at, r.id))
    audit("compare", f"{older.code} → {newer.code}")
    lang = current_language()
    changes = compare(older.in_language(lang), newer.in_language(lang))
    return _page("helpdesk/compare.html", older=older, newer=newer, changes=changes,
                 changed=[c for c in changes if c.changed])


@bp.post("/delete")
@login_required  # type: ignore[misc]
def delete() -> BaseResponse:
    form = DeleteForm()
    problem = _refused_form(form)
    email = (form.email.data or "").strip()[:320]
    if problem is None and not (email and form.confirm.data):
        problem = _("Type the address and tick the box to confirm: the reports cannot be brought back.")
    if problem:
        return _page("helpdesk/home.html", 400, code_form=CodeForm(), email_form=EmailForm(), delete_form=form,
                     problem=problem)
    removed = services().reports.delete_email(email)
    audit("delete", f"{masked(email)}: {removed}")
    return _page("helpdesk/message.html", message=_("%(count)s report(s) of this address deleted.", count=removed))


@bp.get("/audit", endpoint="audit")
@login_required  # type: ignore[misc]
def audit_page() -> BaseResponse:
    page = max(0, min(int(request.args.get("page", "0")) if request.args.get("page", "").isdigit() else 0, 10_000))
    entries = services().reports.audit_entries(limit=100, offset=page * 100)
    audit("audit_view", f"page {page}")
    return _page("helpdesk/audit.html", entries=entries, page=page)


def details(check: dict[str, Any]) -> list[tuple[str, str]]:
    """A check's technical facts as label/value rows for staff: its data and parameters."""
    rows: list[tuple[str, str]] = []
    for source in (check.get("data") or {}, check.get("params") or {}):
        for key, value in source.items():
            if value in (None, "", [], {}):
                continue
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
            rows.append((key, text[:2000]))
    return rows


def init_app(app: Any) -> None:
    app.register_blueprint(bp)
