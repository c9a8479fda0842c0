"""GET /api/v1/status: our servers, whether each works, and the incidents and planned
maintenance in force (as the watch last saw them)."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields

from ..watch.notices import NoticeKind


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ServiceStatusSchema(Schema):
    protocol = fields.String(metadata={"example": "imap"})
    host = fields.String(metadata={"example": "mail.example.com"})
    port = fields.Integer(metadata={"example": 993})
    ok = fields.Boolean(allow_none=True, metadata={
        "description": "every address (IPv4, IPv6) answered well in the last round; null: not checked yet"})


class NoticeSchema(Schema):
    """An incident the watch opened, or maintenance staff announced (a DescribedNotice)."""

    kind = fields.Enum(NoticeKind, by_value=True, attribute="notice.kind")
    host = fields.String(attribute="notice.host")
    port = fields.Integer(allow_none=True, attribute="notice.port",
                          metadata={"description": "maintenance: null for every port"})
    code = fields.String(allow_none=True, attribute="notice.code",
                         metadata={"description": "the outcome code seen, like tls.expired"})
    since = fields.Function(lambda n: _iso(n.notice.since))
    until = fields.Function(lambda n: _iso(n.notice.until), metadata={"description": "maintenance: its end"})
    message = fields.String(metadata={"description": "in the request's language"})
    remedy = fields.String(allow_none=True)


class StatusSchema(Schema):
    checked_at = fields.Function(lambda s: _iso(s["checked_at"]), metadata={
        "description": "the end of the watch's last round; null when it never ran"})
    services = fields.List(fields.Nested(ServiceStatusSchema))
    incidents = fields.List(fields.Nested(NoticeSchema))
