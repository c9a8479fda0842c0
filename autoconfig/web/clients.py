"""The well-known URLs mail clients fetch by themselves."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..errors import InvalidInput
from ..formats import thunderbird
from ..lookup import settings_for_domain
from ..memo import body_and_etag
from ..model import Settings
from ..services import Services
from .context import admit_lookup, services, settings_for
from .limits import SETUP, limited

bp = Blueprint("clients", __name__)
CACHE_SECONDS = 3600
THUNDERBIRD_PATHS = ("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml")
XML_CONTENT_TYPE = "application/xml; charset=utf-8"


def domain_from_host(host: str) -> str:
    """`autoconfig.example.com:443` → `example.com`; clients without an address only say this."""
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    name = name.strip().rstrip(".").lower()
    for prefix in ("autoconfig.", "autodiscover."):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def client_settings(param: str) -> Settings:
    """Settings from `?param=` when present, else from the Host header with placeholders."""
    directory = services().directory
    if param in request.args:
        return settings_for(request.args.get(param))
    host = request.host or ""
    if not host:
        raise InvalidInput(f"give ?{param}= or reach this URL as autoconfig.<your domain>", field=param)
    return settings_for_domain(directory, domain_from_host(host), admit_lookup())


CACHE_HEADERS = {"Cache-Control": f"public, max-age={CACHE_SECONDS}", "Vary": "Host"}


def cached_xml(body: bytes, etag: str, content_type: str = XML_CONTENT_TYPE) -> Response:
    """A cacheable answer with its ETag; a matching If-None-Match gets a 304."""
    response = Response(body, content_type=content_type)
    response.headers.extend(CACHE_HEADERS)  # after the type and length, in the fast path's order
    response.set_etag(etag)
    if "If-None-Match" in request.headers or "If-Modified-Since" in request.headers:
        response.make_conditional(request)
    return response


def thunderbird_answer(app_services: Services, settings: Settings) -> tuple[bytes, str]:
    """The Thunderbird document and its ETag, remembered in the app's memo."""
    return app_services.memo(body_and_etag, thunderbird.render, settings, app_services.config.service)


@bp.get(THUNDERBIRD_PATHS[0])
@bp.get(THUNDERBIRD_PATHS[1])
@limited(SETUP)
def thunderbird_config() -> Response:
    """Most of these requests are answered by the fast path before Flask sees them."""
    return cached_xml(*thunderbird_answer(services(), client_settings("emailaddress")))
