"""Logs as operations reads them: one JSON object a line, with the request id, never a secret."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from autoconfig.logs import REDACTED, JsonFormatter, RedactingFilter, logging_config, redact

SECRET = "S3gr3t0-Passw0rd!"


class Captured:
    """The JSON lines a handler configured like production's (filter + formatter) wrote."""

    def __init__(self, stream: io.StringIO) -> None:
        self.stream = stream

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def entries(self) -> list[dict[str, object]]:
        return [json.loads(line) for line in self.text.splitlines()]


@pytest.fixture
def logs() -> Iterator[Captured]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield Captured(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def test_every_request_is_one_json_access_line_with_the_request_id(client: FlaskClient, logs: Captured) -> None:
    # When a client fetches its configuration
    response = client.get("/mail/config-v1.1.xml?emailaddress=mario.rossi@example.com",
                          headers={"User-Agent": "Thunderbird/128.0"})
    # Then the access log has one JSON line for it, carrying the id the response names
    access = [e for e in logs.entries() if e["logger"] == "autoconfig.access"]
    assert len(access) == 1
    entry = access[0]
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert entry["status"] == 200
    assert entry["method"] == "GET"
    assert entry["path"] == "/mail/config-v1.1.xml"
    assert entry["endpoint"] == "clients.thunderbird_config"
    assert entry["user_agent"] == "Thunderbird/128.0"
    assert isinstance(entry["duration_ms"], float)
    assert entry["level"] == "info" and entry["time"].endswith("+00:00")
    # and the query string (a customer's address) stays out of the log
    assert "mario.rossi" not in logs.text


def test_log_lines_written_while_serving_carry_that_request_id(app: Flask, logs: Captured) -> None:
    # Given a view that logs (like a probe reporting a problem)
    @app.get("/_log_probe")
    def _log_probe() -> str:
        logging.getLogger("autoconfig.probes.test").warning("server said goodbye")
        return "ok"

    # When it runs for a request that came with nginx's request id
    response = app.test_client().get("/_log_probe", headers={"X-Request-ID": "0f3a9c2e7b6d4e1f8a5b3c2d1e0f9a8b"})
    # Then its line names that request
    line = next(e for e in logs.entries() if e["message"] == "server said goodbye")
    assert line["request_id"] == "0f3a9c2e7b6d4e1f8a5b3c2d1e0f9a8b" == response.headers["X-Request-ID"]


def test_authorization_header_and_password_never_reach_the_log(client: FlaskClient, logs: Captured) -> None:
    # When Outlook posts with credentials and a customer sends a password where none belongs
    client.post("/autodiscover/autodiscover.xml", data=b"<not-xml", content_type="text/xml",
                headers={"Authorization": f"Basic {SECRET}"})
    client.post("/api/v1/advice", json={"devices": 2, "password": SECRET})
    client.get(f"/mobileconfig?email=mario.rossi@example.com&password={SECRET}")
    # Then nothing logged contains them
    assert logs.text, "the requests were logged"
    assert SECRET not in logs.text


@pytest.mark.parametrize(
    ("message", "args"),
    [
        ('body {"email": "a@example.com", "password": "%s"}', (SECRET,)),
        ("form email=a@example.com&password=%s&lang=it", (SECRET,)),
        ("headers: Authorization: Basic %s", ("bWFyaW86" + SECRET,)),
        ("Authorization: Bearer %s", (SECRET + "abcdefgh",)),
        ("a002 LOGIN mario %s", (SECRET,)),
        ("PASS %s", (SECRET,)),
        ("AUTH PLAIN %s", ("AG1hcmlvAA" + SECRET,)),
        ("request %s", ({"email": "a@example.com", "password": SECRET},)),
        ("headers %s", ({"Authorization": "Basic " + SECRET, "Host": "x"},)),
        ("password: %s", (SECRET,)),
    ],
)
def test_redaction_catches_passwords_however_they_are_written(
    logs: Captured, message: str, args: tuple[object, ...]
) -> None:
    logging.getLogger("some.library").warning(message, *args)
    assert SECRET not in logs.text
    assert REDACTED in logs.text


def test_password_in_an_exception_and_in_extra_fields_is_redacted(logs: Captured) -> None:
    try:
        raise ValueError(f"login failed with password={SECRET}")
    except ValueError:
        logging.getLogger("autoconfig.probes").exception("probe crashed", extra={"password": SECRET})
    entry = logs.entries()[-1]
    assert "ValueError" in str(entry["exception"])
    assert SECRET not in logs.text


def test_redaction_leaves_ordinary_prose_alone() -> None:
    text = "login refused: the server says the password is wrong (auth.failed) for mario@example.com"
    assert redact(text) == text


def test_handler_without_the_filter_still_writes_no_password() -> None:
    # A handler someone configured with our formatter only: the formatter redacts too.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("autoconfig.test.formatter_only")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning('sending {"password": "%s"}', SECRET)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    assert SECRET not in stream.getvalue()
    assert json.loads(stream.getvalue())["message"].startswith("sending")


def test_production_logging_config_routes_gunicorn_and_the_app_through_the_json_handler() -> None:
    config = logging_config("INFO")
    assert config["root"]["handlers"] == ["json"]
    assert config["loggers"]["gunicorn.error"]["handlers"] == ["json"]
    assert config["handlers"]["json"]["filters"] == ["redact"]
    assert config["disable_existing_loggers"] is False


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("\x1b[31m\x1b[1mWARNING: This is a development server.\x1b[0m", "WARNING: This is a development server."),
        ("\x1b]8;;https://example.com\x07link\x1b]8;;\x07 text", "link text"),
        ("plain words stay", "plain words stay"),
    ],
)
def test_log_lines_carry_no_terminal_colour_codes(logs: Captured, written: str, read: str) -> None:
    # werkzeug colours its banner whenever the root logger has a handler; machines read these lines
    logging.getLogger("werkzeug").warning(written)
    assert "\\u001b" not in logs.text and "\x1b" not in logs.text
    assert logs.entries()[-1]["message"] == read
