"""The resolved settings as the API shows them."""

from __future__ import annotations

from marshmallow import Schema, fields

from ..model import Auth, Protocol, Security


class ServerOutSchema(Schema):
    protocol = fields.Enum(Protocol, by_value=True)
    hostname = fields.String()
    port = fields.Integer()
    security = fields.Enum(Security, by_value=True)
    auth = fields.Enum(Auth, by_value=True)
    username = fields.String()


class ProviderOutSchema(Schema):
    id = fields.String()
    name = fields.String()
    short_name = fields.String()
    webmail_url = fields.String(allow_none=True)


class SettingsSchema(Schema):
    email = fields.String()
    domain = fields.String()
    domain_unicode = fields.String()
    provider = fields.Nested(ProviderOutSchema)
    incoming = fields.List(fields.Nested(ServerOutSchema))
    outgoing = fields.List(fields.Nested(ServerOutSchema))
