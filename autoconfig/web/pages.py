"""GET /: the self-service and helpdesk page (settings, advice, check).

Settings and advice are rendered here, so they work without JavaScript: the address and
the advice questions are plain GET forms (they never carry a password). Only the check
needs the browser's script (autoconfig/static/page.js), which POSTs the password to the
diagnostics API and shows each check as it streams in.

Rendering costs milliseconds (a couple of hundred translated strings through Jinja), and the
same page is asked for again and again, so each app keeps its last pages rendered, keyed by
everything the template reads (`PageView`): a kept page is byte for byte what a fresh render
would write. The page has no nonce or per-request token (its scripts are same-origin files).
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from babel import Locale, UnknownLocaleError
from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale, lazy_gettext
from flask_babel import gettext as _
from markupsafe import Markup, escape
from marshmallow import fields, validate

from ..advice import CONNECTIVITY, recommend
from ..directory import DnsUnavailable
from ..errors import InvalidAddress, UnknownDomain
from ..i18n import current_language
from ..messages import words
from ..model import Auth, Protocol, ResolvedServer, Security, Settings
from ..recommendation import Recommendation, explain
from ..schemas.advice import AnswersSchema
from ..schemas.loading import InvalidBody, load
from ..watch.notices import DescribedNotice, describe_notice, touching
from .answers import RATE_LIMITED
from .context import services, settings_for
from .limits import AUTOCONFIG, SETUP, BucketFull, limited, record_refusal
from .status import watch_view

bp = Blueprint("pages", __name__)
RENDERED = "autoconfig.rendered_pages"
MAX_PAGES = 256  # a few MiB per worker at most: the page with settings is about 20 KiB

MAX_EMAIL = 1024
YES_NO_QUESTIONS = ("webmail", "offline_access", "shared_account", "server_folders")
ANSWER_FIELDS = ("devices", "connectivity", *YES_NO_QUESTIONS, "quota_percent")

SECURITY_LABELS = {
    Security.TLS: "SSL/TLS",
    Security.STARTTLS: "STARTTLS",
    Security.PLAIN: lazy_gettext("None (not encrypted)"),
}
AUTH_LABELS = {
    Auth.PASSWORD_CLEARTEXT: lazy_gettext("Normal password"),
    Auth.PASSWORD_ENCRYPTED: lazy_gettext("Encrypted password (CRAM-MD5)"),
    Auth.OAUTH2: "OAuth2",
    Auth.NTLM: "NTLM",
    Auth.GSSAPI: "Kerberos / GSSAPI",
    Auth.TLS_CLIENT_CERT: lazy_gettext("TLS client certificate"),
    Auth.CLIENT_IP_ADDRESS: lazy_gettext("None (by network address)"),
    Auth.NONE: lazy_gettext("None"),
}
PROTOCOL_ROLES = {
    Protocol.IMAP: lazy_gettext("incoming mail"),
    Protocol.POP3: lazy_gettext("incoming mail"),
    Protocol.SMTP: lazy_gettext("outgoing mail"),
}


@dataclass(frozen=True)
class PageView:
    """Everything the page's template reads: the key of a rendered page."""

    locale: str
    script_root: str
    served_securely: bool
    email: str
    settings: Settings | None
    address_error: str | None
    advice: Recommendation | None
    given: tuple[tuple[str, str], ...]
    answer_errors: tuple[tuple[str, str], ...]
    check_needs_script: bool
    watch_notices: tuple[DescribedNotice, ...]
    link_args: tuple[tuple[str, str], ...]


@bp.record_once
def _keep_rendered(state: BlueprintSetupState) -> None:
    state.app.extensions[RENDERED] = functools.lru_cache(maxsize=MAX_PAGES)(_render)


def rendered_pages() -> Callable[[PageView], str]:
    """This app's page renderer, remembering its last MAX_PAGES pages (see the module's docstring)."""
    return current_app.extensions[RENDERED]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ServerGroup:
    """One protocol's servers for the settings section: the preferred one first."""

    protocol: Protocol
    role: Any
    preferred: ResolvedServer
    alternatives: tuple[ResolvedServer, ...]


def _groups(settings: Settings) -> list[ServerGroup]:
    groups = []
    for protocol in (Protocol.IMAP, Protocol.POP3, Protocol.SMTP):
        servers = [s for s in settings.servers if s.protocol is protocol]
        if servers:
            groups.append(ServerGroup(protocol, PROTOCOL_ROLES[protocol], servers[0], tuple(servers[1:])))
    return groups


def _lookup(email: str) -> tuple[Settings | None, str | None, int]:
    """Settings for the typed address, or a message for the page and the status to answer."""
    if not email:
        return None, None, 200
    if len(email) > MAX_EMAIL:
        return None, _("This address is too long to be an e-mail address."), 400
    try:
        return settings_for(email), None, 200
    except InvalidAddress:
        return None, _("This is not a valid e-mail address. Write it like name@example.com."), 400
    except UnknownDomain:
        return None, _("We do not host mail for this domain. Check the part after the @."), 404
    except DnsUnavailable:  # a page for a person, not the API's JSON 503
        return None, _("We cannot tell right now whether we host mail for this domain: its DNS did not "
                       "answer. Please try again in a minute."), 503


def _advice(
    args: Any, lang: str, settings: Settings | None
) -> tuple[Recommendation | None, dict[str, str], dict[str, str]]:
    """The advice for the answers in the query string, the answers as given, and errors."""
    given = {name: args.get(name, "").strip() for name in ANSWER_FIELDS}
    if not args.get("advise"):
        return None, given, {}
    present = {name: value for name, value in given.items() if value}
    try:
        answers = load(AnswersSchema(), present)
    except InvalidBody as exc:
        wrong = {problem.field for problem in exc.problems}
        return None, given, {name: _answer_error(name) for name in wrong if name}
    faq_url = services().config.service.help_for(settings.provider if settings else None).faq_url
    return explain(recommend(answers), lang, faq_url), given, {}


def _answer_error(name: str) -> str:
    """What a wrong answer should be, with the range the advice accepts (read from its schema)."""
    field = AnswersSchema().fields.get(name)
    ranges = [rule for rule in getattr(field, "validators", ()) if isinstance(rule, validate.Range)]
    if ranges:
        low, high = ranges[0].min, ranges[0].max
        if isinstance(field, fields.Integer):
            return _("Type a whole number from %(low)s to %(high)s.", low=low, high=high)
        return _("Type a number from %(low)s to %(high)s.", low=low, high=high)
    return _("Choose one of the answers.")


_BREAK_AFTER = re.compile(r"(?<=[@./])")


@bp.app_template_filter("breakable")
def breakable(value: object) -> Markup:
    """A host, user name or URL that may wrap after "@", "." and "/", never inside a word."""
    return Markup("<wbr>").join(escape(part) for part in _BREAK_AFTER.split(str(value)))


@bp.get("/")
@limited(SETUP)
def index() -> tuple[str, int]:
    return _page(request.args.get("email", "").strip())


@bp.post("/")
@limited(SETUP)
def check_without_script() -> tuple[str, int]:
    """The check form posted without JavaScript: the password is dropped unread, and the
    page says the check needs the browser's script (it streams from the diagnostics API)."""
    return _page(request.form.get("email", "").strip(), check_needs_script=True)


@bp.after_request
def _page_headers(response: Response) -> Response:
    """The page is written in the language Accept-Language chose (without ?lang=), and may show
    the address typed: a shared cache must neither keep it nor hand one language to all."""
    response.vary.add("Accept-Language")
    if not response.cache_control.no_store:
        response.cache_control.no_store = True
        response.cache_control.private = True
    return response


@bp.errorhandler(BucketFull)
def busy(exc: BucketFull) -> Response:
    """A limit (client setup, or DNS lookups), refused as a page: a person reads it, in their language."""
    record_refusal(exc.scope, exc.rule, exc.retry_after)
    text = words(RATE_LIMITED, current_language(), {"retry_after": exc.retry_after})
    # A reseller's own links, when the address needs no DNS lookup (that limit is what refused).
    settings = None
    if exc.scope == AUTOCONFIG:
        with contextlib.suppress(BucketFull):
            settings, _error, _status = _lookup(request.args.get("email", "").strip())
    html = render_template("busy.html", message=text.message, remedy=text.remedy, **_frame(settings, ""))
    response = Response(html, status=429, mimetype="text/html")
    response.headers["Retry-After"] = str(exc.retry_after)
    response.cache_control.no_store = True
    return response


def _frame(settings: Settings | None, email: str, provider_id: str | None = None,
           link_args: tuple[tuple[str, str], ...] | None = None) -> dict[str, Any]:
    """What base.html needs: the language and its switch, the brand, the footer links (the
    provider's own, a reseller's, when the page knows whose customer it speaks to)."""
    config = services().config
    providers = config.providers
    known = next((p for p in providers if p.id == provider_id), None)
    provider = settings.provider if settings else known or (providers[0] if len(providers) == 1 else None)
    links = config.service.help_for(provider)
    kept = _link_args() if link_args is None else link_args
    return {
        "lang": current_language(),
        "languages": config.service.languages,
        "language_names": {code: language_name(code) for code in config.service.languages},
        "brand": provider.short_name if provider else "",
        "faq_url": links.faq_url,
        "support_url": links.support_url,
        "documentation_url": links.documentation_url,
        "language_links": {code: _language_link(code, email, kept) for code in config.service.languages},
    }


def _page(email: str, *, check_needs_script: bool = False) -> tuple[str, int]:
    lang = current_language()
    settings, address_error, status = _lookup(email)
    advice, given, answer_errors = _advice(request.args, lang, settings)
    if answer_errors and status == 200:
        status = 400
    view = PageView(
        locale=str(get_locale()),
        script_root=request.script_root,
        served_securely=request.is_secure,
        email=email[:MAX_EMAIL],
        settings=settings,
        address_error=address_error,
        advice=advice,
        given=tuple(given.items()),
        answer_errors=tuple(sorted(answer_errors.items())),
        check_needs_script=check_needs_script,
        watch_notices=_watch_notices(settings, lang),
        link_args=_link_args(),
    )
    return rendered_pages()(view), status


def _render(view: PageView) -> str:
    """The page for `view` (called within the request it was built from, on a miss)."""
    return render_template(
        "index.html",
        email=view.email,
        settings=view.settings,
        groups=_groups(view.settings) if view.settings else [],
        address_error=view.address_error,
        advice=view.advice,
        given=dict(view.given),
        answer_errors=dict(view.answer_errors),
        yes_no_questions=YES_NO_QUESTIONS,
        connectivity_options=CONNECTIVITY,
        security_labels=SECURITY_LABELS,
        auth_labels=AUTH_LABELS,
        check_needs_script=view.check_needs_script,
        served_securely=view.served_securely,
        watch_notices=list(view.watch_notices),
        **_frame(view.settings, view.email, link_args=view.link_args),
    )


def _watch_notices(settings: Settings | None, lang: str) -> tuple[DescribedNotice, ...]:
    """The watch's incidents and maintenance on this address's servers, in the page's language."""
    if settings is None:
        return ()
    servers = [(s.hostname, s.port) for s in settings.servers]
    return tuple(describe_notice(n, lang) for n in touching(watch_view().notices(), servers))


def language_name(code: str) -> str:
    """A language's own name ("Italiano", "Deutsch"), from Babel's locale data: no list to keep."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


def _link_args() -> tuple[tuple[str, str], ...]:
    """The query's answers (and the advise flag), which a link to another language keeps."""
    return tuple((name, value) for name, value in request.args.items() if name in ANSWER_FIELDS or name == "advise")


def _language_link(code: str, email: str, link_args: tuple[tuple[str, str], ...]) -> str:
    """The same page in another language: keeps the address and the answers, never a password."""
    args: dict[str, Any] = dict(link_args)
    if email:
        args["email"] = email
    return url_for("pages.index", lang=code, **args)
