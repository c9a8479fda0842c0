"""QR codes for the page: `/qr/thunderbird.svg` (Thunderbird for Android's account import) and
`/qr/mobileconfig.svg` (the Apple profile's link, for the iPhone's camera). Never a password."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, request

from ..errors import InvalidInput
from ..formats import mobileconfig, qr
from ..model import Settings
from .context import services, settings_for
from .limits import SETUP, limited

bp = Blueprint("qr", __name__, url_prefix="/qr")
CONTENT_TYPE = "image/svg+xml"


def _settings() -> Settings:
    if "password" in request.args:
        raise InvalidInput("a password never goes in a URL or a QR code; the app asks for it", field="password")
    try:
        return settings_for(request.args.get("email"))
    except InvalidInput as exc:
        exc.field = exc.field or "email"
        raise


def _svg(body: bytes) -> Response:
    response = Response(body, content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "private, max-age=3600"  # it holds the address
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/thunderbird.svg")
@limited(SETUP)
def thunderbird() -> Response:
    """Scanned in Thunderbird for Android: Add account, Import settings, Scan QR code."""
    settings = _settings()
    name = mobileconfig.check_account_name(request.args.get("name"))
    payload = qr.thunderbird_payload(settings, display_name=name)
    return _svg(services().memo(qr.svg, payload))


@bp.get("/mobileconfig.svg")
@limited(SETUP)
def profile_link() -> Response:
    """Scanned with the iPhone's or iPad's camera: opens the profile download."""
    settings = _settings()
    query = {"email": settings.email}
    lang = request.args.get("lang")
    if lang in services().config.service.languages:
        query["lang"] = lang
    url = f"{services().config.service.public_url}/mobileconfig?{urlencode(query)}"
    return _svg(services().memo(qr.svg, url))
