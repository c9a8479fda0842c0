"""POST /api/v1/advice: POP3 or IMAP for the customer's answers, in their language."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request

from ..advice import recommend
from ..errors import InvalidInput
from ..i18n import check_language, request_language
from ..recommendation import AdviceAnswer, explain
from ..schemas.advice import AdviceRequest, AdviceRequestSchema, AdviceSchema
from ..schemas.loading import load
from .context import services, settings_for
from .limits import SETUP, limited

bp = Blueprint("advice", __name__, url_prefix="/api/v1")


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or a 400 that says what is wrong with it."""
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise InvalidInput('the body must be a JSON object, like {"devices": 2}')
    return body


@bp.post("/advice")
@limited(SETUP)
def advice() -> Response:
    wanted: AdviceRequest = load(AdviceRequestSchema(), json_object())
    config = services().config
    lang = request_language(check_language(wanted.lang))
    settings = settings_for(wanted.email) if wanted.email else None
    faq_url = config.service.help_for(settings.provider if settings else None).faq_url
    recommendation = explain(recommend(wanted.answers), lang, faq_url)
    answer = AdviceAnswer.of(recommendation, settings)
    return jsonify(AdviceSchema().dump(answer))
