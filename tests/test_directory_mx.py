"""Issue 2: a provider with mx_hosts serves any domain whose MX points at one of them.

End to end through the Flask test client, with the customer zones on a real Knot server.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient

from autoconfig import create_app
from tests.support.dns import KnotServer
from tests.support.dns_cases import customer_zone, hoster_config
from tests.support.silent_dns import SilentNameserver


def client_for(tmp_path: Path, nameserver: str, **kwargs: Any) -> FlaskClient:
    app = create_app(hoster_config(tmp_path, [nameserver], **kwargs))
    app.config["TESTING"] = True
    return app.test_client()


def test_a_domain_whose_mx_is_ours_gets_settings(tmp_path: Path, dns_server: KnotServer) -> None:
    # Given a customer domain nobody listed, whose MX points at our mx1
    domain = customer_zone(dns_server, "@ IN MX 10 mx1.example.test.")
    client = client_for(tmp_path, dns_server.nameserver)
    # When a client asks for its settings
    response = client.get(f"/api/v1/settings?email=a@{domain}")
    # Then it gets ours
    assert response.status_code == 200, response.json
    body = response.json
    assert body["provider"]["id"] == "example"
    assert body["email"] == f"a@{domain}"
    assert {s["hostname"] for s in body["outgoing"]} == {f"smtp.{domain}", "mail.example.test"}
    # and Thunderbird's autoconfig works for it too
    xml = client.get(f"/mail/config-v1.1.xml?emailaddress=a@{domain}")
    assert xml.status_code == 200
    assert b"<hostname>mail.example.test</hostname>" in xml.data


def test_a_backup_mx_of_ours_is_enough(tmp_path: Path, dns_server: KnotServer) -> None:
    domain = customer_zone(dns_server, "@ IN MX 10 mx.elsewhere.test.\n@ IN MX 20 mx2.example.test.")
    client = client_for(tmp_path, dns_server.nameserver)
    assert client.get(f"/api/v1/settings?email=a@{domain}").status_code == 200


def test_mx_elsewhere_or_none_is_not_ours(tmp_path: Path, dns_server: KnotServer) -> None:
    elsewhere = customer_zone(dns_server, "@ IN MX 10 mx.other-provider.test.")
    no_mx = customer_zone(dns_server, "www IN A 127.0.0.20")
    client = client_for(tmp_path, dns_server.nameserver)
    for email in (f"a@{elsewhere}", f"a@{no_mx}", f"a@gone.{no_mx}"):
        response = client.get(f"/api/v1/settings?email={email}")
        assert response.status_code == 404, email
        assert response.json["error"] == "unknown_domain"


def test_mx_answers_are_cached_for_their_ttl(tmp_path: Path, dns_server: KnotServer) -> None:
    # Given an MX of ours with a 2-second TTL, already looked up once
    domain = customer_zone(dns_server, "@ 2 IN MX 10 mx1.example.test.")
    client = client_for(tmp_path, dns_server.nameserver)
    assert client.get(f"/api/v1/settings?email=a@{domain}").status_code == 200
    looked_up = time.monotonic()
    # When the customer moves their mail to another provider
    dns_server.set_zone(domain, "@ 2 IN MX 10 mx.other-provider.test.")
    # Then we keep answering from the cache until the TTL runs out…
    assert client.get(f"/api/v1/settings?email=a@{domain}").status_code == 200
    assert time.monotonic() - looked_up < 2, "the zone change took too long for this test to mean anything"
    # …and follow the change after it
    time.sleep(max(0.0, looked_up + 2.3 - time.monotonic()))
    assert client.get(f"/api/v1/settings?email=a@{domain}").status_code == 404


def test_mx_hosts_may_name_the_customer_domain(tmp_path: Path, dns_server: KnotServer) -> None:
    # Given per-domain MX names (like Microsoft's <domain>.mail.protection…): %EMAILDOMAIN%
    client = client_for(tmp_path, dns_server.nameserver, mx_hosts=["%EMAILDOMAIN%.mx.example.test"])
    ours = customer_zone(dns_server, "")
    dns_server.set_zone(ours, f"@ IN MX 10 {ours}.mx.example.test.")
    # and a domain that borrowed another customer's MX name
    borrowed = customer_zone(dns_server, f"@ IN MX 10 {ours}.mx.example.test.")
    # Then only the domain whose own name is in its MX is ours
    response = client.get(f"/api/v1/settings?email=a@{ours}")
    assert response.status_code == 200
    assert client.get(f"/api/v1/settings?email=a@{borrowed}").status_code == 404


def test_a_silent_nameserver_is_a_prompt_503(tmp_path: Path) -> None:
    with SilentNameserver() as silent:
        client = client_for(tmp_path, silent.nameserver, timeout_s=0.5)
        started = time.monotonic()
        response = client.get("/api/v1/settings?email=a@customer.test")
        elapsed = time.monotonic() - started
        assert response.status_code == 503
        assert response.json["error"] == "dns_unavailable"
        assert "try again" in response.json["message"]
        assert elapsed < 2.5, elapsed
        # a domain listed in the config needs no DNS: served at once, silent server or not
        started = time.monotonic()
        assert client.get("/api/v1/settings?email=a@example.test").status_code == 200
        assert time.monotonic() - started < 0.4


def test_a_nameserver_that_refuses_is_a_503_not_a_404(tmp_path: Path, dns_server: KnotServer) -> None:
    # Knot serves no zone for this domain and answers REFUSED (a broken delegation
    # gives SERVFAIL the same way): we cannot tell whether it is ours
    customer_zone(dns_server, "")
    client = client_for(tmp_path, dns_server.nameserver)
    response = client.get("/api/v1/settings?email=a@not-served.test")
    assert response.status_code == 503
    assert response.json["error"] == "dns_unavailable"
