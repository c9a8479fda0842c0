"""GET /api/v1/dns?domain=D: the DNS health of a customer domain, and the lines to publish."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..addresses import normalize_domain
from ..dnshealth import check_dns
from ..errors import InvalidDomain, UnknownDomain
from ..i18n import check_language
from ..resolver import make_resolver
from ..schemas.dns import dump
from .context import admit_lookup, services
from .limits import SETUP, limited

bp = Blueprint("dns", __name__, url_prefix="/api/v1")


def _language() -> str:
    """?lang= when given (a configured language), else the configured first language."""
    lang = request.args.get("lang")
    return check_language(lang) or services().config.service.default_language


@bp.get("/dns")
@limited(SETUP)
def dns_health() -> Response:
    raw = request.args.get("domain")
    if not raw:
        raise InvalidDomain("give the domain to check, like ?domain=example.com", field="domain")
    try:
        domain, domain_unicode = normalize_domain(raw)
    except InvalidDomain as exc:
        raise InvalidDomain(exc.message, field="domain") from None
    lang = _language()
    svc = services()
    provider = svc.directory.lookup(domain, admit_lookup())
    if provider is None:
        raise UnknownDomain(f"no provider serves the domain {domain_unicode}", field="domain")
    # No cache: a customer who just fixed a record must see it at once.
    resolver = make_resolver(svc.config.dns, cache=False)
    health = check_dns(provider, domain, resolver, svc.config.service.public_url)
    return jsonify(dump(health, provider, domain_unicode, lang))
