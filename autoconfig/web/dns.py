"""GET /api/v1/dns?domain=D: the DNS health of a customer domain, and the lines to publish."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..errors import InvalidDomain
from ..i18n import check_language
from ..usecases import domain_dns
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
    lang = _language()
    return jsonify(domain_dns(services(), raw, admit_lookup()).report(lang))
