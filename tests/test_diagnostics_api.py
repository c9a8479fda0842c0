"""POST /api/v1/diagnostics against a real Dovecot: the JSON report, the NDJSON stream,
and a clear 4xx for every kind of bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from autoconfig import create_app
from tests.diagnostics_helpers import dovecot_servers, make, publish_example_zone, raw_config
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, DovecotServer

URL = "/api/v1/diagnostics"


@pytest.fixture(scope="module")
def api(dovecot_healthy: DovecotServer, test_ca: TestCA, dns_server: KnotServer,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    config = make(raw_config(dovecot_servers(dovecot_healthy), ca=test_ca, knot=dns_server),
                  Path(tmp_path_factory.mktemp("api")))
    publish_example_zone(dns_server, config)
    app: Flask = create_app(config)
    app.config["TESTING"] = True
    yield app.test_client()


def test_report_as_json(api: FlaskClient) -> None:
    response = api.post(URL, json={"email": ALICE.address, "password": ALICE.password, "lang": "it",
                                   "protocols": ["imap"], "answers": {"devices": 3}})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    report = response.get_json()
    assert report["email"] == ALICE.address and report["provider"] == "example"
    assert report["status"] == "warning"
    assert report["started_at"].endswith("Z")
    check = next(c for c in report["checks"] if c["kind"] == "tls")
    assert set(check) >= {"id", "kind", "protocol", "host", "port", "security", "status", "code", "message",
                          "remedy", "duration_ms", "data"}
    assert check["data"]["tls_version"].startswith("TLSv1.")
    assert all(c["protocol"] in (None, "imap") for c in report["checks"])
    recommendation = report["recommendation"]
    assert recommendation["protocol"] == "imap"
    assert any(r["code"] == "advice.imap.several_devices" for r in recommendation["reasons"])
    assert "password" not in json.dumps(report).lower().replace("skip.no_password", "")


def test_checks_stream_as_ndjson_then_the_report(api: FlaskClient) -> None:
    response = api.post(URL, json={"email": ALICE.address, "password": ALICE.password, "protocols": ["pop3"]},
                        headers={"Accept": "application/x-ndjson"})
    assert response.status_code == 200
    assert response.mimetype == "application/x-ndjson"
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    *checks, report = lines
    assert {c["type"] for c in checks} == {"check"} and report["type"] == "report"
    assert sorted(c["id"] for c in checks) == sorted(c["id"] for c in report["checks"])
    assert any(c["code"] == "pop3.mailbox_ok" for c in checks)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 400, "email"),
        ({"email": "not-an-address"}, 400, "email"),
        ({"email": ALICE.address, "protocols": ["gopher"]}, 400, "protocols"),
        ({"email": ALICE.address, "lang": "fr"}, 400, "lang"),
        ({"email": ALICE.address, "password": "line\r\nbreak"}, 400, "password"),
        ({"email": ALICE.address, "password": 42}, 400, "password"),
        ({"email": ALICE.address, "answers": {"devices": "many"}}, 400, "answers"),
        ({"email": ALICE.address, "surprise": 1}, 400, "surprise"),
        ({"email": "someone@nowhere.example.com"}, 404, None),
    ],
)
def test_bad_input_gets_a_clear_4xx(api: FlaskClient, body: dict, status: int, field: str | None) -> None:
    response = api.post(URL, json=body)
    assert response.status_code == status
    error = response.get_json()
    assert error["message"]
    if field:
        assert error["field"] == field


@pytest.mark.parametrize("data", ["[1, 2]", "{not json", "", "\"just a string\""])
def test_a_body_that_is_not_a_json_object_is_a_400(api: FlaskClient, data: str) -> None:
    response = api.post(URL, data=data, content_type="application/json")
    assert response.status_code == 400
    assert "JSON object" in response.get_json()["message"]


def test_get_is_not_allowed(api: FlaskClient) -> None:
    assert api.get(URL).status_code == 405
