"""RFC 6764 well-known URIs: `/.well-known/caldav` and `/.well-known/carddav` redirect to the
provider's calendar or contacts server.

The provider comes from the Host header (`autoconfig.<domain>`, `<domain>`), as for
Thunderbird for Android; the target is the server's context path (RFC 6764 section 5), not a
principal: a client asks for its principal there after logging in.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, Response, request

from ..errors import InvalidInput, UnknownDomain
from ..formats import zone
from ..lookup import settings_for_domain
from ..model import DavType
from .clients import domain_from_host
from .context import admit_lookup, services
from .limits import SETUP, limited

bp = Blueprint("dav", __name__)
# RFC 6764 section 5: a redirect, which clients follow for GET and PROPFIND alike.
METHODS = ["GET", "HEAD", "PROPFIND"]


def dav_redirect(dav_type: DavType) -> Response:
    host = request.host or ""
    if not host:
        raise InvalidInput("reach this URL under your domain's name, e.g. autoconfig.<your domain>")
    settings = settings_for_domain(services().directory, domain_from_host(host), admit_lookup())
    offered = zone.dav_services(settings.provider, dav_type)
    if not offered:
        raise UnknownDomain(f"{settings.provider.short_name} offers no {dav_type.value} server")
    parts = urlsplit(offered[0].url)
    target = urlunsplit((parts.scheme, parts.netloc, zone.context_path(offered[0].url, settings.domain), "", ""))
    response = Response(status=301, headers={"Location": target})
    response.headers["Cache-Control"] = "public, max-age=3600"
    response.headers["Vary"] = "Host"
    return response


@bp.route("/.well-known/caldav", methods=METHODS)
@limited(SETUP)
def caldav() -> Response:
    return dav_redirect(DavType.CALDAV)


@bp.route("/.well-known/carddav", methods=METHODS)
@limited(SETUP)
def carddav() -> Response:
    return dav_redirect(DavType.CARDDAV)
