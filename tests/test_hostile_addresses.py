"""Every endpoint that takes an address answers hostile input with a clear 4xx, never a 500."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest
from flask import Flask
from flask.testing import FlaskClient

from autoconfig import create_app
from autoconfig.config import build_config
from tests.conftest import base_raw

OK, BAD, UNKNOWN = "ok", "bad", "unknown"

# (label, value, expected) — at least 30 hostile inputs, plus legitimate edge cases that must work.
CASES: list[tuple[str, str, str]] = [
    ("empty", "", BAD),
    ("100 KB long", "a" * 100_000 + "@example.com", BAD),
    ("long domain", "a@" + "b" * 300 + ".com", BAD),
    ("CR LF header injection", "a@example.com\r\nX-Injected: 1", BAD),
    ("LF only", "a\n@example.com", BAD),
    ("NUL", "a\x00@example.com", BAD),
    ("literal %00", "a%00@example.com", BAD),
    ("two @", "a@b@example.com", BAD),
    ("no @", "example.com", BAD),
    ("only @", "@", BAD),
    ("no local part", "@example.com", BAD),
    ("no domain", "a@", BAD),
    ("double quotes", '"a b"@example.com', BAD),
    ("single quote is legal atext", "o'neil@example.com", OK),
    ("markup", "<script>alert(1)</script>@example.com", BAD),
    ("ampersand entity", "a&amp;@example.com", BAD),
    ("markup in domain", "a@exa<mple>.com", BAD),
    ("trailing dot", "a@example.com.", BAD),
    ("leading dot in domain", "a@.example.com", BAD),
    ("space", "mario rossi@example.com", BAD),
    ("tab", "a\t@example.com", BAD),
    ("leading space", " a@example.com", BAD),
    ("right-to-left override", "a\u202e@example.com", BAD),
    ("zero-width space in domain", "a@exam\u200bple.com", BAD),
    ("confusable Cyrillic a", "a@ex\u0430mple.com", UNKNOWN),
    ("fullwidth at sign", "a\uff20example.com", BAD),
    ("IDN in Unicode", "luca@bücher.example", OK),
    ("IDN in punycode", "luca@xn--bcher-kva.example", OK),
    ("IDN upper case", "luca@BÜCHER.example", OK),
    ("bad punycode", "a@xn--zz-.example", BAD),
    ("IP literal", "a@[127.0.0.1]", BAD),
    ("bare IP", "a@127.0.0.1", BAD),
    ("single label", "a@localhost", BAD),
    ("path traversal", "../../etc/passwd@example.com", BAD),
    ("placeholder injection", "%EMAILADDRESS%@example.com", BAD),
    ("SQL", "' OR 1=1 --@example.com", BAD),
    ("backslash", "a\\b@example.com", BAD),
    ("slash in domain", "a@example.com/evil", BAD),
    ("emoji domain (not IDNA 2008)", "a@☃.example", BAD),
    ("unknown domain", "a@not-served.example", UNKNOWN),
    ("lone surrogate", "a\ud800@example.com", BAD),
    ("pattern subdomain", "a@shop.example.net", OK),
    ("upper-case address", "Mario.Rossi@EXAMPLE.COM", OK),
]


def _json(response: Any) -> dict[str, Any]:
    assert response.is_json, response.data[:200]
    body: dict[str, Any] = response.get_json()
    return body


def _safe(value: str) -> str:
    return value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def get_param(path: str, param: str) -> Any:
    def send(client: FlaskClient, value: str) -> Any:
        raw = quote(value.encode("utf-8", "surrogatepass"), safe="")
        joiner = "" if path.endswith("&") else "?"
        return client.get(f"{path}{joiner}{param}={raw}")

    return send


def v2_path(client: FlaskClient, value: str) -> Any:
    raw = quote(value.encode("utf-8", "surrogatepass"), safe="@")
    return client.get(f"/autodiscover/autodiscover.json/v1.0/{raw}?Protocol=AutodiscoverV1")


def pox(client: FlaskClient, value: str) -> Any:
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">'
        f"<Request><EMailAddress>{escape(_safe(value))}</EMailAddress>"
        "<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/"
        "responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>"
    ).encode()
    return client.post("/autodiscover/autodiscover.xml", data=body, content_type="text/xml")


def post_json(path: str) -> Any:
    def send(client: FlaskClient, value: str) -> Any:
        return client.post(path, json={"email": _safe(value)})

    return send


ENDPOINTS: dict[str, Any] = {
    "thunderbird": get_param("/mail/config-v1.1.xml", "emailaddress"),
    "thunderbird well-known": get_param("/.well-known/autoconfig/mail/config-v1.1.xml", "emailaddress"),
    "settings": get_param("/api/v1/settings", "email"),
    "mobileconfig": get_param("/mobileconfig", "email"),
    "autodiscover v2 path": v2_path,
    "autodiscover v2 query": get_param("/autodiscover/autodiscover.json?Protocol=AutodiscoverV1&", "Email"),
    "autodiscover POX": pox,
    "advice": post_json("/api/v1/advice"),
    "diagnostics": post_json("/api/v1/diagnostics"),
}
NO_NETWORK = {"diagnostics"}  # a valid address would start real probes; only refusals are sent


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    raw = base_raw()
    raw["limits"] = {"diagnostics_per_ip": "10000/minute", "diagnostics_per_account": "10000/minute",
                     "autoconfig_per_ip": "100000/minute"}
    return create_app(build_config(raw, base_dir=Path(tmp_path_factory.mktemp("hostile"))))


def check(endpoint: str, response: Any, expected: str) -> None:
    assert response.status_code < 500, (endpoint, response.status_code, response.data[:300])
    if endpoint == "autodiscover POX":
        # Outlook wants its own Error document, never JSON or HTML
        assert b"<Error" in response.data if expected != OK else b"<Protocol>" in response.data
        return
    if expected == OK:
        assert response.status_code == 200, (endpoint, response.data[:300])
    elif expected == UNKNOWN:
        assert response.status_code == 404, (endpoint, response.status_code, response.data[:300])
        assert _json(response).get("message") or _json(response).get("ErrorMessage")
    else:
        assert 400 <= response.status_code < 500 and response.status_code != 404, (
            endpoint, response.status_code, response.data[:300])
        body = _json(response)
        assert body.get("message") or body.get("ErrorMessage") or body.get("errors"), body
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value and "X-Injected" not in name


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
@pytest.mark.parametrize(("label", "value", "expected"), CASES, ids=[c[0] for c in CASES])
def test_hostile_address(hostile_app: Flask, endpoint: str, label: str, value: str, expected: str) -> None:
    if endpoint in NO_NETWORK and expected == OK:
        value, expected = value.replace("@", "@@"), BAD
    client = hostile_app.test_client()
    response = ENDPOINTS[endpoint](client, value)
    check(endpoint, response, expected)


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e not in NO_NETWORK])
def test_each_endpoint_serves_a_good_address_after_the_barrage(hostile_app: Flask, endpoint: str) -> None:
    # The route really exists (a 404 for a missing route would make the table above meaningless)
    response = ENDPOINTS[endpoint](hostile_app.test_client(), "mario.rossi@example.com")
    assert response.status_code == 200, (endpoint, response.data[:300])


def test_at_least_thirty_hostile_inputs() -> None:
    assert sum(1 for _, _, expected in CASES if expected != OK) >= 30
