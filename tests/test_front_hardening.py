"""The smaller holes of issue 16, item 6, replayed: no redirect to a host the client chose,
a page that says what it varies on and stays out of shared caches, /healthz without the
configuration's path, no address in the access log's v2 path, and gunicorn honouring a
front's headers only when the configuration says a front stands there."""

from __future__ import annotations

import http.client
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from autoconfig import create_app
from tests.conftest import base_raw
from tests.support.procs import ServiceProcess, write_config
from tests.test_deploy import gunicorn_settings

THUNDERBIRD_QUERY = "?emailaddress=alice@example.com"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    folder = tmp_path_factory.mktemp("front-hardening")
    with ServiceProcess(write_config(base_raw(), folder / "autoconfig.toml"), workers=1) as process:
        yield process


def _raw_get(service: ServiceProcess, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """A request line exactly as given (http.client would not normalise it either)."""
    connection = http.client.HTTPConnection("127.0.0.1", service.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", ["//mail//config-v1.1.xml", "/mail//config-v1.1.xml",
                                  "/.well-known/autoconfig//mail/config-v1.1.xml"])
def test_doubled_slashes_are_never_redirected_to_the_clients_host(service: ServiceProcess, path: str) -> None:
    # When a client asks with doubled slashes and a Host header of its choosing
    status, headers, _ = _raw_get(service, path + THUNDERBIRD_QUERY, {"Host": "evil.test"})
    # Then there is no redirect to that host: a plain 404
    assert status == 404 and "location" not in headers


def test_the_console_without_its_slash_redirects_within_our_own_site(service: ServiceProcess) -> None:
    # When staff type /helpdesk (no slash) and the Host header names another site
    status, headers, _ = _raw_get(service, "/helpdesk", {"Host": "evil.test"})
    # Then the redirect stays on our site: a path, no host
    assert status == 308 and headers["location"] == "/helpdesk/"


def test_the_page_varies_with_accept_language_and_stays_out_of_shared_caches(client: FlaskClient) -> None:
    for path in ("/", "/?email=alice@example.com", "/?email=not-an-address"):
        response = client.get(path, headers={"Accept-Language": "en"})
        assert "Accept-Language" in response.headers.get("Vary", ""), path
        assert "no-store" in response.headers["Cache-Control"] and "private" in response.headers["Cache-Control"]


def test_healthz_keeps_the_configuration_path_for_metrics(tmp_path: Path) -> None:
    # Given an app loaded from a file
    (tmp_path / "secret-place").mkdir()
    path = write_config(base_raw(), tmp_path / "secret-place" / "autoconfig.toml")
    client = create_app(path).test_client()
    # Then /healthz says it is loaded, not where it lies…
    health = client.get("/healthz")
    assert health.status_code == 200 and health.json is not None and health.json["config"]["loaded"] is True
    assert "secret-place" not in health.get_data(as_text=True)
    # …which /metrics (open to the monitoring host only, behind the nginx site) tells
    assert f'autoconfig_config_info{{source="{path}"}} 1.0' in client.get("/metrics").get_data(as_text=True)


def test_the_access_log_leaves_the_address_out_of_the_v2_path(client: FlaskClient,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="autoconfig.access"):
        client.get("/autodiscover/autodiscover.json/v1.0/alice.secret@example.com?Protocol=AutodiscoverV1")
        client.get("/autodiscover/autodiscover.json/v1.0/alice.secret%40example.com?Protocol=ActiveSync")
    lines = [r for r in caplog.records if r.name == "autoconfig.access"]
    assert len(lines) == 2
    for line in lines:
        assert "alice.secret" not in line.getMessage() and "alice.secret" not in str(line.path)  # type: ignore[attr-defined]
        assert line.path == "/autodiscover/autodiscover.json/v1.0/[address]"  # type: ignore[attr-defined]


def test_gunicorn_honours_no_forwarder_headers_without_a_front(service: ServiceProcess) -> None:
    # Given no trusted proxy configured, a local client sends a front's headers itself
    status, _, body = _raw_get(service, "/", {"Host": "localhost", "SCRIPT_NAME": "/evil",
                                              "X-Forwarded-Proto": "https"})
    # Then the page's own script and form URLs are not rewritten (the CSP would block them)
    assert status == 200
    assert b"/evil/" not in body and b'src="/static/' in body


@pytest.mark.parametrize(("proxies", "allowed"), [(0, ""), (1, "127.0.0.1,::1")])
def test_gunicorn_trusts_a_front_only_when_configured(tmp_path: Path, proxies: int, allowed: str) -> None:
    raw = base_raw()
    raw["service"]["trusted_proxies"] = proxies
    settings = gunicorn_settings(write_config(raw, tmp_path / "autoconfig.toml"))
    assert settings["forwarder_headers"] in ("", "[]")
    assert settings["forwarded_allow_ips"] in (allowed, f"[{allowed}]" if allowed else "[]",
                                               str(allowed.split(",")) if allowed else "[]")
