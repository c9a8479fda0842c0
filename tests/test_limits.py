"""Abuse limits as a client meets them: 429, Retry-After, words in its language; shared via Redis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from autoconfig import create_app
from tests.conftest import ConfigFactory, base_raw
from tests.support.ports import free_ports
from tests.support.procs import ServiceProcess, write_config
from tests.support.redis import RedisServer
from tests.test_observability import value
from tests.test_security_headers import _InlineFinder

ADDRESS = "mario.rossi@example.com"
CONFIG_PATH = f"/mail/config-v1.1.xml?emailaddress={ADDRESS}"


def limited_raw(**limits: str) -> dict[str, Any]:
    raw = base_raw()
    raw["limits"] = limits
    # Diagnoses must never leave loopback: DNS goes to a closed local port.
    raw["dns"] = {"nameservers": ["127.0.0.1:9"], "timeout_s": 0.5}
    return raw


def app_with(make_config: ConfigFactory, **raw_options: Any) -> Flask:
    raw = limited_raw(**raw_options.pop("limits", {}))
    for section, values in raw_options.items():
        raw.setdefault(section, {}).update(values)
    app = create_app(make_config(raw))
    app.config["TESTING"] = True
    return app


def hit(client: FlaskClient, times: int, path: str = CONFIG_PATH, **kwargs: Any) -> list[int]:
    return [client.get(path, **kwargs).status_code for _ in range(times)]


def test_autoconfig_limit_refuses_with_429_retry_after_and_italian_words(make_config: ConfigFactory) -> None:
    client = app_with(make_config, limits={"autoconfig_per_ip": "3/minute"}).test_client()
    # Given a client that used its three requests
    assert hit(client, 3) == [200, 200, 200]
    # When it asks once more
    response = client.get(CONFIG_PATH)
    # Then it is refused, told when to come back, in the service's first language
    assert response.status_code == 429
    retry_after = int(response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    body = response.json
    assert body is not None
    assert body["error"] == "rate_limited"
    assert body["retry_after"] == retry_after
    assert body["message"].startswith("Troppe richieste")
    assert f"{retry_after} secondi" in body["remedy"]
    assert response.headers["Cache-Control"] == "no-store"


def test_refusal_speaks_the_language_the_request_asks_for(make_config: ConfigFactory) -> None:
    client = app_with(make_config, limits={"autoconfig_per_ip": "1/minute"}).test_client()
    hit(client, 1)
    by_header = client.get(CONFIG_PATH, headers={"Accept-Language": "en-GB,en;q=0.9"})
    by_query = client.get(CONFIG_PATH + "&lang=en")
    for response in (by_header, by_query):
        assert response.status_code == 429
        assert response.json is not None and response.json["message"].startswith("Too many requests")


def test_client_setup_endpoints_share_one_generous_bucket(make_config: ConfigFactory) -> None:
    client = app_with(make_config, limits={"autoconfig_per_ip": "4/minute"}).test_client()
    statuses = [
        client.get(CONFIG_PATH).status_code,
        client.get(f"/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress={ADDRESS}").status_code,
        client.get(f"/api/v1/settings?email={ADDRESS}").status_code,
        client.get(f"/mobileconfig?email={ADDRESS}").status_code,
        client.get(f"/autodiscover/autodiscover.json/v1.0/{ADDRESS}?Protocol=AutodiscoverV1").status_code,
        client.post("/autodiscover/autodiscover.xml", data=b"<x/>", content_type="text/xml").status_code,
        client.post("/api/v1/advice", json={"devices": 2, "email": ADDRESS}).status_code,
    ]
    assert statuses[:4] == [200, 200, 200, 200]
    assert statuses[4:] == [429, 429, 429]


def test_health_metrics_and_the_pages_files_are_never_limited(make_config: ConfigFactory) -> None:
    client = app_with(make_config, limits={"autoconfig_per_ip": "1/minute"}).test_client()
    hit(client, 2)
    assert hit(client, 5, "/healthz") == [200] * 5
    assert hit(client, 5, "/metrics") == [200] * 5
    assert hit(client, 5, "/api/v1/openapi.json") == [200] * 5
    assert hit(client, 5, "/static/page.css", buffered=True) == [200] * 5  # buffered: the file is closed
    assert hit(client, 5, "/static/page.js", buffered=True) == [200] * 5


def test_the_page_shares_the_bucket_and_refuses_in_html(make_config: ConfigFactory) -> None:
    client = app_with(make_config, limits={"autoconfig_per_ip": "3/minute"}).test_client()
    # Given a visitor who looked up two addresses on the page and then one by the API
    assert hit(client, 2, f"/?email={ADDRESS}") == [200, 200]
    assert client.get(f"/api/v1/settings?email={ADDRESS}").status_code == 200
    # When the page is asked once more
    response = client.get(f"/?email={ADDRESS}", headers={"Accept-Language": "it"})
    # Then a person reads why, in Italian, on a page as strict as the others
    assert response.status_code == 429
    assert response.mimetype == "text/html"
    retry_after = int(response.headers["Retry-After"])
    html = response.get_data(as_text=True)
    assert "Troppe richieste" in html and f"{retry_after} secondi" in html
    assert '<html lang="it">' in html
    assert ADDRESS not in html  # the address in the URL is not echoed
    assert response.headers["Cache-Control"] == "no-store"
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert _InlineFinder.scan(html) == []
    # and in English when asked, with the form's POST refused the same way
    english = client.get("/?lang=en")
    assert english.status_code == 429 and "Too many requests" in english.get_data(as_text=True)
    assert client.post("/", data={"email": ADDRESS}).status_code == 429
    text = client.get("/metrics").get_data(as_text=True)
    assert value(text, "autoconfig_rate_limited_total", endpoint="pages.index", limit="autoconfig_per_ip") == 2


def test_each_client_address_has_its_own_bucket(make_config: ConfigFactory) -> None:
    client = app_with(make_config, limits={"autoconfig_per_ip": "2/minute"}).test_client()
    alice = {"environ_base": {"REMOTE_ADDR": "192.0.2.10"}}
    bob = {"environ_base": {"REMOTE_ADDR": "198.51.100.7"}}
    assert hit(client, 3, **alice) == [200, 200, 429]
    assert hit(client, 2, **bob) == [200, 200]


def test_forwarded_for_is_ignored_without_trusted_proxies(make_config: ConfigFactory) -> None:
    # A client cannot escape its limit by inventing X-Forwarded-For.
    client = app_with(make_config, limits={"autoconfig_per_ip": "2/minute"}).test_client()
    statuses = [client.get(CONFIG_PATH, headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code
                for i in range(3)]
    assert statuses == [200, 200, 429]


def test_behind_one_proxy_the_address_it_appended_counts(make_config: ConfigFactory) -> None:
    app = app_with(make_config, limits={"autoconfig_per_ip": "2/minute"}, service={"trusted_proxies": 1})
    client = app.test_client()
    # nginx appends the peer it saw; whatever the client wrote before that is not believed
    forged = [client.get(CONFIG_PATH, headers={"X-Forwarded-For": f"10.9.9.{i}, 203.0.113.5"}).status_code
              for i in range(3)]
    other = client.get(CONFIG_PATH, headers={"X-Forwarded-For": "203.0.113.6"}).status_code
    assert forged == [200, 200, 429]
    assert other == 200


def test_an_ipv6_client_is_counted_by_its_slash_64(make_config: ConfigFactory) -> None:
    client = app_with(make_config, limits={"autoconfig_per_ip": "2/minute"}).test_client()
    same_net = [client.get(CONFIG_PATH, environ_base={"REMOTE_ADDR": f"2001:db8:1:2::{i}"}).status_code
                for i in range(1, 4)]
    other_net = client.get(CONFIG_PATH, environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"}).status_code
    assert same_net == [200, 200, 429]
    assert other_net == 200


def test_refusals_are_counted_in_metrics(make_config: ConfigFactory) -> None:
    client = app_with(make_config, limits={"autoconfig_per_ip": "1/minute"}).test_client()
    hit(client, 4)
    text = client.get("/metrics").get_data(as_text=True)
    assert value(text, "autoconfig_rate_limited_total", endpoint="clients.thunderbird_config",
                 limit="autoconfig_per_ip") == 3
    assert value(text, "autoconfig_http_requests_total", endpoint="clients.thunderbird_config",
                 method="GET", status="429") == 3


# -- Diagnoses: per client address and per account ----------------------------------------

def diagnose(client: FlaskClient, email: str, remote: str = "192.0.2.1", **extra: Any) -> Any:
    # A domain no provider serves: answered at once (404), without any network, yet counted.
    return client.post("/api/v1/diagnostics", json={"email": email, **extra},
                       environ_base={"REMOTE_ADDR": remote})


def test_diagnoses_are_limited_per_client_address(make_config: ConfigFactory) -> None:
    client = app_with(make_config, limits={"diagnostics_per_ip": "3/minute",
                                           "diagnostics_per_account": "100/hour"}).test_client()
    statuses = [diagnose(client, f"user{i}@unknown.example").status_code for i in range(4)]
    assert 429 not in statuses[:3]
    assert statuses[3] == 429
    refused = diagnose(client, "someone@unknown.example", lang="en")
    assert refused.json is not None and refused.json["limit"] == "per_ip"
    assert refused.json["message"].startswith("Too many requests")  # the body's "lang"
    # another address is still served
    assert diagnose(client, "x@unknown.example", remote="192.0.2.2").status_code != 429


def test_diagnoses_are_limited_per_account_from_any_address(make_config: ConfigFactory) -> None:
    client = app_with(make_config, limits={"diagnostics_per_ip": "100/minute",
                                           "diagnostics_per_account": "2/hour"}).test_client()
    # The same mailbox, tried from three addresses and spelled in different cases
    first = diagnose(client, "victim@example.com", remote="192.0.2.1", protocols=["imap"])
    second = diagnose(client, "victim@EXAMPLE.com", remote="192.0.2.2", protocols=["imap"])
    third = diagnose(client, "Victim@example.com", remote="192.0.2.3", protocols=["imap"])
    assert first.status_code != 429 and second.status_code != 429
    assert third.status_code == 429
    assert third.json is not None and third.json["limit"] == "per_account"
    # while other mailboxes from the same addresses go on
    assert diagnose(client, "other@example.com", remote="192.0.2.3", protocols=["imap"]).status_code != 429
    # and an address no provider serves tries no login, so counts for no account
    assert {diagnose(client, "victim@unknown.example").status_code for _ in range(3)} == {404}


def test_a_malformed_diagnosis_request_still_gets_its_4xx(make_config: ConfigFactory) -> None:
    client = app_with(make_config, limits={"diagnostics_per_account": "1/hour"}).test_client()
    for _ in range(3):
        response = client.post("/api/v1/diagnostics", json={"email": "not an address"})
        assert response.status_code == 400


# -- Several processes: the counters live in Redis ----------------------------------------

def service_config(tmp_path: Path, name: str, storage_uri: str) -> Path:
    raw = limited_raw(autoconfig_per_ip="5/minute", storage_uri=storage_uri)
    return write_config(raw, tmp_path / f"{name}.toml")


def test_with_redis_the_second_process_refuses_what_the_first_counted(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    # Given two service processes that share one Redis (its own database for this test)
    uri = redis_server.url.rsplit("/", 1)[0] + "/1"
    config = service_config(tmp_path, "shared", uri)
    with ServiceProcess(config) as first, ServiceProcess(config) as second:
        # When a client spends its five requests on the first
        assert [first.get(CONFIG_PATH)[0] for _ in range(5)] == [200] * 5
        # Then the second refuses the sixth, with Retry-After
        status, headers, _ = second.get(CONFIG_PATH)
        assert status == 429
        assert int(headers["Retry-After"]) >= 1
        assert second.get("/healthz")[2].find(b'"rate_limit_storage":"ok"') != -1


def test_with_memory_storage_each_process_counts_alone(tmp_path: Path) -> None:
    # The contrast that shows Redis is what the test above relies on.
    config = service_config(tmp_path, "memory", "memory://")
    with ServiceProcess(config) as first, ServiceProcess(config) as second:
        assert [first.get(CONFIG_PATH)[0] for _ in range(5)] == [200] * 5
        assert second.get(CONFIG_PATH)[0] == 200
        assert first.get(CONFIG_PATH)[0] == 429


def test_unreachable_redis_degrades_to_per_process_limits_not_errors(make_config: ConfigFactory) -> None:
    # Given a storage_uri nobody listens on
    port = free_ports(1)[0]
    app = app_with(make_config, limits={"storage_uri": f"redis://127.0.0.1:{port}/0", "autoconfig_per_ip": "3/minute"})
    client = app.test_client()
    # Then clients are served and still limited (in memory), and healthz says what is wrong
    assert hit(client, 4) == [200, 200, 200, 429]
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json is not None
    assert health.json["status"] == "degraded"
    assert health.json["rate_limit_storage"] == "unreachable"



def test_a_limit_on_one_view_spares_its_siblings_in_the_same_blueprint() -> None:
    # A blueprint that serves a limited path beside an unlimited one (as a future blueprint
    # might): the limit goes on the view, not on the whole blueprint.
    from flask import Blueprint
    from flask_limiter import Limiter

    from autoconfig.web.limits import _attach, client_key

    bp = Blueprint("mixed", __name__)
    bp.add_url_rule("/limited", "limited", lambda: "ok")
    bp.add_url_rule("/free", "free", lambda: "ok")
    app = Flask(__name__)
    app.register_blueprint(bp)
    limiter = Limiter(client_key, storage_uri="memory://")
    limiter.init_app(app)
    _attach(app, {"mixed.limited"}, limiter.limit("2/minute"))
    client = app.test_client()
    assert [client.get("/limited").status_code for _ in range(3)] == [200, 200, 429]
    assert [client.get("/free").status_code for _ in range(5)] == [200] * 5


def test_every_operation_documented_as_limited_is_under_its_views_limit(app: Flask) -> None:
    # Given the limits each view declares next to its route
    from autoconfig.openapi import OPERATIONS
    from autoconfig.web.limits import DIAGNOSIS, SETUP, declared, endpoint_for

    limited_endpoints = declared(app, SETUP) | declared(app, DIAGNOSIS)
    # Then every operation the OpenAPI document marks as rate limited is served by a limited view
    for op in OPERATIONS:
        if op.rate_limited:
            assert 429 in op.responses
            assert endpoint_for(app, op.method.upper(), op.path.replace("{email}", ADDRESS)) in limited_endpoints
    # and the diagnosis view is under the diagnosis limits, not in the client-setup bucket
    assert declared(app, DIAGNOSIS) == {"diagnostics.run"}
    assert "diagnostics.run" not in declared(app, SETUP)
    assert {"pages.index", "advice.advice", "outlook.pox", "clients.thunderbird_config"} <= declared(app, SETUP)
