"""POST /api/v1/advice: POP3 or IMAP for the customer's answers, in their language."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from marshmallow import Schema, ValidationError

from ..advice import recommend
from ..errors import InvalidInput
from ..i18n import check_language, request_language
from ..recommendation import AdviceAnswer, explain
from ..schemas.advice import AdviceRequest, AdviceRequestSchema, AdviceSchema
from .context import services, settings_for
from .limits import SETUP, limited

bp = Blueprint("advice", __name__, url_prefix="/api/v1")


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or a 400 that says what is wrong with it."""
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise InvalidInput('the body must be a JSON object, like {"devices": 2}')
    return body


def load(schema: Schema, body: dict[str, Any]) -> Any:
    """Validate `body`; the first problem becomes a 400 naming the field."""
    try:
        return schema.load(body)
    except ValidationError as exc:
        field, problem = next(iter(_flatten(exc.messages)))
        raise InvalidInput(f"{field}: {problem}", field=field) from None


def _flatten(messages: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        found: list[tuple[str, str]] = []
        for key, value in messages.items():
            found.extend(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return found
    if isinstance(messages, list):
        return [(prefix, str(m)) for m in messages] or [(prefix, "is not valid")]
    return [(prefix, str(messages))]


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
