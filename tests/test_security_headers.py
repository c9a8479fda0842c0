"""Hardening a browser and an attacker notice: headers, content types, body size, no banners."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient

from autoconfig.web.context import MAX_BODY


def _csp(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", ["/", "/?lang=en", "/?email=mario.rossi@example.com", "/?email=not-an-address"])
def test_the_page_gets_a_strict_policy_and_can_live_with_it(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.mimetype == "text/html"
    csp = _csp(response.headers["Content-Security-Policy"])
    # No inline code may run, nothing may frame the page, nothing loads from elsewhere.
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"  # ?email= must not leak to the FAQ
    assert response.headers["X-Frame-Options"] == "DENY"
    # and the page itself has nothing inline that the policy would block
    found = _InlineFinder.scan(response.get_data(as_text=True))
    assert found == [], f"the page needs inline code the CSP blocks: {found}"


class _InlineFinder(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' blocks: inline scripts/styles, style=, on*=."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in: str | None = None

    @classmethod
    def scan(cls, html: str) -> list[str]:
        finder = cls()
        finder.feed(html)
        return finder.found

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _ in attrs}
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and "src" not in names:
            self._in = "script"
        if "style" in names:
            self.found.append(f"<{tag} style=…>")
        self.found.extend(f"<{tag} {n}=…>" for n in names if n.startswith("on"))
        for name, value in attrs:
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_data(self, data: str) -> None:
        if self._in == "script" and data.strip():
            self.found.append("inline <script>")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in = None


@pytest.mark.parametrize(
    "path",
    [
        "/mail/config-v1.1.xml?emailaddress=mario.rossi@example.com",
        "/api/v1/settings?email=mario.rossi@example.com",
        "/api/v1/settings?email=nobody@unknown.example",
        "/healthz",
        "/no/such/page",
    ],
)
def test_data_responses_are_never_sniffed_or_framed(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert _csp(response.headers["Content-Security-Policy"]) == {
        "default-src": "'none'", "frame-ancestors": "'none'"
    }


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b'{"devices": 2}'),
        ("application/x-www-form-urlencoded", b"devices=2"),
        ("multipart/form-data; boundary=x", b"--x\r\n\r\n--x--"),
        (None, b'{"devices": 2}'),
    ],
)
def test_json_api_takes_only_json_bodies(client: FlaskClient, content_type: str | None, body: bytes) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/api/v1/advice", data=body, headers=headers)
    assert response.status_code == 415
    assert response.json is not None
    assert response.json["error"] == "unsupported_media_type"
    assert "application/json" in response.json["message"]


def test_json_api_answers_a_json_body(client: FlaskClient) -> None:
    response = client.post("/api/v1/advice", json={"devices": 3, "webmail": True, "lang": "en"},
                           headers={"Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 200
    assert response.json is not None and response.json["protocol"] == "imap"


def test_json_api_refuses_a_too_large_body_unread(client: FlaskClient) -> None:
    body = b'{"devices": 2, "pad": "' + b"x" * MAX_BODY + b'"}'
    response = client.post("/api/v1/advice", data=body, content_type="application/json")
    assert response.status_code == 413
    assert response.json is not None and response.json["error"] == "request_entity_too_large"


def test_autodiscover_keeps_its_xml_error_for_a_too_large_body(client: FlaskClient) -> None:
    # Outlook parses whatever comes back as XML: the API's JSON policy must not reach it.
    response = client.post("/autodiscover/autodiscover.xml", data=b"<a>" + b"x" * (MAX_BODY + 1) + b"</a>",
                           content_type="text/xml")
    assert 400 <= response.status_code < 500
    assert response.mimetype == "text/xml"
    assert b"<Error" in response.data


def test_outlook_may_post_any_content_type_to_autodiscover(client: FlaskClient) -> None:
    response = client.post("/autodiscover/autodiscover.xml", data=b"<x/>", content_type="text/plain")
    assert response.status_code != 415


@pytest.mark.parametrize("path", ["/", "/no/such/page", "/api/v1/settings?email=x", "/healthz"])
def test_no_software_or_version_banner(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    for name, value in response.headers.items():
        if name.lower() in ("server", "x-powered-by"):
            pytest.fail(f"{name}: {value} names our software")
        assert not re.search(r"(?i)werkzeug|flask|python/|gunicorn/", value), f"{name}: {value}"


def test_errors_are_json_without_a_traceback(client: FlaskClient) -> None:
    for response in (client.get("/no/such/page"), client.delete("/api/v1/settings"),
                     client.post("/api/v1/advice", data=b"{not json", content_type="application/json")):
        assert response.status_code in (400, 404, 405)
        assert response.json is not None and set(response.json) >= {"error", "message"}
        assert b"Traceback" not in response.data
