"""Bad input is a clear 4xx (or CLI exit 2), never a 500 (issue 16, item 4): JSON nested a
thousand deep, a lone surrogate in the password, bytes that are not UTF-8 on
`autoconfig diagnose --password-stdin`; and nothing says how long the password was."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from autoconfig.cli import main
from autoconfig.model import Secret
from autoconfig.probes.clients import sasl_plain
from autoconfig.web.jsonbody import MAX_DEPTH, too_deep
from tests.conftest import base_raw
from tests.diagnostics_helpers import to_toml

JSON_ENDPOINTS = ["/api/v1/diagnostics", "/api/v1/advice"]


def _nested(depth: int) -> str:
    return '{"email": "alice@example.com", "answers": ' + "[" * depth + "]" * depth + "}"


@pytest.mark.parametrize("url", JSON_ENDPOINTS)
@pytest.mark.parametrize("depth", [40, 1000, 20_000])
def test_json_nested_deep_is_a_400(client: FlaskClient, url: str, depth: int,
                                   caplog: pytest.LogCaptureFixture) -> None:
    # Given a body nested far deeper than any request of ours (the attack used ~1000)
    with caplog.at_level(logging.ERROR):
        response = client.post(url, data=_nested(depth), content_type="application/json")
    # Then a clear 400 says so, and nothing was logged as a bug of ours
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_input" and "levels deep" in body["message"]
    assert not [r for r in caplog.records if "RecursionError" in r.getMessage() or r.exc_info]


@pytest.mark.parametrize(("text", "deep"), [
    ("{}", False),
    ("[" * 32 + "]" * 32, False),
    ("[" * 33 + "]" * 33, True),
    ('{"a": "' + "[" * 500 + '"}', False),  # brackets inside a string do not nest
    ('{"a": "\\"' + "[" * 500 + '"}', False),  # nor after an escaped quote
    ("[" + "[]," * 100 + "[]]", False),  # many, side by side
])
def test_depth_is_counted_outside_strings(text: str, deep: bool) -> None:
    assert too_deep(text, MAX_DEPTH) is deep


def test_a_lone_surrogate_in_the_password_is_a_400(client: FlaskClient) -> None:
    # Given a password holding a lone surrogate after 11 characters (JSON can carry one)
    body = '{"email": "alice@example.com", "password": "Correct-Hor\\ud800se"}'
    response = client.post("/api/v1/diagnostics", data=body, content_type="application/json")
    # Then a 400 names the field, and says neither where the surrogate was nor the length
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["field"] == "password" and "surrogate" in answer["message"]
    assert not re.search(r"\b11\b|position", answer["message"])


def test_sasl_plain_never_tells_where_a_surrogate_was() -> None:
    # Should a surrogate ever get past the inputs, the error is ours and says nothing of it
    with pytest.raises(ValueError, match="not valid Unicode") as caught:
        sasl_plain("alice@example.com", Secret("Correct-Hor\ud800se"))
    assert "11" not in str(caught.value) and caught.value.__suppress_context__


@pytest.fixture
def config_file(tmp_path: Path) -> str:
    path = tmp_path / "autoconfig.toml"
    path.write_text(to_toml(base_raw()), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("stdin", "says"), [
    (b"Corr\xffect-Horse\n", "is not UTF-8 text"),
    (b"Correct-\xed\xa0\x80Horse\n", "is not UTF-8 text"),  # a surrogate, CESU-8 style
    (b"Correct\tHorse\n", "control characters"),
    (b"x" * 1025 + b"\n", "longer than 1024"),
])
def test_diagnose_refuses_a_password_it_could_not_send(config_file: str, stdin: bytes, says: str) -> None:
    # When the helpdesk pipes a password that is not text a login could carry
    result = CliRunner().invoke(main, ["diagnose", "--config", config_file, "--password-stdin",
                                       "alice@example.com"], input=stdin)
    # Then the command stops at once with exit 2 and a clear line, no traceback
    assert result.exit_code == 2, result.output
    assert "error: the password on standard input " in result.output and says in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
