"""The resolved settings as the API shows them."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from ..model import Auth, DavType, Protocol, Security, ServiceOptions, Settings


class ServerOutSchema(Schema):
    protocol = fields.Enum(Protocol, by_value=True)
    hostname = fields.String()
    port = fields.Integer()
    security = fields.Enum(Security, by_value=True)
    auth = fields.Enum(Auth, by_value=True, metadata={"description": "the preferred method, first of auth_methods"})
    auth_methods = fields.List(
        fields.Enum(Auth, by_value=True), metadata={"description": "every method, in order of preference"}
    )
    username = fields.String()


class DavOutSchema(Schema):
    type = fields.Enum(DavType, by_value=True)
    url = fields.String(metadata={"description": "the principal URL, for typing by hand"})
    hostname = fields.String()
    port = fields.Integer()
    path = fields.String()
    username = fields.String()


class ProviderOutSchema(Schema):
    id = fields.String()
    name = fields.String()
    short_name = fields.String()
    webmail_url = fields.String(allow_none=True)


class HelpOutSchema(Schema):
    faq_url = fields.String(allow_none=True)
    support_url = fields.String(allow_none=True)
    documentation_url = fields.String(allow_none=True)


class SettingsSchema(Schema):
    email = fields.String()
    domain = fields.String()
    domain_unicode = fields.String()
    provider = fields.Nested(ProviderOutSchema)
    incoming = fields.List(fields.Nested(ServerOutSchema))
    outgoing = fields.List(fields.Nested(ServerOutSchema))
    dav = fields.List(
        fields.Nested(DavOutSchema), metadata={"description": "calendars (CalDAV) and contacts (CardDAV)"}
    )
    help = fields.Nested(
        HelpOutSchema, metadata={"description": "the provider's FAQ, support and set-up guide (else the service's)"}
    )


def settings_json(settings: Settings, service: ServiceOptions) -> dict[str, Any]:
    """The API answer: the settings, and the help links that apply to their provider."""
    data: dict[str, Any] = SettingsSchema().dump(settings)
    data["help"] = HelpOutSchema().dump(service.help_for(settings.provider))
    return data
