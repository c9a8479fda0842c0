"""Answers built without a request: the JSON error and the 429 that every surface gives.

The views turn an `Answer` into a Flask `Response`; the fast path (fastpath.py) sends the
same `Answer` straight to WSGI, so both give the same bytes and headers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from flask import Response
from werkzeug.http import HTTP_STATUS_CODES

from ..messages import words

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse

JSON_TYPE = "application/json"
RATE_LIMITED = "http.rate_limited"


@dataclass(frozen=True)
class Answer:
    """A whole answer: status, body and headers besides Content-Type and Content-Length."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: tuple[tuple[str, str], ...] = ()

    def response(self) -> Response:
        response = Response(self.body, status=self.status, content_type=self.content_type)
        response.headers.extend(self.headers)
        return response

    def send(self, start_response: StartResponse) -> Iterable[bytes]:
        """Answer a WSGI call with it, headers in the order Flask would send them."""
        start_response(f"{self.status} {HTTP_STATUS_CODES.get(self.status, 'UNKNOWN')}", [
            ("Content-Type", self.content_type),
            ("Content-Length", str(len(self.body))),
            *self.headers,
        ])
        return (self.body,)


def json_bytes(document: Any) -> bytes:
    """JSON as Flask's `jsonify` writes it outside debug mode: compact, ASCII, keys in order."""
    return (json.dumps(document, ensure_ascii=True, separators=(",", ":")) + "\n").encode("ascii")


def error_answer(status: int, code: str, message: str, field: str | None = None) -> Answer:
    """The JSON error body of every 4xx/5xx outside autodiscover: a stable code and a sentence."""
    body: dict[str, str] = {"error": code, "message": message}
    if field:
        body["field"] = field
    return Answer(status, json_bytes(body))


def refusal_answer(scope: str, rule: str, retry_after: int, lang: str) -> Answer:
    """The 429 every limit answers: Retry-After and words in the request's language."""
    text = words(RATE_LIMITED, lang, {"retry_after": retry_after})
    body = {
        "error": "rate_limited", "message": text.message, "remedy": text.remedy,
        "limit": scope, "retry_after": retry_after,
    }
    return Answer(429, json_bytes(body), headers=(("Retry-After", str(retry_after)), ("Cache-Control", "no-store")))
