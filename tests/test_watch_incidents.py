"""The watch end to end, with a real Dovecot that the test stops, starts again, gives an
expired certificate and then a good one, while a watcher runs every half second: within
two rounds the incident is an alert-ready metric, a public status entry, a banner on the
page (seen in Chromium) and reports that say it is on us; one good round clears them all.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from autoconfig.config import build_config
from autoconfig.db import Database
from autoconfig.watch.runner import Watcher
from autoconfig.watch.store import WatchStore
from tests.support.browser import chromium
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, HEALTHY_HOSTNAME, HEALTHY_IP, DovecotServer, healthy_spec
from tests.support.procs import ServiceProcess, write_config
from tests.watch_helpers import watch_config, watch_raw

ROUND_S = 0.5
# Two rounds (interval ±10 %, each up to the 3 s budget), the web side's 5 s cache, and slack.
NOTICED_S = 2 * (ROUND_S * 1.1 + 3) + 5 + 5


@pytest.fixture(scope="module")
def dovecot(test_ca: TestCA) -> Iterator[DovecotServer]:
    with DovecotServer(healthy_spec(test_ca)) as server:
        yield server


@pytest.fixture(scope="module")
def site(
    dovecot: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServiceProcess, Watcher]]:
    """The service under gunicorn and a watcher every half second, on one SQLite database."""
    tmp = tmp_path_factory.mktemp("site")
    url = f"sqlite:///{tmp / 'reports.db'}"
    config = watch_config(dovecot, test_ca, dns_server, url, tmp, interval_s=ROUND_S)
    raw = watch_raw(dovecot, test_ca, dns_server, url, interval_s=ROUND_S)
    raw["limits"]["autoconfig_per_ip"] = "100000/minute"
    database = Database(url)
    watcher = Watcher(config, database)
    stop = threading.Event()
    thread = threading.Thread(target=watcher.run, args=(stop,), name="watcher", daemon=True)
    thread.start()
    try:
        with ServiceProcess(write_config(raw, tmp / "autoconfig.toml"), workers=2, threads=4) as service:
            yield service, watcher
    finally:
        stop.set()
        thread.join(15)
        database.dispose()


def _json(service: ServiceProcess, path: str) -> Any:
    status, _headers, body = service.get(path)
    assert status == 200, body
    return json.loads(body)


def _until(what: str, probe: Callable[[], Any], timeout_s: float = NOTICED_S) -> Any:
    """Poll until `probe` returns something true; its last value otherwise fails the test."""
    deadline = time.monotonic() + timeout_s
    value = probe()
    while not value and time.monotonic() < deadline:
        time.sleep(0.25)
        value = probe()
    assert value, f"not within {timeout_s:.0f} s: {what}"
    return value


def _incidents(service: ServiceProcess, port: int) -> list[dict[str, Any]]:
    """This port's incidents, with its services' state from the same answer (each worker
    reads the database every few seconds, so two requests may see different rounds)."""
    document = _json(service, "/api/v1/status")
    ok = {s["port"]: s["ok"] for s in document["services"]}
    return [{**i, "service_ok": ok.get(port)} for i in document["incidents"] if i["port"] == port]


def _metric(service: ServiceProcess, name: str, **labels: str) -> float | None:
    _status, _headers, body = service.get("/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0])) if "{" in line else {}
            if all(found.get(k) == v for k, v in labels.items()):
                return float(line.rsplit(" ", 1)[1])
    return None


def _diagnose(service: ServiceProcess, lang: str = "en") -> dict[str, Any]:
    body = json.dumps({"email": ALICE.address, "lang": lang, "protocols": ["imap"]}).encode()
    status, _headers, answer = service.request("POST", "/api/v1/diagnostics", body=body,
                                               headers={"Content-Type": "application/json"})
    assert status == 200, answer
    return json.loads(answer)  # type: ignore[no-any-return]


def _with_incident(report: dict[str, Any], port: int) -> dict[str, Any] | None:
    return report if any(i["port"] == port for i in report["incidents"]) else None


def _banner(service: ServiceProcess, lang: str) -> str | None:
    """The banner as Chromium shows it on the page for alice's address (None: hidden)."""
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{service.url}/?email={ALICE.address}&lang={lang}")
        banner = page.locator("#watch-banner")
        return banner.inner_text() if banner.is_visible() else None


def test_a_stopped_server_becomes_an_incident_everywhere_and_clears_when_it_is_back(
    site: tuple[ServiceProcess, Watcher], dovecot: DovecotServer, test_ca: TestCA
) -> None:
    service, watcher = site
    port = dovecot.ports["imaps"]
    labels = {"host": HEALTHY_HOSTNAME, "port": str(port)}
    # Given the watch has seen everything up
    _until("a first good round", lambda: _metric(service, "autoconfig_watch_up", family="ipv4", **labels) == 1.0)
    assert _incidents(service, port) == []
    assert _metric(service, "autoconfig_watch_last_success_timestamp_seconds") is not None
    expiry = _metric(service, "autoconfig_watch_certificate_expiry_timestamp_seconds", **labels)
    assert expiry is not None and expiry > time.time() + 80 * 86400  # the fixture's 90-day certificate

    # When Dovecot stops
    stopped_at = dt.datetime.now(dt.UTC)
    dovecot.halt()
    try:
        incident = _until("an incident on the status API, refused", lambda: [
            i for i in _incidents(service, port) if i["code"] == "net.refused"])[0]
        # Then the public status has it (what it fails with now), since the first failed round
        assert incident["kind"] == "incident" and incident["until"] is None
        since = dt.datetime.fromisoformat(incident["since"].replace("Z", "+00:00"))
        # (a round already running when it stopped may be the first to fail: it started up to 3 s before)
        assert stopped_at - dt.timedelta(seconds=4) <= since <= stopped_at + dt.timedelta(seconds=5)
        assert incident["service_ok"] is False
        # And alice's status, in Italian, says it is ours since HH:MM
        mine = _until("alice's incidents", lambda: _json(service, f"/api/v1/status?email={ALICE.address}&lang=it")[
            "incidents"])
        assert any("Problema noto da parte nostra" in i["message"] and f"dalle {since:%H:%M} UTC" in i["message"]
                   for i in mine), mine
        # And the metric an alert fires on is 0 for both families
        # (each worker reads the database every few seconds: ask until this one has too)
        _until("up 0 for IPv4", lambda: _metric(service, "autoconfig_watch_up", family="ipv4", **labels) == 0.0)
        _until("up 0 for IPv6", lambda: _metric(service, "autoconfig_watch_up", family="ipv6", **labels) == 0.0)
        # And a diagnosis of alice says it is on us, on every failing check of that server
        report = _until("a report with the incident", lambda: _with_incident(_diagnose(service), port))
        failing = [c for c in report["checks"] if c["port"] == port and c["status"] in ("error", "warning")]
        assert failing
        for check in failing:
            assert check["data"]["known_incident"]["kind"] == "incident", check
            assert "you need do nothing" in check["remedy"], check
            assert "settings" not in check["remedy"].replace("do not change your mail program's settings", "")
        assert any(i["port"] == port and i["since"] == incident["since"] for i in report["incidents"])
        assert "you need do nothing" in (report["verdict"]["problems"][0]["remedy"] or "")
        # And the page shows the banner, in a real browser
        banner = _until("a banner", lambda: _banner(service, "en"))
        assert "A known problem on our side" in banner and "since" in banner
    finally:
        # When it starts again
        dovecot.resume()
    # Then one good round clears every trace
    _until("the incident closed", lambda: not _incidents(service, port))
    _until("up 1 again", lambda: _metric(service, "autoconfig_watch_up", family="ipv4", **labels) == 1.0)
    report = _until("a report without incidents", lambda: not (r := _diagnose(service))["incidents"] and r)
    assert not any("known_incident" in (c["data"] or {}) for c in report["checks"])
    _until("no banner", lambda: _banner(service, "en") is None)

    # When the server's certificate expires
    dovecot.resume(cert=test_ca.expired([HEALTHY_HOSTNAME, HEALTHY_IP, "::1"]))
    try:
        _until("an expired-certificate incident", lambda: [
            i for i in _incidents(service, port) if i["code"] == "tls.expired"])
        _until("the expiry metric in the past", lambda: (
            _metric(service, "autoconfig_watch_certificate_expiry_timestamp_seconds", **labels) or 1e12) < time.time())
        report = _until("a report with the incident", lambda: _with_incident(_diagnose(service, "it"), port))
        # (on a server known to be down each step has a short deadline: on a busy machine the
        # handshake may be cut short rather than judged; either way the check says it is on us)
        tls = next(c for c in report["checks"] if c["port"] == port and c["kind"] == "tls")
        assert tls["code"] in ("tls.expired", "net.timeout", "diag.cut_short")
        assert tls["data"]["known_incident"]["kind"] == "incident"
        assert "non devi fare nulla" in tls["remedy"]
        _until("the banner in Italian", lambda: "Problema noto" in (_banner(service, "it") or ""))
    finally:
        # When a good certificate is installed
        dovecot.resume(cert=test_ca.issue([HEALTHY_HOSTNAME, HEALTHY_IP, "::1"]))
    _until("the certificate incident closed", lambda: not _incidents(service, port))
    _until("the expiry metric in the future", lambda: (
        _metric(service, "autoconfig_watch_certificate_expiry_timestamp_seconds", **labels) or 0) > time.time())

    # And both incidents stay as history, closed
    history = [h for h in WatchStore(watcher.store.engine).history() if h.port == port]
    # (the code is the last failure seen: a restart ends the expired one refused)
    assert len(history) >= 2
    assert all(h.closed_at is not None and h.closed_at >= h.since for h in history)


def test_a_server_known_to_be_down_is_diagnosed_in_a_second_not_the_whole_budget(
    test_ca: TestCA, dns_server: KnotServer, dovecot: DovecotServer, tmp_path: Path
) -> None:
    from autoconfig.diagnose import Diagnostician
    from autoconfig.services import Services
    from autoconfig.watch.notices import Notice, NoticeKind
    from tests.diagnostics_helpers import diagnose
    from tests.support.silent import SilentServer

    with SilentServer(HEALTHY_IP) as silent:
        raw = watch_raw(dovecot, test_ca, dns_server, f"sqlite:///{tmp_path / 'r.db'}")
        raw["diagnostics"].update(budget_s=8, connect_timeout_s=5)
        raw["provider"][0]["server"] = [
            {"protocol": "imap", "hostname": HEALTHY_HOSTNAME, "port": silent.port, "security": "tls"},
            {"protocol": "smtp", "hostname": HEALTHY_HOSTNAME, "port": dovecot.ports["submissions"],
             "security": "tls"},
        ]
        config = build_config(raw, base_dir=tmp_path)
        svc = Services.build(config)
        since = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
        known = (Notice(NoticeKind.INCIDENT, HEALTHY_HOSTNAME, silent.port, "net.timeout", since),)
        for notices, at_most in ((lambda: (), None), (lambda: known, 3.0)):
            owner = Diagnostician(config, svc.directory, svc.resolver, notices=notices)
            started = time.monotonic()
            report = diagnose(owner, ALICE.address, protocols=["imap"])
            took = time.monotonic() - started
            if at_most is None:
                assert took >= 5  # unknown: the silent server costs the step's whole timeout
                continue
            assert took <= at_most
            failing = [c for c in report.checks if c.check.port == silent.port and c.check.status.value == "error"]
            assert failing and all(c.known_incident == known[0] for c in failing)
            assert report.incidents == known
