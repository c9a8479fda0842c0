"""The fast path answers Thunderbird's autoconfig request exactly as the Flask view would.

It skips Flask for the most frequent request, so the tests hold it to the view: the same
bytes and headers for every address, the same errors, one count against the client-setup
bucket, one DNS lookup, and the same request id, metrics and access log around it.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from autoconfig import create_app
from tests.conftest import ConfigFactory, base_raw
from tests.support.apps import without_fast_path
from tests.support.dns_cases import hoster_config
from tests.support.silent_dns import SilentNameserver
from tests.test_observability import value

ADDRESS = "mario.rossi@example.com"
PATHS = ("/mail/config-v1.1.xml", "/.well-known/autoconfig/mail/config-v1.1.xml")
# Queries a mail client or a person may send, well-formed or not.
QUERIES = [
    f"emailaddress={ADDRESS}",
    "emailaddress=MARIO.Rossi@EXAMPLE.com",
    "emailaddress=mario%2Brossi%40example.com",
    "emailaddress=jos%C3%A9@example.com",
    "emailaddress=a@xn--caf-dma.example.com",
    f"emailaddress={ADDRESS}&emailaddress=other@example.com",
    f"lang=en&emailaddress={ADDRESS}",
    "emailaddress=someone@unknown.example",
    "emailaddress=not-an-address",
    "emailaddress=",
    "emailaddress=a@b@example.com",
    "emailaddress=%00@example.com",
    "emailaddress=mario%0D%0AX-Injected:%201@example.com",
    "emailaddress=%ff%fe@example.com",
    "emailaddress=" + "a" * 5000 + "@example.com",
]


def comparable(response: TestResponse) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(name, value) for name, value in response.headers.items() if name != "X-Request-ID"]
    return response.status_code, headers, response.get_data()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("query", QUERIES, ids=range(len(QUERIES)))
def test_every_answer_is_the_views_to_the_byte(make_config: ConfigFactory, path: str, query: str) -> None:
    config = make_config()
    fast, view = create_app(config).test_client(), without_fast_path(create_app(config)).test_client()
    assert comparable(fast.get(f"{path}?{query}")) == comparable(view.get(f"{path}?{query}"))


def test_it_answers_without_the_view_and_leaves_the_rest_to_flask(app: Flask, client: FlaskClient) -> None:
    # Given a view that would fail if it were asked
    def unreachable() -> None:
        raise AssertionError("the fast path should have answered")

    app.view_functions["clients.thunderbird_config"] = unreachable
    # Then an address gets its settings all the same, on both paths
    for path in PATHS:
        response = client.get(f"{path}?emailaddress={ADDRESS}")
        assert response.status_code == 200
        assert b"<emailProvider" in response.data
        assert response.headers["ETag"] and response.headers["Cache-Control"] == "public, max-age=3600"
    # and so do its errors: it renders them itself and hands the view nothing
    assert client.get(f"{PATHS[0]}?emailaddress=someone@unknown.example").status_code == 404
    assert client.get(f"{PATHS[0]}?emailaddress=not-an-address").status_code == 400
    # but what it does not answer reaches the view: the Host fallback, HEAD and conditional requests
    for response in (
        client.get(PATHS[0]),
        client.head(f"{PATHS[0]}?emailaddress={ADDRESS}"),
        client.get(f"{PATHS[0]}?emailaddress={ADDRESS}", headers={"If-None-Match": '"x"'}),
    ):
        assert response.status_code == 500


def test_a_conditional_request_still_gets_its_304(client: FlaskClient) -> None:
    first = client.get(f"{PATHS[0]}?emailaddress={ADDRESS}")
    again = client.get(f"{PATHS[0]}?emailaddress={ADDRESS}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_head_gets_the_headers_of_get(client: FlaskClient) -> None:
    get = client.get(f"{PATHS[0]}?emailaddress={ADDRESS}")
    head = client.head(f"{PATHS[0]}?emailaddress={ADDRESS}")
    assert head.status_code == 200 and head.get_data() == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Cache-Control", "Vary", "Content-Security-Policy"):
        assert head.headers[name] == get.headers[name], name


def test_the_bucket_counts_each_request_once_answered_or_not(make_config: ConfigFactory) -> None:
    # Given a client-setup bucket of four requests a minute
    raw = base_raw()
    raw["limits"] = {"autoconfig_per_ip": "4/minute"}
    client = create_app(make_config(raw)).test_client()
    # When a client asks for two known addresses, one unknown and one malformed
    statuses = [
        client.get(f"{PATHS[0]}?emailaddress={ADDRESS}").status_code,
        client.get(f"{PATHS[1]}?emailaddress={ADDRESS}").status_code,
        client.get(f"{PATHS[0]}?emailaddress=someone@unknown.example").status_code,
        client.get(f"{PATHS[0]}?emailaddress=not-an-address").status_code,
    ]
    assert statuses == [200, 200, 404, 400]
    # Then its fifth request is the first refused, with the 429 every limit gives
    refused = client.get(f"{PATHS[0]}?emailaddress={ADDRESS}", headers={"Accept-Language": "it"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.json is not None and refused.json["error"] == "rate_limited"
    text = client.get("/metrics").get_data(as_text=True)
    assert value(text, "autoconfig_rate_limited_total", endpoint="clients.thunderbird_config",
                 limit="autoconfig_per_ip") == 1


def test_an_unanswered_dns_lookup_is_not_repeated_by_the_view(tmp_path: Path) -> None:
    # Given a domain only DNS could place, and a nameserver that never answers
    with SilentNameserver() as silent:
        app = create_app(hoster_config(tmp_path, [silent.nameserver], timeout_s=0.3))
        client = app.test_client()
        # The JSON API (never on the fast path) sends this many queries for one lookup
        assert client.get("/api/v1/settings?email=a@customer.test").status_code == 503
        one_lookup = silent.queries()
        assert one_lookup >= 1
        # When Thunderbird asks for the same kind of domain
        response = client.get(f"{PATHS[0]}?emailaddress=a@other-customer.test")
        # Then it gets the same 503, after the same number of queries: the view did not look again
        assert response.status_code == 503
        assert response.json is not None and response.json["error"] == "dns_unavailable"
        assert silent.queries() == one_lookup


def test_its_requests_carry_the_request_id_metrics_and_access_line(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="autoconfig.access"):
        response = client.get(f"{PATHS[0]}?emailaddress={ADDRESS}", headers={"X-Request-ID": "rid-0123456789"})
    assert response.headers["X-Request-ID"] == "rid-0123456789"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    [line] = [r for r in caplog.records if r.name == "autoconfig.access"]
    assert (line.request_id, line.endpoint, line.status, line.path) == (  # type: ignore[attr-defined]
        "rid-0123456789", "clients.thunderbird_config", 200, PATHS[0])
    assert ADDRESS not in line.getMessage()
    text = client.get("/metrics").get_data(as_text=True)
    assert value(text, "autoconfig_http_requests_total", endpoint="clients.thunderbird_config",
                 method="GET", status="200") == 1


def test_invented_methods_share_one_metrics_label(client: FlaskClient) -> None:
    for method in ("FOOBAR", "PROPFIND", "X" * 50):
        assert client.open(PATHS[0], method=method).status_code == 405
    text = client.get("/metrics").get_data(as_text=True)
    assert value(text, "autoconfig_http_requests_total", endpoint="unmatched", method="other", status="405") == 3
    assert "FOOBAR" not in text and "PROPFIND" not in text


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        (f"emailaddress={ADDRESS}", {}),
        (f"emailaddress={ADDRESS}", {"Accept-Language": "it"}),
        (f"emailaddress={ADDRESS}", {"Accept-Language": "en-GB,en;q=0.9"}),
        (f"lang=en&emailaddress={ADDRESS}", {"Accept-Language": "it"}),
        (f"lang=xx&emailaddress={ADDRESS}", {"Accept-Language": "en"}),
        ("emailaddress=someone@unknown.example", {"Accept-Language": "en"}),
    ],
    ids=range(6),
)
def test_its_429_is_the_limits_to_the_byte(make_config: ConfigFactory, query: str, headers: dict[str, str]) -> None:
    # Given a bucket of one request a minute, already spent on both apps
    raw = base_raw()
    raw["limits"] = {"autoconfig_per_ip": "1/minute"}
    config = make_config(raw)
    fast, view = create_app(config).test_client(), without_fast_path(create_app(config)).test_client()
    for client in (fast, view):
        assert client.get(f"{PATHS[0]}?emailaddress={ADDRESS}").status_code == 200
    # Then the next request gets the same 429, in the same language, on both (but for the
    # seconds to wait, which each app counts from its own moment)
    refused = without_seconds(fast.get(f"{PATHS[1]}?{query}", headers=headers))
    assert refused[0] == 429
    assert refused == without_seconds(view.get(f"{PATHS[1]}?{query}", headers=headers))


def without_seconds(response: TestResponse) -> tuple[int, list[tuple[str, str]], dict[str, object]]:
    """A 429 with its Retry-After seconds (and its byte count, which follows) taken out."""
    body = response.get_json()
    seconds = str(body.pop("retry_after"))
    assert response.headers["Retry-After"] == seconds
    for key in ("message", "remedy"):
        body[key] = (body[key] or "").replace(seconds, "N")
    varying = {"X-Request-ID", "Retry-After", "Content-Length"}
    headers = [(n, v) for n, v in response.headers.items() if n not in varying]
    return response.status_code, headers, body


def test_a_bug_under_it_is_the_views_logged_500(
    make_config: ConfigFactory, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a renderer that fails as a bug would
    from autoconfig.formats import thunderbird

    def broken(*_: object) -> bytes:
        raise RuntimeError("a bug")

    monkeypatch.setattr(thunderbird, "render", broken)
    config = make_config()
    fast, view = create_app(config).test_client(), without_fast_path(create_app(config)).test_client()
    # Then both answer the same bare 500, and log the bug with its traceback
    with caplog.at_level(logging.ERROR, logger="autoconfig.web.errors"):
        answers = [comparable(c.get(f"{PATHS[0]}?emailaddress={ADDRESS}")) for c in (fast, view)]
    assert answers[0][0] == 500 and answers[0] == answers[1]
    bugs = [r for r in caplog.records if r.name == "autoconfig.web.errors"]
    assert len(bugs) == 2 and all(r.exc_info for r in bugs)
