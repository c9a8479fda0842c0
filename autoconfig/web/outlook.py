"""Outlook autodiscover: POX at /autodiscover/autodiscover.xml (any letter case) and v2 JSON.

The POX endpoint answers every failure with an Autodiscover `Error` document, never the app's
JSON or an HTML page: Outlook and Thunderbird parse whatever comes back as XML. Neither the
body, the address nor the `Authorization` header (clients send Basic or Bearer credentials
here) is ever logged.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.routing import BaseConverter, Map

from ..directory import Admit, DnsUnavailable
from ..errors import AutoconfigError, InvalidInput, UnknownDomain
from ..formats import autodiscover
from ..formats.autodiscover import AutodiscoverRequestError, ErrorCode
from ..lookup import settings_for_address
from ..model import Settings
from ..xmlinput import MAX_XML_BYTES, XmlTooLarge
from .answers import Answer
from .context import admit_lookup, services, settings_for
from .limits import SETUP, BucketFull, limited

if TYPE_CHECKING:
    from ..services import Services

log = logging.getLogger(__name__)
bp = Blueprint("outlook", __name__)
XML_TYPE = "text/xml; charset=utf-8"  # what Exchange sends; Thunderbird parses by it
POX_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]  # all answered here, in XML


class AnyCaseConverter(BaseConverter):
    """Matches one fixed path segment in any letter case: Outlook asks for /Autodiscover/Autodiscover.xml."""

    def __init__(self, map: Map, word: str) -> None:
        super().__init__(map)
        self.word = word
        self.regex = "".join(
            f"[{c.lower()}{c.upper()}]" if c.isalpha() else ("\\" + c if c in ".-" else c) for c in word
        )

    def to_url(self, value: Any) -> str:
        return self.word


class RestConverter(BaseConverter):
    """The rest of the path, whatever it holds (newlines too), so a bad address gets a 400, not a 404."""

    regex = r"[\s\S]*"
    part_isolating = False


@bp.record_once
def _converters(state: Any) -> None:
    state.app.url_map.converters.setdefault("anycase", AnyCaseConverter)
    state.app.url_map.converters.setdefault("rest", RestConverter)


def _read_body(limit: int) -> bytes:
    """The request body, refused unread when it announces more than `limit` bytes."""
    length = request.content_length
    if length is not None and length > limit:
        raise XmlTooLarge(f"the body is larger than {limit} bytes")
    try:
        data: bytes = request.stream.read(limit + 1)
    except RequestEntityTooLarge:
        raise XmlTooLarge(f"the body is larger than {limit} bytes") from None
    if len(data) > limit:
        raise XmlTooLarge(f"the body is larger than {limit} bytes")
    return data


def _error_for(exc: Exception) -> tuple[int, ErrorCode, str, str]:
    """One table: what went wrong → (HTTP status, Autodiscover code, DebugData, response namespace)."""
    if isinstance(exc, AutodiscoverRequestError):
        # 601 answers a well-formed request, with 200 as Exchange does (ActiveSync devices read the
        # body only then); a malformed request is the client's fault: 400
        status = 200 if exc.error is ErrorCode.SCHEMA_NOT_AVAILABLE else 400
        return status, exc.error, exc.message, exc.namespace
    if isinstance(exc, UnknownDomain):
        return 404, ErrorCode.ADDRESS_NOT_FOUND, exc.message, autodiscover.NS_RESPONSE
    if isinstance(exc, DnsUnavailable):
        return 503, ErrorCode.INTERNAL_ERROR, exc.message, autodiscover.NS_RESPONSE
    if isinstance(exc, InvalidInput | AutoconfigError):
        return exc.status, ErrorCode.INVALID_REQUEST, exc.message, autodiscover.NS_RESPONSE
    if isinstance(exc, HTTPException):
        return exc.code or 400, ErrorCode.INVALID_REQUEST, exc.description or "", autodiscover.NS_RESPONSE
    return 500, ErrorCode.INTERNAL_ERROR, "internal error; the problem has been logged", autodiscover.NS_RESPONSE


def _settings_body(settings: Settings, schema: str) -> bytes:
    return autodiscover.render(settings, schema=schema)


def _xml(body: bytes, status: int = 200) -> Response:
    response = Response(body, status=status, content_type=XML_TYPE)
    response.headers["Cache-Control"] = "no-store"
    return response


def _xml_answer(body: bytes, status: int = 200, *extra: tuple[str, str]) -> Answer:
    return Answer(status, body, XML_TYPE, (("Cache-Control", "no-store"), *extra))


def pox_error(app_services: Services, exc: Exception) -> Answer:
    """Every POX failure as an Autodiscover Error document (see _error_for); bugs are logged."""
    status, code, debug, namespace = _error_for(exc)
    if status >= 500 and code is ErrorCode.INTERNAL_ERROR and not isinstance(exc, AutoconfigError):
        log.error("autodiscover: internal error: %s", type(exc).__name__, exc_info=exc)
    else:
        log.info("autodiscover: answered error %d (HTTP %d)", code, status)
    body = autodiscover.render_error(
        code,
        debug,
        namespace=namespace,
        at=dt.datetime.now(dt.UTC),
        server_id=autodiscover.error_id(app_services.config.service.public_url),
    )
    allow = [(name, value) for name, value in exc.get_headers() if name.lower() == "allow"] \
        if isinstance(exc, HTTPException) else []
    return _xml_answer(body, status, *allow)


def pox_answer(app_services: Services, read_body: Callable[[], bytes], admit: Admit | None) -> Answer:
    """The answer to a POSTed Autodiscover request (or its Error document). Shared by the view
    and the fast path; `read_body` reads at most MAX_XML_BYTES or raises XmlTooLarge; `admit`
    is asked before a lookup that must wait on DNS, and its BucketFull goes to the caller."""
    try:
        parsed = autodiscover.parse_request(read_body())
        settings = settings_for_address(app_services.directory, parsed.email, app_services.memo, admit)
        return _xml_answer(app_services.memo(_settings_body, settings, parsed.response_schema))
    except BucketFull:  # the DNS-lookup limit: a 429 with Retry-After, like every other limit
        raise
    except Exception as exc:  # every other failure becomes an Error document (see _error_for)
        return pox_error(app_services, exc)


@bp.route(
    "/<anycase('autodiscover'):_dir>/<anycase('autodiscover.xml'):_file>",
    methods=POX_METHODS,
    provide_automatic_options=True,
)
@limited(SETUP)
def pox(**_: str) -> Response:
    """POST an Autodiscover request, get the IMAP/POP3/SMTP settings (or an Error document)."""
    if request.method != "POST":
        refused = MethodNotAllowed(["POST"], f"{request.method} is not served here; POST an Autodiscover request")
        return pox_error(services(), refused).response()
    return pox_answer(services(), lambda: _read_body(MAX_XML_BYTES), admit_lookup()).response()


def _arg(name: str) -> str | None:
    """A query parameter by name in any letter case (`Protocol`, `protocol`)."""
    wanted = name.lower()
    return next((v for k, v in request.args.items(multi=True) if k.lower() == wanted), None)


def _v2(email: str | None) -> Response:
    protocol = _arg("Protocol")
    if not protocol or protocol.lower() != autodiscover.V2_PROTOCOL.lower():
        response = jsonify(autodiscover.v2_invalid_protocol(protocol))
        response.status_code = 400
        return response
    if not email:
        raise InvalidInput("give the address as ?Email= or in the path /v1.0/<address>", field="Email")
    settings_for(email)  # 400/404 for an address we do not serve
    response = jsonify(autodiscover.v2_response(services().config.service.public_url))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<anycase('autodiscover'):_dir>/<anycase('autodiscover.json'):_file>/<anycase('v1.0'):_v>/<rest:email>")
@limited(SETUP)
def v2_path(email: str, **_: str) -> Response:
    """Autodiscover v2, path form: /autodiscover/autodiscover.json/v1.0/<address>?Protocol=AutodiscoverV1."""
    return _v2(email)


@bp.get("/<anycase('autodiscover'):_dir>/<anycase('autodiscover.json'):_file>")
@limited(SETUP)
def v2_query(**_: str) -> Response:
    """Autodiscover v2, query form: /autodiscover/autodiscover.json?Email=<address>&Protocol=AutodiscoverV1."""
    return _v2(_arg("Email"))
