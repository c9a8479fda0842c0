"""Slow DNS never stalls the service (issue 16, item 3).

Every request for an unknown domain does an MX lookup that may wait `[dns] timeout_s`;
once, a flood of made-up domains against a resolver that never answered held every worker
thread, and a served domain's Thunderbird request took seconds. Now served domains never
wait on DNS, MX answers are cached (negative ones and failures too, TTLs bounded), at most
`max_lookups_in_flight` lookups wait at once per worker (more: 503 with Retry-After at
once), and a lower per-address limit counts the lookups that reach DNS.

Real Knot for answers, and a nameserver that never answers (tests/support/silent_dns.py).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from autoconfig import create_app
from autoconfig.config import build_config
from autoconfig.model import DnsOptions
from autoconfig.mx import DnsBusy, DnsUnavailable, MxLookups, bounded_ttl
from autoconfig.resolver import make_resolver
from tests.support.apps import without_fast_path
from tests.support.dns import KnotServer
from tests.support.dns_cases import customer_zone, hoster_raw
from tests.support.silent_dns import SilentNameserver

THUNDERBIRD = "/mail/config-v1.1.xml?emailaddress="


@pytest.fixture
def silent() -> Iterator[SilentNameserver]:
    with SilentNameserver() as server:
        yield server


POX = (
    '<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/'
    'autodiscover/outlook/requestschema/2006"><Request><EMailAddress>{email}</EMailAddress>'
    "<AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
    "</AcceptableResponseSchema></Request></Autodiscover>"
)
# "At once" is well under the 2 s the silent resolver makes a lookup wait: half of it, so a
# loaded CI machine does not turn the proof into a flake while a real wait still fails it.
AT_ONCE = 1.0


def _client(tmp_path: Path, nameserver: str, *, limits: dict[str, str] | None = None, **dns: Any) -> FlaskClient:
    raw = hoster_raw([nameserver], timeout_s=dns.pop("timeout_s", 2.0))
    raw["dns"].update(dns)
    raw["provider"][0]["domain_patterns"] = ["*.pattern.test"]
    raw["limits"] = {"autoconfig_per_ip": "100000/minute", **(limits or {})}
    app = create_app(build_config(raw, base_dir=tmp_path))
    app.config["TESTING"] = True
    return app.test_client()


def _hold_lookups(client: FlaskClient, count: int) -> list[threading.Thread]:
    """`count` requests for made-up domains, each waiting on the silent resolver."""
    threads = [threading.Thread(target=client.get, args=(f"{THUNDERBIRD}a@made-up-{i}.test",)) for i in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(0.3)  # they are all waiting on DNS now
    return threads


def test_a_flood_of_made_up_domains_never_delays_served_ones(tmp_path: Path, silent: SilentNameserver) -> None:
    # Given every lookup slot of this worker held by made-up domains on a silent resolver
    client = _client(tmp_path, silent.nameserver, timeout_s=2.0, max_lookups_in_flight=3)
    held = _hold_lookups(client, 3)
    try:
        # When a served exact domain and a pattern domain ask, through the fast path and the API
        for url in (f"{THUNDERBIRD}a@example.test", f"{THUNDERBIRD}a@shop.pattern.test",
                    "/api/v1/settings?email=a@example.test"):
            started = time.monotonic()
            response = client.get(url)
            # Then they are answered at once, without waiting on DNS
            assert response.status_code == 200, url
            assert time.monotonic() - started < AT_ONCE, url
        # and one more made-up domain is told "cannot tell now" at once, not queued behind them
        started = time.monotonic()
        busy = client.get(f"{THUNDERBIRD}a@one-more.test")
        assert time.monotonic() - started < AT_ONCE
        assert busy.status_code == 503 and busy.json is not None and busy.json["error"] == "dns_unavailable"
        assert int(busy.headers["Retry-After"]) >= 1 and busy.headers["Cache-Control"] == "no-store"
        assert client.get("/api/v1/settings?email=a@one-more.test").status_code == 503
    finally:
        for thread in held:
            thread.join()


def test_a_failed_lookup_is_remembered_briefly(tmp_path: Path, silent: SilentNameserver) -> None:
    client = _client(tmp_path, silent.nameserver, timeout_s=2.0)
    assert client.get("/api/v1/settings?email=a@customer.test").status_code == 503
    assert silent.queries() >= 1
    # The same domain again: answered from the cache, at once, with no new query
    started = time.monotonic()
    assert client.get(f"{THUNDERBIRD}b@customer.test").status_code == 503
    assert time.monotonic() - started < AT_ONCE
    assert silent.queries() == 0


def test_negative_answers_are_cached_and_their_ttl_bounded(tmp_path: Path, dns_server: KnotServer) -> None:
    # Given a domain that does not exist (its zone's SOA allows a negative TTL of 60 s)
    zone = customer_zone(dns_server, "www IN A 127.0.0.20")
    client = _client(tmp_path, dns_server.nameserver, max_cache_ttl_s=2)
    assert client.get(f"/api/v1/settings?email=a@gone.{zone}").status_code == 404
    looked_up = time.monotonic()
    # When it appears, with our MX and a TTL of a day
    dns_server.set_zone(zone, "www IN A 127.0.0.20\ngone 86400 IN MX 10 mx1.example.test.")
    # Then the cached "no such domain" still answers…
    assert client.get(f"/api/v1/settings?email=a@gone.{zone}").status_code == 404
    assert time.monotonic() - looked_up < 2, "the zone change took too long for this test to mean anything"
    # …only until our bound (2 s here), not the zone's 60 s
    time.sleep(max(0.0, looked_up + 2.3 - time.monotonic()))
    assert client.get(f"/api/v1/settings?email=a@gone.{zone}").status_code == 200
    # and the day-long positive answer is kept no longer than the bound either
    looked_up = time.monotonic()
    dns_server.set_zone(zone, "www IN A 127.0.0.20\ngone 86400 IN MX 10 mx.elsewhere.test.")
    time.sleep(max(0.0, looked_up + 2.3 - time.monotonic()))
    assert client.get(f"/api/v1/settings?email=a@gone.{zone}").status_code == 404


def test_lookups_that_reach_dns_have_their_own_lower_limit(tmp_path: Path, dns_server: KnotServer) -> None:
    # Given a limit of 2 DNS lookups a minute per address
    zone = customer_zone(dns_server, "@ IN MX 10 mx1.example.test.")
    client = _client(tmp_path, dns_server.nameserver, limits={"dns_lookups_per_ip": "2/minute"})
    # When one address asks for made-up domains
    assert client.get(f"{THUNDERBIRD}a@{zone}").status_code == 200  # one lookup
    assert client.get(f"/api/v1/settings?email=a@nope-1.{zone}").status_code == 404  # two
    # Then what the cache answers, and served domains, do not count…
    for _ in range(5):
        assert client.get(f"/api/v1/settings?email=b@{zone}").status_code == 200
        assert client.get(f"{THUNDERBIRD}a@example.test").status_code == 200
    # …but a third lookup that must reach DNS is refused, on the API and the fast path alike
    refused = client.get(f"/api/v1/settings?email=a@nope-2.{zone}")
    assert refused.status_code == 429 and refused.json is not None
    assert refused.json["limit"] == "dns_lookups_per_ip" and int(refused.headers["Retry-After"]) >= 1
    fast = client.get(f"{THUNDERBIRD}a@nope-3.{zone}")
    assert fast.status_code == 429 and fast.json is not None and fast.json["limit"] == "dns_lookups_per_ip"
    # and the page says so as a page
    page = client.get(f"/?email=a@nope-4.{zone}")
    assert page.status_code == 429 and page.mimetype == "text/html"
    # and Outlook's POX, through the fast path and the Flask view alike, is told to come back
    # later, not answered with an "internal error" document
    for n, unhook in enumerate((False, True)):
        if unhook:
            without_fast_path(client.application)
        pox = client.post("/autodiscover/autodiscover.xml", data=POX.format(email=f"a@nope-pox-{n}.{zone}"),
                          content_type="text/xml")
        assert pox.status_code == 429 and pox.json is not None, pox.get_data(as_text=True)
        assert pox.json["limit"] == "dns_lookups_per_ip" and int(pox.headers["Retry-After"]) >= 1


def test_the_page_shows_a_dns_failure_as_a_page(tmp_path: Path, silent: SilentNameserver) -> None:
    client = _client(tmp_path, silent.nameserver, timeout_s=0.3)
    for lang, words in (("en", "did not answer"), ("it", "non ha risposto")):
        response = client.get(f"/?email=a@customer.test&lang={lang}")
        assert response.status_code == 503
        assert response.mimetype == "text/html"
        assert words in response.get_data(as_text=True)


def test_in_flight_lookups_are_capped(silent: SilentNameserver) -> None:
    # Given two slots and two lookups waiting on a silent resolver
    lookups = MxLookups(make_resolver(DnsOptions((silent.nameserver,), timeout_s=1.0), cache=False), max_in_flight=2)
    errors: list[BaseException] = []

    def wait(domain: str) -> None:
        try:
            lookups.exchanges(domain)
        except DnsUnavailable as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wait, args=(f"slow-{i}.test",)) for i in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    # Then a third is refused at once, and nothing is cached for it
    started = time.monotonic()
    with pytest.raises(DnsBusy):
        lookups.exchanges("third.test")
    assert time.monotonic() - started < 0.5  # half the resolver's timeout: it did not wait
    for thread in threads:
        thread.join()
    assert len(errors) == 2 and not any(isinstance(e, DnsBusy) for e in errors)


@pytest.mark.parametrize(("ttl", "ceiling", "kept"), [(86400, 3600, 3600), (30, 3600, 30), (0, 3600, 1), (5, 2, 2)])
def test_bounded_ttl(ttl: float, ceiling: float, kept: float) -> None:
    assert bounded_ttl(ttl, ceiling) == kept
