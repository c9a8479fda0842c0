"""POST /api/v1/diagnostics: the request (the password is load_only, wrapped in a Secret
at once) and the report; the CLI's --json dumps the same schemas."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, post_load, validate

from ..diagnose import DescribedCheck, DiagnosisRequest, Report
from ..model import Protocol, Secret, Security, Status
from ..probes.base import Kind
from ..texts import LANGUAGE_CODE
from ..watch.notices import describe_notice
from .advice import AnswersSchema, RecommendationSchema
from .status import NoticeSchema

LANGUAGE = validate.Regexp(LANGUAGE_CODE, error="must be a language code like it or en")

MAX_PASSWORD = 1024


def password_problem(value: str) -> str | None:
    """What is wrong with a typed password (API and CLI alike), in words that never repeat it
    nor say where; None when it may be used. No control characters: no real password has
    them, and CR/LF could smuggle commands. No lone surrogates: they are no text at all, and
    encoding one for SASL PLAIN failed at the position that told the password's length."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        return "must not contain control characters (line breaks, tabs, NUL)"
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        return "is not valid Unicode text: it holds a lone surrogate (\\uD800 to \\uDFFF), which no keyboard types"
    return None


def _password_ok(value: str) -> None:
    problem = password_problem(value)
    if problem is not None:
        raise ValidationError(problem)


class DiagnosisRequestSchema(Schema):
    class Meta:
        unknown = RAISE

    email = fields.String(required=True, validate=validate.Length(min=1, max=1024),
                          metadata={"description": "the customer's e-mail address"})
    password = fields.String(
        load_only=True,
        load_default=None,
        allow_none=True,
        validate=[validate.Length(max=MAX_PASSWORD, error="is longer than {max} characters"), _password_ok],
        metadata={"description": "optional; without it login, folder and quota checks are skipped"},
    )
    protocols = fields.List(
        fields.Enum(Protocol, by_value=True),
        load_default=list,
        validate=validate.Length(max=3),
        metadata={"description": "which servers to check (default: all)"},
    )
    lang = fields.String(load_default=None, allow_none=True, validate=LANGUAGE)
    answers = fields.Nested(AnswersSchema, load_default=None, allow_none=True)

    @post_load
    def _make(self, data: dict[str, Any], **_: Any) -> DiagnosisRequest:
        password = data.get("password")
        return DiagnosisRequest(
            email=data["email"],
            password=Secret(password) if password else None,
            protocols=tuple(dict.fromkeys(data.get("protocols") or ())),
            lang=data.get("lang"),
            answers=data.get("answers"),
        )


def _details(check: DescribedCheck) -> dict[str, Any] | None:
    data = check.check.data
    details = dataclasses.asdict(data) if dataclasses.is_dataclass(data) else None  # type: ignore[arg-type]
    if check.known_incident is None:
        return details
    notice = check.known_incident
    known = {"kind": str(notice.kind), "since": _iso(notice.since), "until": _iso(notice.until), "code": notice.code}
    return {**(details or {}), "known_incident": known}


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _incidents(report: Report) -> list[dict[str, Any]]:
    return [NoticeSchema().dump(describe_notice(n, report.lang)) for n in report.incidents]


class CheckSchema(Schema):
    """A `DescribedCheck`: the check's own fields, then its words."""

    id = fields.String(attribute="check.id")
    kind = fields.Enum(Kind, by_value=True, attribute="check.kind")
    protocol = fields.Enum(Protocol, by_value=True, allow_none=True, attribute="check.protocol")
    host = fields.String(allow_none=True, attribute="check.host")
    port = fields.Integer(allow_none=True, attribute="check.port")
    security = fields.Enum(Security, by_value=True, allow_none=True, attribute="check.security")
    status = fields.Enum(Status, by_value=True, attribute="check.status")
    code = fields.String(attribute="check.code")
    message = fields.String()
    remedy = fields.String(allow_none=True)
    duration_ms = fields.Integer(attribute="check.duration_ms")
    params = fields.Dict(keys=fields.String(), attribute="check.params",
                         metadata={"description": "the values the words were filled with"})
    data = fields.Function(_details, metadata={"description": "the check's own facts (TLS version, folders…)"})


class CheckLineSchema(CheckSchema):
    """One NDJSON line while a diagnosis streams."""

    type = fields.Constant("check")


def _started(report: Report) -> str:
    return report.started_at.strftime("%Y-%m-%dT%H:%M:%SZ")


class TicketSchema(Schema):
    code = fields.String(metadata={"description": "for the helpdesk, read over the phone", "example": "K7P-4QX"})
    url = fields.String(metadata={"description": "the secret link that reopens the report (<public_url>/r/<token>)"})
    expires_at = fields.String(metadata={"description": "when the report is removed (UTC)"})


class TicketUnavailableSchema(Schema):
    code = fields.String(metadata={"example": "ticket.unavailable"})
    message = fields.String(metadata={"description": "why there is no ticket, in the report's language"})
    remedy = fields.String(allow_none=True)


class ProblemSchema(Schema):
    """One root cause: the checks it explains, what went wrong and the one thing to do."""

    status = fields.Enum(Status, by_value=True)
    code = fields.String(metadata={"description": "the first failed check's code"})
    messages = fields.List(fields.String(), metadata={"description": "what went wrong, one per distinct failure"})
    remedy = fields.String(allow_none=True)
    checks = fields.List(fields.String(), metadata={"description": "ids of the failed checks that are this problem"})
    consequences = fields.List(
        fields.String(), metadata={"description": "ids of the checks that failed or could not run because of it"}
    )
    protocols = fields.List(fields.Enum(Protocol, by_value=True))


class VerdictSchema(Schema):
    """The headline: everything works, or how many problems and which one to start with."""

    status = fields.Enum(Status, by_value=True)
    code = fields.String(metadata={"example": "verdict.problems"})
    message = fields.String(metadata={"description": "in the report's language"})
    problems = fields.List(fields.Nested(ProblemSchema), metadata={"description": "the first is where to start"})
    unchecked = fields.List(fields.String(), metadata={"description": "why checks did not run, when no problem says"})


class ReportSchema(Schema):
    email = fields.String()
    domain = fields.String()
    provider = fields.String()
    started_at = fields.Function(_started)
    duration_ms = fields.Integer()
    status = fields.Enum(Status, by_value=True)
    lang = fields.String()
    verdict = fields.Nested(VerdictSchema)
    checks = fields.List(fields.Nested(CheckSchema))
    recommendation = fields.Nested(RecommendationSchema, allow_none=True)
    incidents = fields.Function(_incidents, metadata={
        "description": "known problems on our side (or planned maintenance) on this address's servers, in the "
        "report's language: failing checks on those servers carry data.known_incident"})
    # Added by the web layer once the report is stored (absent from `autoconfig diagnose --json`).
    ticket = fields.Nested(TicketSchema, allow_none=True, dump_only=True,
                           metadata={"description": "null when the report could not be stored"})
    ticket_unavailable = fields.Nested(TicketUnavailableSchema, dump_only=True,
                                       metadata={"description": "only when ticket is null: why"})


class ReportLineSchema(ReportSchema):
    """The last NDJSON line of a streamed diagnosis."""

    type = fields.Constant("report")
