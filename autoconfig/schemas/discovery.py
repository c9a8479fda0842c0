"""GET /api/v1/discovery and `autoconfig discover --json`: each client's verdict and steps, in words.

`explain` puts a `Discovery` into one language (words from `messages.CATALOGUE`);
`DiscoverySchema` dumps it, for the API and the CLI alike.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from marshmallow import Schema, fields

from ..discovery import Client, Discovery, Step, Verdict
from ..messages import words
from ..model import Status

CLIENT_NAMES: dict[Client, dict[str, str]] = {
    Client.THUNDERBIRD: {"it": "Thunderbird (computer)", "en": "Thunderbird (desktop)"},
    Client.THUNDERBIRD_ANDROID: {"it": "Thunderbird per Android", "en": "Thunderbird for Android"},
    Client.OUTLOOK: {"it": "Outlook", "en": "Outlook"},
    Client.SRV: {"it": "Programmi che leggono i record SRV (KMail, Evolution…)",
                 "en": "Programs that read SRV records (KMail, Evolution…)"},
    Client.APPLE: {"it": "Apple Mail (iPhone, iPad, Mac)", "en": "Apple Mail (iPhone, iPad, Mac)"},
    Client.THUNDERBIRD_DAV: {"it": "Thunderbird: rubrica e calendario (CardDAV, CalDAV)",
                             "en": "Thunderbird: address book and calendar (CardDAV, CalDAV)"},
}


class StepSchema(Schema):
    url = fields.String(metadata={"description": "the URL fetched, or dns:NAME/TYPE for a DNS lookup"})
    status = fields.Enum(Status, by_value=True)
    code = fields.String(metadata={"description": "outcome code, e.g. discovery.tls_failed"})
    message = fields.String()
    remedy = fields.String(allow_none=True)
    duration_ms = fields.Integer()
    params = fields.Dict(keys=fields.String(), values=fields.Raw())
    data = fields.Dict(keys=fields.String(), values=fields.Raw(),
                       metadata={"description": "for staff: the hops, the reason, the servers read"})


class ClientSchema(Schema):
    client = fields.String(
        metadata={"description": "thunderbird, thunderbird-android, outlook, srv, apple; thunderbird-dav with DAV"}
    )
    name = fields.String(metadata={"description": "the client's name for people"})
    automatic = fields.Boolean(metadata={"description": "whether it finds settings by itself"})
    via = fields.String(allow_none=True, metadata={"description": "where it finds them"})
    settings_match = fields.Boolean(allow_none=True,
                                    metadata={"description": "whether what it finds is our configuration"})
    status = fields.Enum(Status, by_value=True)
    code = fields.String()
    message = fields.String()
    remedy = fields.String(allow_none=True)
    steps = fields.List(fields.Nested(StepSchema))


class DiscoverySchema(Schema):
    domain = fields.String(metadata={"description": "A-label form"})
    domain_unicode = fields.String()
    provider = fields.String(metadata={"description": "id of the provider that serves the domain"})
    lang = fields.String()
    status = fields.Enum(Status, by_value=True, metadata={"description": "the worst client's status"})
    duration_ms = fields.Integer()
    clients = fields.List(fields.Nested(ClientSchema))
    certificate_names = fields.List(fields.String(),
                                    metadata={"description": "names this service needs a certificate for"})


def _step(step: Step, lang: str) -> dict[str, Any]:
    text = words(step.code, lang, step.params)
    return {
        "url": step.url, "status": step.status, "code": step.code, "message": text.message,
        "remedy": text.remedy, "duration_ms": step.duration_ms, "params": dict(step.params),
        "data": dataclasses.asdict(step.data),
    }


def explain_client(verdict: Verdict, lang: str) -> dict[str, Any]:
    text = words(verdict.code, lang, verdict.params)
    return {
        "client": verdict.client.value,
        "name": CLIENT_NAMES[verdict.client].get(lang) or CLIENT_NAMES[verdict.client]["en"],
        "automatic": verdict.automatic, "via": verdict.via, "settings_match": verdict.settings_match,
        "status": verdict.status, "code": verdict.code, "message": text.message, "remedy": text.remedy,
        "steps": [_step(s, lang) for s in verdict.steps],
    }


def dump(found: Discovery, lang: str) -> dict[str, Any]:
    """JSON-ready discovery, the same for the API and `autoconfig discover --json`."""
    return DiscoverySchema().dump({  # type: ignore[no-any-return]
        "domain": found.domain, "domain_unicode": found.domain_unicode, "provider": found.provider,
        "lang": lang, "status": found.status, "duration_ms": found.duration_ms,
        "clients": [explain_client(v, lang) for v in found.clients],
        "certificate_names": list(found.certificate_names),
    })
