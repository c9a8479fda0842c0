"""One error policy: our exceptions and HTTP errors become JSON; a bug becomes a bare 500."""

from __future__ import annotations

import logging
from dataclasses import replace

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from ..errors import AutoconfigError
from .answers import Answer, error_answer

log = logging.getLogger(__name__)


def error_response(status: int, code: str, message: str, field: str | None = None) -> Response:
    return error_answer(status, code, message, field).response()


def answer_for(exc: Exception) -> Answer:
    """Our exception as its JSON error; anything else is a bug: logged with its traceback, a bare 500."""
    if isinstance(exc, AutoconfigError):
        answer = error_answer(exc.status, exc.code, exc.message, exc.field)
        if exc.retry_after is not None:
            retry = (("Retry-After", str(exc.retry_after)), ("Cache-Control", "no-store"))
            answer = replace(answer, headers=(*answer.headers, *retry))
        return answer
    log.error("internal error: %s", type(exc).__name__, exc_info=exc)
    return error_answer(500, "internal_error", "internal error; the problem has been logged")


def init_app(app: Flask) -> None:
    @app.errorhandler(AutoconfigError)
    def _ours(exc: AutoconfigError) -> Response:
        return answer_for(exc).response()

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        code = (exc.name or "error").lower().replace(" ", "_")
        response = error_response(exc.code or 500, code, exc.description or "")
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def _bug(exc: Exception) -> Response:
        return answer_for(exc).response()
