"""What operations watches: /healthz, /metrics and the request id."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from autoconfig import __version__, create_app
from tests.conftest import ConfigFactory, base_raw
from tests.support.procs import ServiceProcess, write_config

ADDRESS = "mario.rossi@example.com"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a Prometheus exposition, by name and labels."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


def test_healthz_says_the_configuration_is_loaded_and_which_version_runs(client: FlaskClient, app: Flask) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json
    assert body is not None
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["config"]["loaded"] is True
    assert body["config"]["providers"] == 1
    assert body["rate_limit_storage"] == "memory"
    assert response.headers["Cache-Control"] == "no-store"


def test_metrics_count_requests_by_endpoint_and_status_and_time_them(client: FlaskClient) -> None:
    # Given three answered configurations, one unknown domain and one malformed address
    for _ in range(3):
        assert client.get(f"/mail/config-v1.1.xml?emailaddress={ADDRESS}").status_code == 200
    assert client.get("/mail/config-v1.1.xml?emailaddress=a@unknown.example").status_code == 404
    assert client.get("/api/v1/settings?email=not-an-address").status_code == 400
    # When Prometheus scrapes
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    # Then it sees each endpoint and status, and the latency histogram
    tb = "clients.thunderbird_config"
    assert value(text, "autoconfig_http_requests_total", endpoint=tb, method="GET", status="200") == 3
    assert value(text, "autoconfig_http_requests_total", endpoint=tb, method="GET", status="404") == 1
    assert value(text, "autoconfig_http_requests_total", endpoint="api.settings", method="GET", status="400") == 1
    assert value(text, "autoconfig_http_request_duration_seconds_count", endpoint=tb) == 4
    assert value(text, "autoconfig_http_request_duration_seconds_bucket", endpoint=tb, le="+Inf") == 4
    assert value(text, "autoconfig_build_info", version=__version__) == 1
    # and nothing a customer typed becomes a label
    assert "mario.rossi" not in text and "unknown.example" not in text


def test_unrouted_paths_share_one_label(client: FlaskClient) -> None:
    for path in ("/wp-login.php", "/.env", "/x/y/z"):
        client.get(path)
    text = client.get("/metrics").get_data(as_text=True)
    assert value(text, "autoconfig_http_requests_total", endpoint="unmatched", method="GET", status="404") == 3
    assert "wp-login" not in text


def test_each_app_counts_for_itself(make_config: ConfigFactory) -> None:
    # Two apps in one process (as tests and `flask shell` make them) keep separate registries.
    first, second = create_app(make_config()), create_app(make_config())
    first.test_client().get(f"/api/v1/settings?email={ADDRESS}")
    text = second.test_client().get("/metrics").get_data(as_text=True)
    assert value(text, "autoconfig_http_requests_total", endpoint="api.settings", method="GET", status="200") == 0


def test_request_id_is_made_up_when_missing_and_returned(client: FlaskClient) -> None:
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.parametrize(
    "incoming",
    [
        "0f3a9c2e7b6d4e1f8a5b3c2d1e0f9a8b",
        "7d3e1c2a-5b6f-4a8e-9c0d-1e2f3a4b5c6d",
        "Root=1-67891233-abcdef012345678912345678",
    ],
)
def test_a_sane_incoming_request_id_is_kept(client: FlaskClient, incoming: str) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    ["short", "has space in it", "x" * 200, '"}{"level":"error', "abc\u00e8defghijk", "\tindented-request-id"],
)
def test_an_insane_incoming_request_id_is_replaced(client: FlaskClient, incoming: str) -> None:
    returned = client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"]
    assert returned != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", returned)


def test_metrics_add_up_over_every_gunicorn_worker(tmp_path: Path) -> None:
    # Given the service as deployed, with three worker processes
    config = write_config(base_raw(), tmp_path / "autoconfig.toml")
    with ServiceProcess(config, workers=3, threads=2) as service:
        # When 30 requests land on whichever worker accepts them
        for _ in range(30):
            status, _, _ = service.get(f"/api/v1/settings?email={ADDRESS}")
            assert status == 200
        # Then one scrape, answered by any one worker, counts all 30
        status, _, body = service.get("/metrics")
        assert status == 200
        text = body.decode()
        assert value(text, "autoconfig_http_requests_total", endpoint="api.settings", method="GET",
                     status="200") == 30
        assert value(text, "autoconfig_http_request_duration_seconds_count", endpoint="api.settings") == 30


@pytest.mark.parametrize("accept", ["application/json", "application/x-ndjson"])
def test_diagnoses_are_counted_by_status_and_outcome_code(make_config: ConfigFactory, accept: str) -> None:
    # Given a service whose DNS answers nothing (a closed port on loopback)
    raw = base_raw()
    raw["dns"] = {"nameservers": ["127.0.0.1:9"], "timeout_s": 0.5}
    raw["diagnostics"] = {"budget_s": 5, "connect_timeout_s": 0.5}
    client = create_app(make_config(raw)).test_client()
    # When the helpdesk runs a diagnosis, whole or streamed
    response = client.post("/api/v1/diagnostics", json={"email": ADDRESS}, headers={"Accept": accept})
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    report = lines[-1]
    # Then /metrics counts it by its status, and each check by its code, exactly once
    text = client.get("/metrics").get_data(as_text=True)
    assert value(text, "autoconfig_diagnoses_total", status=report["status"]) == 1
    expected = Counter((c["code"], c["status"]) for c in report["checks"])
    assert expected, "the report has checks"
    for (code, status), count in expected.items():
        assert value(text, "autoconfig_diagnosis_checks_total", code=code, status=status) == count
    assert sum(v for (name, _), v in samples(text).items() if name == "autoconfig_diagnosis_checks_total") == sum(
        expected.values()
    )
