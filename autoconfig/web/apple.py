"""Apple configuration profiles at /mobileconfig?email=…, CMS-signed when the provider is configured to.

Signing keys are loaded once when the blueprint is registered (app start); a request only signs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import Headers

from ..directory import Admit
from ..errors import InvalidInput
from ..formats import mobileconfig
from ..languages import choose_language
from ..lookup import settings_for_address
from ..model import Protocol
from ..signing import ProfileSigner, load_signers
from ..usecases import profile_bytes
from .answers import Answer
from .context import admit_lookup, services
from .limits import SETUP, limited

if TYPE_CHECKING:
    from ..services import Services

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


def profile_answer(
    app_services: Services, signers: Mapping[str, ProfileSigner], args: Mapping[str, str], admit: Admit | None
) -> Answer:
    """The profile for ?email= (or ?emailaddress=), optional protocol=imap|pop3, name= and lang=.

    `args` holds each query parameter's first value. Shared by the view and the fast path.
    """
    if "password" in args:
        raise InvalidInput(
            "a password never goes in a URL; the device asks for it while installing the profile",
            field="password",
        )
    field = "email" if "email" in args or "emailaddress" not in args else "emailaddress"
    try:
        settings = settings_for_address(app_services.directory, args.get(field), app_services.memo, admit)
    except InvalidInput as exc:
        exc.field = exc.field or field
        raise
    service = app_services.config.service
    body = app_services.memo(
        profile_bytes,
        settings,
        service,
        _protocol(args.get("protocol")),
        mobileconfig.check_account_name(args.get("name")),
        choose_language(args.get("lang"), None, service.languages, strict=True),
        signers.get(settings.provider.id),
    )
    disposition = Headers()
    disposition.set("Content-Disposition", "attachment", filename=mobileconfig.filename(settings))
    return Answer(200, body, mobileconfig.CONTENT_TYPE, (
        ("Content-Disposition", disposition["Content-Disposition"]),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ))


@bp.get("/mobileconfig")
@limited(SETUP)
def profile() -> Response:
    """Most of these requests are answered by the fast path before Flask sees them."""
    return profile_answer(services(), signers(), request.args.to_dict(flat=True), admit_lookup()).response()
