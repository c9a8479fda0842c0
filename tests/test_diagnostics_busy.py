"""An outage must not take client setup down with it: at most `[diagnostics] max_concurrent`
diagnoses run at once per process (0: half the worker's threads); the excess gets an
immediate 503 with Retry-After in the visitor's language, and autoconfig keeps answering."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autoconfig.web.slots import slot_limit
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, HEALTHY_HOSTNAME, DovecotServer
from tests.support.procs import ServiceProcess, write_config
from tests.support.silent import SilentServer
from tests.watch_helpers import watch_config, watch_raw

DOMAIN = ALICE.address.split("@")[1]


def test_the_default_cap_is_half_the_threads() -> None:
    assert slot_limit(0, 16) == 8
    assert slot_limit(0, 1) == 1
    assert slot_limit(3, 16) == 3


@pytest.fixture
def silent_site(
    dovecot_healthy: DovecotServer, test_ca: TestCA, dns_server: KnotServer, tmp_path: Path
) -> Iterator[ServiceProcess]:
    """gunicorn with 4 threads (so 2 diagnoses at once), alice's IMAP server silent."""
    with SilentServer("127.0.0.2") as silent:
        raw = watch_raw(dovecot_healthy, test_ca, dns_server, f"sqlite:///{tmp_path / 'r.db'}")
        watch_config(dovecot_healthy, test_ca, dns_server, f"sqlite:///{tmp_path / 'r.db'}", tmp_path)  # the zone
        raw["provider"][0]["server"][0] = {"protocol": "imap", "hostname": HEALTHY_HOSTNAME, "port": silent.port,
                                           "security": "tls"}
        raw["diagnostics"].update(budget_s=4, connect_timeout_s=4)
        with ServiceProcess(write_config(raw, tmp_path / "autoconfig.toml"), workers=1, threads=4) as service:
            yield service


def _diagnose(service: ServiceProcess, lang: str) -> tuple[int, dict[str, str], Any]:
    body = json.dumps({"email": ALICE.address, "protocols": ["imap"], "lang": lang}).encode()
    status, headers, answer = service.request("POST", "/api/v1/diagnostics", body=body,
                                              headers={"Content-Type": "application/json"})
    return status, dict(headers.items()), json.loads(answer)


def test_the_excess_is_refused_at_once_in_the_visitors_language(silent_site: ServiceProcess) -> None:
    # Given two diagnoses waiting on a silent server (the cap derived from 4 threads)
    results: list[int] = []
    running = [threading.Thread(target=lambda: results.append(_diagnose(silent_site, "en")[0])) for _ in range(2)]
    for thread in running:
        thread.start()
    time.sleep(1.0)
    # When a third arrives
    started = time.monotonic()
    status, headers, body = _diagnose(silent_site, "it")
    took = time.monotonic() - started
    # Then it is refused at once, with Retry-After and Italian words
    assert status == 503 and took < 1.0
    assert headers["Retry-After"] == "4" and body["retry_after"] == 4
    assert body["error"] == "busy" and "Il servizio è occupato" in body["message"] and body["remedy"]
    # And a discovery, which would hold a thread as long, shares the cap: refused at once too
    started = time.monotonic()
    found, found_headers, found_body = silent_site.get(f"/api/v1/discovery?domain={DOMAIN}&lang=en")
    assert found == 503 and time.monotonic() - started < 1.0 and found_headers["Retry-After"] == "4"
    assert json.loads(found_body)["error"] == "busy"
    # And client setup answers meanwhile
    started = time.monotonic()
    setup, _h, _b = silent_site.get(f"/mail/config-v1.1.xml?emailaddress={ALICE.address}")
    assert setup == 200 and time.monotonic() - started < 1.0
    for thread in running:
        thread.join(15)
    assert results == [200, 200]
    # And once they ended, a diagnosis runs again, and so does a discovery
    assert _diagnose(silent_site, "en")[0] == 200
    assert silent_site.get(f"/api/v1/discovery?domain={DOMAIN}&lang=en")[0] == 200
