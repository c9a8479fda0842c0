"""GET /api/v1/dns and `autoconfig dns --json`: expected vs found records, in words, and the
zone lines to publish.

`explain` puts a `DnsHealth` into words in one language (from `messages.CATALOGUE`);
`DnsHealthSchema` dumps the result, for the API and the CLI alike.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from ..dnshealth import DnsHealth, RecordCheck
from ..messages import words
from ..model import Provider, Status


class RecordCheckSchema(Schema):
    kind = fields.String(metadata={"description": "mx, srv, autoconfig, autodiscover or dav (RFC 6764)"})
    name = fields.String(metadata={"description": "the owner name that was looked up"})
    rtype = fields.String(metadata={"description": "the record type we expect there"})
    expected = fields.List(fields.String(), metadata={"description": "records we expect, zone-file form"})
    found = fields.List(fields.String(), metadata={"description": "records DNS returned"})
    status = fields.Enum(Status, by_value=True)
    code = fields.String(metadata={"description": "outcome code, e.g. dns.mx_foreign"})
    params = fields.Dict(keys=fields.String(), values=fields.Raw())
    message = fields.String()
    remedy = fields.String(allow_none=True)


class DnsHealthSchema(Schema):
    domain = fields.String(metadata={"description": "A-label form"})
    domain_unicode = fields.String()
    provider = fields.String(metadata={"description": "id of the provider that serves the domain"})
    lang = fields.String()
    status = fields.Enum(Status, by_value=True, metadata={"description": "the worst check's status"})
    checks = fields.List(fields.Nested(RecordCheckSchema))
    zone_lines = fields.List(
        fields.String(), metadata={"description": "the records the domain should publish"}
    )


def _explain_check(check: RecordCheck, lang: str) -> dict[str, Any]:
    text = words(check.code, lang, check.params)
    return {
        "kind": check.kind,
        "name": check.name,
        "rtype": check.rtype,
        "expected": list(check.expected),
        "found": list(check.found),
        "status": check.status,
        "code": check.code,
        "params": dict(check.params),
        "message": text.message,
        "remedy": text.remedy,
    }


def explain(health: DnsHealth, provider: Provider, domain_unicode: str, lang: str) -> dict[str, Any]:
    """The health with each check's message and remedy in `lang`, ready for the schema."""
    return {
        "domain": health.domain,
        "domain_unicode": domain_unicode,
        "provider": provider.id,
        "lang": lang,
        "status": health.status,
        "checks": [_explain_check(c, lang) for c in health.checks],
        "zone_lines": list(health.zone_lines),
    }


def dump(health: DnsHealth, provider: Provider, domain_unicode: str, lang: str) -> dict[str, Any]:
    """JSON-ready DNS health, the same for the API and `autoconfig dns --json`."""
    return DnsHealthSchema().dump(explain(health, provider, domain_unicode, lang))  # type: ignore[no-any-return]
