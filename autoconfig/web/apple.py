"""Apple configuration profiles at /mobileconfig?email=…, CMS-signed when the provider is configured to.

Signing keys are loaded once when the blueprint is registered (app start); a request only signs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, request

from ..errors import InvalidInput
from ..formats import mobileconfig
from ..languages import choose_language
from ..model import Protocol
from ..signing import ProfileSigner, load_signers
from ..usecases import profile_bytes
from .context import services, settings_for
from .limits import SETUP, limited

bp = Blueprint("apple", __name__)
SIGNERS = "autoconfig.profile_signers"
PROTOCOLS = {"imap": Protocol.IMAP, "pop3": Protocol.POP3, "pop": Protocol.POP3}


@bp.record_once
def _load_signers(state: Any) -> None:
    state.app.extensions[SIGNERS] = load_signers(services(state.app).config.providers)


def signers() -> Mapping[str, ProfileSigner]:
    return current_app.extensions[SIGNERS]  # type: ignore[no-any-return]


def _protocol(value: str | None) -> Protocol | None:
    if not value:
        return None
    try:
        return PROTOCOLS[value.strip().lower()]
    except KeyError:
        raise InvalidInput("protocol must be imap or pop3", field="protocol") from None


def _lang(value: str | None) -> str:
    return choose_language(value, None, services().config.service.languages, strict=True)


@bp.get("/mobileconfig")
@limited(SETUP)
def profile() -> Response:
    """The profile for ?email= (or ?emailaddress=), optional protocol=imap|pop3, name= and lang=."""
    args = request.args
    if "password" in args:
        raise InvalidInput(
            "a password never goes in a URL; the device asks for it while installing the profile",
            field="password",
        )
    field = "email" if "email" in args or "emailaddress" not in args else "emailaddress"
    try:
        settings = settings_for(args.get(field))
    except InvalidInput as exc:
        exc.field = exc.field or field
        raise
    body = services().memo(
        profile_bytes,
        settings,
        services().config.service,
        _protocol(args.get("protocol")),
        mobileconfig.check_account_name(args.get("name")),
        _lang(args.get("lang")),
        signers().get(settings.provider.id),
    )
    response = Response(body, content_type=mobileconfig.CONTENT_TYPE)
    response.headers.set("Content-Disposition", "attachment", filename=mobileconfig.filename(settings))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
