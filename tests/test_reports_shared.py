"""Reports across real processes: two gunicorn instances on one PostgreSQL share tickets,
staff sessions and the helpdesk API; a PostgreSQL that goes away mid-run costs diagnoses
their ticket, never their answer, and coming back brings tickets back."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from autoconfig.staff import add_token, add_user
from tests.diagnostics_helpers import dovecot_servers, make, publish_example_zone, raw_config
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, DovecotServer
from tests.support.postgres import PostgresServer
from tests.support.procs import ServiceProcess, write_config

STAFF_PASSWORD = "staff passphrase 42"


@pytest.fixture
def shared_config(dovecot_healthy: DovecotServer, test_ca: TestCA, dns_server: KnotServer,
                  tmp_path: Path) -> Iterator[Any]:
    """A config file for instances on one database (the caller's URL), with a staff user and token."""

    def write(database_url: str) -> tuple[Path, str]:
        raw = raw_config(dovecot_servers(dovecot_healthy), ca=test_ca, knot=dns_server)
        raw["service"]["public_url"] = "http://autoconfig.test"
        raw["reports"] = {"database_url": database_url}
        raw["helpdesk"] = {"users_file": "users.txt", "api_tokens_file": "tokens.txt"}
        publish_example_zone(dns_server, make(raw, tmp_path))
        add_user(tmp_path / "users.txt", "anna", STAFF_PASSWORD)
        return write_config(raw, tmp_path / "autoconfig.toml"), add_token(tmp_path / "tokens.txt", "zammad")

    yield write


def diagnose(service: ServiceProcess) -> dict[str, Any]:
    body = json.dumps({"email": ALICE.address, "protocols": ["imap"], "lang": "en"}).encode()
    status, _, answer = service.request("POST", "/api/v1/diagnostics", body=body,
                                        headers={"Content-Type": "application/json"})
    assert status == 200, answer[:300]
    report: dict[str, Any] = json.loads(answer)
    assert report["checks"]
    return report


def sign_in(service: ServiceProcess) -> str:
    """Sign in on `service`; the session cookie."""
    status, headers, page = service.get("/helpdesk/sign-in")
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert status == 200 and token
    form = f"csrf_token={token.group(1).decode()}&name=anna&password={STAFF_PASSWORD.replace(' ', '+')}".encode()
    status, headers, _ = service.request("POST", "/helpdesk/sign-in", body=form, headers={
        "Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    assert status == 302, status
    return headers["Set-Cookie"].split(";", 1)[0]


def test_two_instances_share_one_postgresql(postgres_server: PostgresServer, shared_config: Any) -> None:
    config, token = shared_config(postgres_server.create_database())
    with ServiceProcess(config, workers=1, threads=4) as one, ServiceProcess(config, workers=2, threads=2) as two:
        # Given a check made on the first instance
        report = diagnose(one)
        code, link = report["ticket"]["code"], report["ticket"]["url"]
        # Then the second opens it by its link, and by its code through the helpdesk API
        status, _, body = two.get("/api/v1/reports/" + link.rsplit("/", 1)[1])
        assert status == 200 and json.loads(body)["ticket"]["code"] == code
        status, _, body = two.get(f"/api/v1/helpdesk/reports?code={code}", headers={"Authorization": f"Bearer {token}"})
        assert status == 200 and json.loads(body)["email"] == ALICE.address
        # And a staff member signed in on one instance is signed in on the other (one shared key)
        cookie = sign_in(one)
        status, _, page = two.get("/helpdesk/?lang=en", headers={"Cookie": cookie})
        assert status == 200 and b"Signed in as" in page
        # And the two instances' reports are one list
        diagnose(two)
        status, _, body = one.get(f"/api/v1/helpdesk/reports?email={ALICE.address}",
                                  headers={"Authorization": f"Bearer {token}"})
        assert [r["code"] for r in json.loads(body)["reports"]][1] == code


def test_a_database_that_goes_away_mid_run_costs_only_the_ticket(shared_config: Any) -> None:
    with PostgresServer() as database:
        config, _token = shared_config(database.create_database())
        with ServiceProcess(config, workers=1, threads=4) as service:
            assert diagnose(service)["ticket"]["code"]
            # When the database stops while the service runs
            database.pause()
            started = time.monotonic()
            report = diagnose(service)
            # Then the diagnosis still answers, in time, and says why it has no ticket
            assert report["ticket"] is None
            assert report["ticket_unavailable"]["message"].startswith("We could not save this check")
            assert time.monotonic() - started < 15
            status, _, _ = service.get("/r/" + "A" * 22)
            assert status == 503
            # And once it is back, tickets are back
            database.resume()
            assert diagnose(service)["ticket"]["code"]
