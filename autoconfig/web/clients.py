"""The well-known URLs mail clients fetch by themselves."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ..errors import InvalidInput
from ..formats import thunderbird
from ..model import Settings
from ..settings import settings_for_address, settings_for_domain
from . import services

bp = Blueprint("clients", __name__)
CACHE_SECONDS = 3600


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
        return settings_for_address(directory, request.args.get(param))
    host = request.host or ""
    if not host:
        raise InvalidInput(f"give ?{param}= or reach this URL as autoconfig.<your domain>", field=param)
    return settings_for_domain(directory, domain_from_host(host))


def cached_xml(body: bytes, content_type: str = "application/xml; charset=utf-8") -> Response:
    response = Response(body, content_type=content_type)
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.vary.add("Host")
    response.add_etag()
    response.make_conditional(request)
    return response


@bp.get("/mail/config-v1.1.xml")
@bp.get("/.well-known/autoconfig/mail/config-v1.1.xml")
def thunderbird_config() -> Response:
    settings = client_settings("emailaddress")
    return cached_xml(thunderbird.render(settings, services().config.service))
