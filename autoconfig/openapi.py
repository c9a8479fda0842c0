"""The OpenAPI 3 document, generated with apispec from the marshmallow schemas the API uses.

Every documented operation is one `Operation` in `OPERATIONS`: a new endpoint is one
entry here, naming the very schemas its view loads and dumps, so the document cannot
drift from the code. Pure: no Flask, no I/O; the web layer serves the result at
/api/v1/openapi.json.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from .schemas.advice import AdviceRequestSchema, AdviceSchema
from .schemas.diagnostics import DiagnosisRequestSchema, ReportSchema
from .schemas.discovery import DiscoverySchema
from .schemas.dns import DnsHealthSchema
from .schemas.settings import SettingsSchema
from .schemas.status import StatusSchema

OPENAPI_VERSION = "3.0.3"
JSON = "application/json"
XML = "application/xml"


# -- Schemas of the web layer's own bodies (errors, health) -------------------------------

class ErrorSchema(Schema):
    """Every 4xx/5xx of the JSON API: a stable code and a sentence that says what is wrong."""

    error = fields.String(required=True, metadata={"example": "invalid_address"})
    message = fields.String(required=True)
    field = fields.String(metadata={"description": "the parameter or body field at fault"})


class RateLimitedSchema(Schema):
    error = fields.String(required=True, metadata={"example": "rate_limited"})
    message = fields.String(required=True, metadata={"description": "in the request's language"})
    remedy = fields.String(allow_none=True)
    limit = fields.String(metadata={"description": "per_ip, per_account or autoconfig_per_ip"})
    retry_after = fields.Integer(metadata={"description": "seconds; also the Retry-After header"})


class HealthConfigSchema(Schema):
    loaded = fields.Boolean()
    source = fields.String(allow_none=True)
    providers = fields.Integer()


class HealthSchema(Schema):
    status = fields.String(metadata={"description": "ok, or degraded when Redis is unreachable"})
    version = fields.String()
    config = fields.Nested(HealthConfigSchema)
    rate_limit_storage = fields.String(metadata={"description": "memory, ok or unreachable"})


# -- The table of operations --------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    name: str
    description: str
    location: str = "query"
    required: bool = False
    schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "string"})


@dataclass(frozen=True)
class Reply:
    description: str
    schema: type[Schema] | Mapping[str, Any] | None = None
    content_type: str = JSON
    headers: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # Other representations of the same answer (content type → schema), chosen by Accept.
    alternatives: Mapping[str, type[Schema] | Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    tag: str
    responses: Mapping[int, Reply]
    description: str = ""
    parameters: tuple[Param, ...] = ()
    body: type[Schema] | Mapping[str, Any] | None = None
    body_types: tuple[str, ...] = (JSON,)
    body_required: bool = True
    rate_limited: bool = False
    staff: bool = False  # staff only: a console session or a helpdesk bearer token
    operation_id: str | None = None  # when the path alone would repeat another's


EMAIL = Param(
    "email", "the customer's e-mail address", required=True,
    schema={"type": "string", "example": "mario.rossi@example.com"},
)

# The domain checks (DNS health, discovery) take the same two parameters.
DOMAIN = Param("domain", "the customer's domain", required=True, schema={"type": "string", "example": "example.com"})
DOMAIN_LANG = Param("lang", "it or en (default: the configured first language)",
                    schema={"type": "string", "enum": ["it", "en"]})

RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
ERROR_400 = Reply("the input is malformed; `message` says what is wrong", ErrorSchema)
ERROR_404 = Reply("no provider serves this domain", ErrorSchema)
ERROR_413 = Reply("the body is too large", ErrorSchema)
ERROR_415 = Reply("the body is not application/json", ErrorSchema)
ERROR_503 = Reply("DNS did not answer; try again later", ErrorSchema)


class BusySchema(Schema):
    error = fields.String(required=True, metadata={"example": "busy"})
    message = fields.String(required=True, metadata={"description": "in the request's language"})
    remedy = fields.String(allow_none=True)
    retry_after = fields.Integer(metadata={"description": "seconds; also the Retry-After header"})


BUSY_503 = Reply("DNS did not answer (`error` dns_unavailable), or too many diagnoses and discoveries are running "
                 "in this instance (`error` busy, `[diagnostics] max_concurrent`); try again after Retry-After",
                 {"oneOf": [{"$ref": "#/components/schemas/Error"}, {"$ref": "#/components/schemas/Busy"}]},
                 headers=RETRY_AFTER)
ERROR_429 = Reply("a rate limit refused the request", RateLimitedSchema, headers=RETRY_AFTER)
XML_TEXT = {"type": "string", "format": "xml"}
# Autodiscover v2 answers a protocol it does not serve in Exchange's own shape; a bad address
# gets the API's error body.
V2_ERROR_400 = Reply("Exchange's InvalidProtocol error, or the API's error for a malformed address", {
    "oneOf": [
        {"type": "object", "required": ["ErrorCode", "ErrorMessage"],
         "properties": {"ErrorCode": {"type": "string", "example": "InvalidProtocol"},
                        "ErrorMessage": {"type": "string"}}},
        {"$ref": "#/components/schemas/Error"},
    ],
})
NDJSON = "application/x-ndjson"
NDJSON_TEXT = {"type": "string", "description": "one JSON object a line: each check, then the report"}

OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "get", "/mail/config-v1.1.xml", "Thunderbird autoconfig 1.1", "clients",
        description="Without `emailaddress` the domain comes from the Host header "
        "(autoconfig.<domain>) and the answer holds the %EMAILADDRESS% placeholders.",
        parameters=(Param("emailaddress", "the address the client is setting up"),),
        responses={200: Reply("the clientConfig document", XML_TEXT, XML), 400: ERROR_400,
                   404: ERROR_404, 429: ERROR_429},
        rate_limited=True,
    ),
    Operation(
        "get", "/.well-known/autoconfig/mail/config-v1.1.xml", "Thunderbird autoconfig 1.1 (well-known path)",
        "clients",
        parameters=(Param("emailaddress", "the address the client is setting up"),),
        responses={200: Reply("the clientConfig document", XML_TEXT, XML), 400: ERROR_400,
                   404: ERROR_404, 429: ERROR_429},
        rate_limited=True,
    ),
    Operation(
        "post", "/autodiscover/autodiscover.xml", "Outlook autodiscover (POX)", "clients",
        description="Any letter case of the path. Every failure is an Autodiscover Error document.",
        body=XML_TEXT, body_types=("text/xml", XML),
        responses={200: Reply("the Autodiscover response (or Error document)", XML_TEXT, "text/xml"),
                   400: Reply("an Autodiscover Error document", XML_TEXT, "text/xml"),
                   404: Reply("an Autodiscover Error document", XML_TEXT, "text/xml"),
                   413: Reply("an Autodiscover Error document", XML_TEXT, "text/xml"),
                   429: ERROR_429},
        rate_limited=True,
    ),
    Operation(
        "get", "/autodiscover/autodiscover.json/v1.0/{email}", "Autodiscover v2", "clients",
        parameters=(Param("email", "the address", location="path", required=True),
                    Param("Protocol", "AutodiscoverV1", required=True)),
        responses={200: Reply("where the POX endpoint is", {"type": "object"}), 400: V2_ERROR_400,
                   404: ERROR_404, 429: ERROR_429},
        rate_limited=True,
    ),
    Operation(
        "get", "/autodiscover/autodiscover.json", "Autodiscover v2 (query form)", "clients",
        parameters=(Param("Email", "the address", required=True),
                    Param("Protocol", "AutodiscoverV1", required=True)),
        responses={200: Reply("where the POX endpoint is", {"type": "object"}), 400: V2_ERROR_400,
                   404: ERROR_404, 429: ERROR_429},
        rate_limited=True,
    ),
    Operation(
        "get", "/mobileconfig", "Apple configuration profile", "clients",
        description="Signed (CMS, DER) when the provider has a signing certificate.",
        parameters=(EMAIL,
                    Param("protocol", "the incoming protocol (default: the provider's preferred)",
                          schema={"type": "string", "enum": ["imap", "pop3"]}),
                    Param("name", "account name shown"),
                    Param("lang", "it or en")),
        responses={200: Reply("the profile", {"type": "string", "format": "binary"},
                              "application/x-apple-aspen-config"),
                   400: ERROR_400, 404: ERROR_404, 429: ERROR_429},
        rate_limited=True,
    ),
    *(
        Operation(
            "get", f"/.well-known/{kind}", f"RFC 6764: where the {what} server is", "clients",
            description="Answered on the customer's names (`autoconfig.<domain>`, `<domain>`): the provider "
            "comes from the Host header. PROPFIND is redirected the same way.",
            responses={301: Reply(f"to the {what} server's context path", {"type": "string"}, "text/html",
                                  headers={"Location": {"description": "the target", "schema": {"type": "string"}}}),
                       400: ERROR_400, 404: ERROR_404, 429: ERROR_429},
            rate_limited=True,
        )
        for kind, what in (("caldav", "calendar (CalDAV)"), ("carddav", "contacts (CardDAV)"))
    ),
    Operation(
        "get", "/qr/thunderbird.svg", "QR code for Thunderbird for Android's account import", "clients",
        description="Thunderbird for Android's \"Export for Mobile\" QR format, version 1: the preferred incoming "
        "and SMTP servers and the address; never a password. Scanned in the app: Add account, Import settings.",
        parameters=(EMAIL, Param("name", "the sender name to set up (optional)")),
        responses={200: Reply("the QR code", {"type": "string"}, "image/svg+xml"), 400: ERROR_400,
                   404: ERROR_404, 429: ERROR_429},
        rate_limited=True,
    ),
    Operation(
        "get", "/qr/mobileconfig.svg", "QR code of the Apple profile's link", "clients",
        description="For the camera of an iPhone or iPad: the link downloads the profile of `/mobileconfig`.",
        parameters=(EMAIL, Param("lang", "the profile's language")),
        responses={200: Reply("the QR code", {"type": "string"}, "image/svg+xml"), 400: ERROR_400,
                   404: ERROR_404, 429: ERROR_429},
        rate_limited=True,
    ),
    Operation(
        "get", "/api/v1/settings", "The resolved settings of an address", "api",
        description="What every client format renders from.",
        parameters=(EMAIL,),
        responses={200: Reply("the settings", SettingsSchema), 400: ERROR_400, 404: ERROR_404,
                   429: ERROR_429},
        rate_limited=True,
    ),
    Operation(
        "get", "/api/v1/dns", "DNS health of a customer domain, and the zone lines to publish", "api",
        parameters=(
            DOMAIN, DOMAIN_LANG,
        ),
        responses={200: Reply("expected vs found records", DnsHealthSchema), 400: ERROR_400,
                   404: ERROR_404, 429: ERROR_429, 503: ERROR_503},
        rate_limited=True,
    ),
    Operation(
        "get", "/api/v1/discovery", "Will each mail client find the settings by itself?", "api",
        description="Replays each client's own lookups for the domain over the network (Thunderbird, "
        "Thunderbird for Android, Outlook, RFC 6186 SRV clients, Apple), with HTTPS verification, "
        "the redirects each client follows and its parse rules, within `budget_s`; then compares what "
        "each would set up with the configuration. Names pointing at internal addresses are refused "
        "unless allowed. Limited like the DNS check, and per client address like a diagnosis.",
        parameters=(
            DOMAIN, DOMAIN_LANG,
        ),
        responses={200: Reply("each client's verdict and steps", DiscoverySchema), 400: ERROR_400,
                   404: ERROR_404, 429: ERROR_429, 503: BUSY_503},
        rate_limited=True,
    ),
    Operation(
        "post", "/api/v1/diagnostics", "Run a diagnosis of an account", "api",
        description="Checks DNS, ports, TLS, login, folders and quota of the address's servers within "
        "`budget_s`. Without `password` the login, folder and quota checks are skipped. With "
        "`Accept: application/x-ndjson` each check streams as one JSON line as it ends "
        '(`"type": "check"`), and the last line is the report (`"type": "report"`). '
        "Limited per client address and per account.",
        body=DiagnosisRequestSchema,
        responses={
            200: Reply("the report", ReportSchema, alternatives={NDJSON: NDJSON_TEXT}),
            400: ERROR_400, 404: ERROR_404, 413: ERROR_413, 415: ERROR_415, 429: ERROR_429, 503: BUSY_503,
        },
        rate_limited=True,
    ),
    Operation(
        "get", "/api/v1/reports/{token}", "A stored report, by its secret link token", "api",
        description="The token is the last part of the report's `ticket.url`. The report comes in the "
        "request's language (`lang`, else Accept-Language), with its ticket. A ticket code is not a "
        "token: codes open reports only in the staff console.",
        parameters=(Param("token", "the link's 128-bit token (22 characters, base64url)", location="path",
                          required=True),
                    Param("lang", "it or en", schema={"type": "string", "enum": ["it", "en"]})),
        responses={200: Reply("the report", ReportSchema),
                   404: Reply("no such report, or it expired", ErrorSchema),
                   503: Reply("the reports database is unreachable", ErrorSchema)},
    ),
    Operation(
        "get", "/api/v1/status", "Our servers: which work, and the known incidents", "api",
        description="Public. As `autoconfig watch` last saw them: each configured server (IMAP, POP3, SMTP) "
        "works or not, and the incidents (two failed rounds in a row) and planned maintenance in force, with "
        "their start in UTC and words in the request's language. With `email`, the servers of that address "
        "(a `%EMAILDOMAIN%` host expanded); without it, the servers the configuration names literally.",
        parameters=(Param("email", "only this address's servers (optional)"),
                    Param("lang", "it or en", schema={"type": "string", "enum": ["it", "en"]})),
        responses={200: Reply("the servers and incidents", StatusSchema), 400: ERROR_400, 404: ERROR_404,
                   429: ERROR_429},
        rate_limited=True,
    ),
    Operation(
        "post", "/api/v1/advice", "POP3 or IMAP, with reasons", "api",
        body=AdviceRequestSchema,
        responses={200: Reply("the recommendation", AdviceSchema), 400: ERROR_400,
                   404: ERROR_404, 413: ERROR_413, 415: ERROR_415},
    ),
    Operation(
        "get", "/", "The self-service and helpdesk page", "pages",
        parameters=(Param("email", "prefills the address"), Param("lang", "it or en")),
        responses={200: Reply("the page", {"type": "string"}, "text/html"),
                   400: Reply("the page, with the problem shown", {"type": "string"}, "text/html"),
                   404: Reply("the page, saying no provider serves the domain", {"type": "string"}, "text/html")},
    ),
    Operation(
        "post", "/", "The check form, posted without JavaScript", "pages",
        description="The password is dropped unread; the page explains that the check needs its script.",
        body={"type": "object", "properties": {"email": {"type": "string"}, "password": {"type": "string"}}},
        body_types=("application/x-www-form-urlencoded",), body_required=False,
        responses={200: Reply("the page", {"type": "string"}, "text/html"),
                   400: Reply("the page, with the problem shown", {"type": "string"}, "text/html"),
                   404: Reply("the page, saying no provider serves the domain", {"type": "string"}, "text/html")},
    ),
    Operation(
        "get", "/r/{token}", "A stored report, reopened read-only by its secret link", "pages",
        parameters=(Param("token", "the link's token", location="path", required=True), Param("lang", "it or en")),
        responses={200: Reply("the report page", {"type": "string"}, "text/html"),
                   404: Reply("the page, saying the link does not exist or expired", {"type": "string"}, "text/html"),
                   503: Reply("the page, saying the reports cannot be read now", {"type": "string"}, "text/html")},
    ),
    Operation(
        "get", "/api/v1/helpdesk/reports", "Staff: a report by its ticket code, or an address's reports", "helpdesk",
        description="For helpdesk systems: `Authorization: Bearer <token>` (from `autoconfig helpdesk add-token`), "
        "or a console session. Give `code` (the report, with its technical details) or `email` (the "
        "address's reports, newest first). Audited. Without a valid token or session: 401, nothing else.",
        parameters=(Param("code", "the ticket code, like K7P-4QX", schema={"type": "string", "example": "K7P-4QX"}),
                    Param("email", "the customer's address"), Param("lang", "it or en")),
        responses={200: Reply("the report (`code`) or the list (`email`)", {"type": "object"}),
                   400: ERROR_400, 401: Reply("no valid bearer token or sign-in", ErrorSchema,
                                              headers={"WWW-Authenticate": {"schema": {"type": "string"}}}),
                   404: Reply("no report has this code (or it expired)", ErrorSchema),
                   503: Reply("the reports database does not answer", ErrorSchema)},
        staff=True,
    ),
    *(
        Operation(
            method, path, summary, "helpdesk", staff=path != "/helpdesk/sign-in",
            description="The staff console (HTML). Every POST carries the form's CSRF token; without a "
            "sign-in every page but the sign-in redirects there.",
            body=None if method == "get" else {"type": "object"},
            body_types=("application/x-www-form-urlencoded",), body_required=False,
            parameters=parameters,
            responses={200: Reply("the page", {"type": "string"}, "text/html"),
                       302: Reply("to the sign-in page, or on after signing in or out"),
                       400: Reply("the page, with the problem shown (a form without its CSRF token)",
                                  {"type": "string"}, "text/html"),
                       401: Reply("the sign-in page: wrong name or password", {"type": "string"}, "text/html"),
                       404: Reply("the page: no such report (JSON: no such path, like a report number that is "
                                  "not a positive integer)", {"type": "string"}, "text/html",
                                  alternatives={JSON: ErrorSchema}),
                       429: Reply("the sign-in page: too many attempts", {"type": "string"}, "text/html",
                                  headers=RETRY_AFTER),
                       503: Reply("the page: the reports database does not answer", {"type": "string"},
                                  "text/html")},
        )
        for method, path, summary, parameters in (
            ("get", "/helpdesk/sign-in", "Staff sign-in page", ()),
            ("post", "/helpdesk/sign-in", "Staff sign-in", ()),
            ("post", "/helpdesk/sign-out", "Staff sign-out", ()),
            ("get", "/helpdesk/", "The helpdesk console", ()),
            ("post", "/helpdesk/", "Open a report by its code", ()),
            ("post", "/helpdesk/address", "An address's reports, newest first", ()),
            ("get", "/helpdesk/reports/{report_id}", "The staff view of a report",
             (Param("report_id", "the report's number in the console", location="path", required=True,
                    schema={"type": "integer", "minimum": 1}),)),
            ("post", "/helpdesk/compare", "Compare two reports of an address", ()),
            ("post", "/helpdesk/delete", "Delete an address's reports", ()),
            ("get", "/helpdesk/audit", "The audit log", ()),
        )
    ),
    Operation(
        "get", "/helpdesk", "The helpdesk console, typed without its slash", "helpdesk",
        responses={308: Reply("to /helpdesk/ (a path: never to the host the request named)")},
        operation_id="getHelpdeskWithoutSlash",
    ),
    Operation(
        "get", "/api/v1/openapi.json", "This document", "operations",
        responses={200: Reply("OpenAPI 3", {"type": "object"})},
    ),
    Operation(
        "get", "/healthz", "Liveness: configuration loaded, version", "operations",
        responses={200: Reply("healthy (status ok or degraded)", HealthSchema)},
    ),
    Operation(
        "get", "/metrics", "Prometheus metrics", "operations",
        responses={200: Reply("the exposition text", {"type": "string"}, "text/plain")},
    ),
)


def _schema_name(schema: type[Schema] | Schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__
    return name[: -len("Schema")] if name.endswith("Schema") and name != "Schema" else name


def _content(schema: type[Schema] | Mapping[str, Any] | None, content_type: str) -> dict[str, Any]:
    return {content_type: {"schema": schema if isinstance(schema, type) else dict(schema or {})}}


def _reply_content(reply: Reply) -> dict[str, Any]:
    content = _content(reply.schema, reply.content_type)
    for content_type, schema in reply.alternatives.items():
        content.update(_content(schema, content_type))
    return content


def _parameter(p: Param, languages: tuple[str, ...]) -> dict[str, Any]:
    """A parameter as documented; a language one names the languages this configuration speaks
    (as an enum where another one is refused, in words where it falls back)."""
    schema, description = dict(p.schema), p.description
    if p.name == "lang":
        description = description.replace("it or en", " or ".join(languages), 1)
        if "enum" in schema:
            schema["enum"] = list(languages)
    return {"name": p.name, "in": p.location, "required": p.required or p.location == "path",
            "description": description, "schema": schema}


def _operation(op: Operation, languages: tuple[str, ...]) -> dict[str, Any]:
    result: dict[str, Any] = {"summary": op.summary, "tags": [op.tag], "operationId": _operation_id(op)}
    if op.description:
        result["description"] = op.description
    if op.parameters:
        result["parameters"] = [_parameter(p, languages) for p in op.parameters]
    if op.body is not None:
        content: dict[str, Any] = {}
        for content_type in op.body_types:
            content.update(_content(op.body, content_type))
        result["requestBody"] = {"required": op.body_required, "content": content}
    if op.staff:
        result["security"] = [{"helpdeskToken": []}, {"staffSession": []}]
    result["responses"] = {
        str(status): {
            "description": reply.description,
            **({"content": _reply_content(reply)} if reply.schema is not None else {}),
            **({"headers": {k: dict(v) for k, v in reply.headers.items()}} if reply.headers else {}),
        }
        for status, reply in sorted(op.responses.items())
    }
    return result


def _operation_id(op: Operation) -> str:
    if op.operation_id:
        return op.operation_id
    words = [w for w in op.path.replace("{", "").replace("}", "").replace(".", "-").split("/") if w]
    return op.method + "".join(w[:1].upper() + w[1:] for w in "-".join(words).split("-"))


def build_document(
    *, version: str, server_url: str, operations: tuple[Operation, ...] = OPERATIONS,
    languages: tuple[str, ...] = ("it", "en"),
) -> dict[str, Any]:
    """The whole OpenAPI document as a dict, ready for json.dumps (`languages`: the
    configuration's, which every `lang` parameter accepts)."""
    spec = APISpec(
        title="autoconfig",
        version=version,
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
        info={
            "description": "Mail client autoconfiguration, account diagnostics and POP3/IMAP advice.",
        },
        servers=[{"url": server_url}],
        tags=[
            {"name": "clients", "description": "what mail clients fetch by themselves"},
            {"name": "api", "description": "the JSON API behind the page and the helpdesk"},
            {"name": "pages", "description": "HTML for people"},
            {"name": "operations", "description": "health, metrics and this document"},
            {"name": "helpdesk", "description": "staff only: the console and its API"},
        ],
    )
    spec.components.schema("Busy", schema=BusySchema)  # named in the diagnostics' 503 oneOf
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method] = _operation(op, languages)
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    spec.components.security_scheme(
        "helpdeskToken", {"type": "http", "scheme": "bearer",
                          "description": "a token from `autoconfig helpdesk add-token NAME`"})
    spec.components.security_scheme(
        "staffSession", {"type": "apiKey", "in": "cookie", "name": "autoconfig_staff",
                         "description": "the helpdesk console's sign-in"})
    return spec.to_dict()
