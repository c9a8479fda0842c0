"""The advice request and answer, and the recommendation a diagnosis report carries.

`AnswersSchema` loads the questions' answers into `advice.Answers` (the diagnosis request
nests it); the answer schemas dump `recommendation.Recommendation` and `AdviceAnswer`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, fields, post_load, validate

from ..advice import CONNECTIVITY, Answers, Confidence
from ..model import Protocol
from ..texts import LANGUAGE_CODE
from .settings import SettingsSchema

LANGUAGE = validate.Regexp(LANGUAGE_CODE, error="must be a language code like it or en")

MAX_DEVICES = 1000


class _AnswerFields(Schema):
    class Meta:
        unknown = RAISE

    devices = fields.Integer(
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_DEVICES),
        metadata={"description": "how many computers, phones and tablets read this mailbox"},
    )
    webmail = fields.Boolean(allow_none=True, metadata={"description": "also reads mail in the browser"})
    connectivity = fields.String(
        allow_none=True,
        validate=validate.OneOf(CONNECTIVITY),
        metadata={"description": "good, poor (slow or unstable) or metered (paid by the megabyte)"},
    )
    offline_access = fields.Boolean(allow_none=True, metadata={"description": "must read mail offline"})
    shared_account = fields.Boolean(allow_none=True, metadata={"description": "several people share it"})
    server_folders = fields.Boolean(
        allow_none=True, metadata={"description": "folders must be the same on every device"}
    )
    quota_percent = fields.Float(
        allow_none=True,
        validate=validate.Range(min=0, max=100),
        metadata={"description": "how full the mailbox is, as the customer knows it"},
    )


def _answers(data: Mapping[str, Any]) -> Answers:
    return Answers(**{name: data.get(name) for name in _AnswerFields().fields})


class AnswersSchema(_AnswerFields):
    """The answers alone, as the diagnosis request's `answers` object."""

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> Answers:
        return _answers(data)


@dataclass(frozen=True)
class AdviceRequest:
    answers: Answers
    lang: str | None = None
    email: str | None = None


class AdviceRequestSchema(_AnswerFields):
    """POST /api/v1/advice: the answers beside an optional language and address."""

    lang = fields.String(load_default=None, validate=LANGUAGE)
    email = fields.String(load_default=None, validate=validate.Length(min=1, max=1024))

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> AdviceRequest:
        return AdviceRequest(answers=_answers(data), lang=data.get("lang"), email=data.get("email"))


class ExplainedReasonSchema(Schema):
    code = fields.String()
    text = fields.String()
    faq_url = fields.String(allow_none=True)


class RecommendationSchema(Schema):
    """The advice in words (`recommendation.Recommendation`); a diagnosis report's `recommendation`."""

    protocol = fields.Enum(Protocol, by_value=True)
    confidence = fields.Enum(Confidence, by_value=True)
    reasons = fields.List(fields.Nested(ExplainedReasonSchema))
    cautions = fields.List(fields.Nested(ExplainedReasonSchema))
    faq_url = fields.String(allow_none=True)
    first_download = fields.Nested(
        ExplainedReasonSchema, allow_none=True,
        metadata={"description": "how long the first full download takes at the customer's connectivity "
                                 "(IMAP: headers, POP3: whole messages); null when nothing was measured"},
    )


class AdviceSchema(RecommendationSchema):
    """The answer of POST /api/v1/advice (`recommendation.AdviceAnswer`); `settings` only when
    the request named an address."""

    settings = fields.Nested(SettingsSchema, allow_none=True)
