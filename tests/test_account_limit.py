"""The per-account limit counts the login actually tried, not the address typed (issue 16, item 2).

With `username = "%EMAILLOCALPART%@good.test"` and MX matching, `alice@<any domain with our
MX>` logs in as alice@good.test. The limit hashed the typed address, so each such domain was
a fresh bucket for guessing alice@good.test's password (the attack got 13 domains through
after the real one was limited). The API, the page (which diagnoses through the API) and the
CLI now count the expanded user name at the server, in the same storage.

Knot serves the look-alike domains (MX at our host); DNS for the mail servers goes to Knot
too, where they do not exist, so the diagnoses that are let through end at once."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from autoconfig import create_app
from autoconfig.accountlimit import login_key
from autoconfig.cli import main
from autoconfig.config import build_config
from autoconfig.lookup import resolve, settings_for_address
from autoconfig.services import Services
from tests.conftest import base_raw
from tests.diagnostics_helpers import to_toml
from tests.support.dns import KnotServer
from tests.support.redis import RedisServer

DOMAINS = [f"borrowed{i}.test" for i in range(6)]


@pytest.fixture(scope="module")
def zones(dns_server: KnotServer) -> Any:
    for domain in DOMAINS:
        dns_server.set_zone(domain, "@ IN MX 10 mx.good.test.\n")
    yield DOMAINS
    for domain in DOMAINS:
        dns_server.remove_zone(domain)


def _raw(dns_server: KnotServer, per_account: str) -> dict[str, Any]:
    raw = base_raw()
    provider = raw["provider"][0]
    provider["domains"] = ["good.test"]
    provider["domain_patterns"] = []
    provider["mx_hosts"] = ["mx.good.test"]
    provider["username"] = "%EMAILLOCALPART%@good.test"
    raw["dns"] = {"nameservers": [dns_server.nameserver], "timeout_s": 1}
    raw["diagnostics"] = {"budget_s": 2, "connect_timeout_s": 1}
    raw["limits"] = {"diagnostics_per_ip": "1000/minute", "diagnostics_per_account": per_account}
    return raw


def _client(raw: dict[str, Any], tmp_path: Path) -> FlaskClient:
    app = create_app(build_config(raw, base_dir=tmp_path))
    app.config["TESTING"] = True
    return app.test_client()


def test_borrowed_domains_share_the_mailbox_bucket(zones: list[str], dns_server: KnotServer,
                                                   tmp_path: Path) -> None:
    # Given a limit of 2 diagnoses an hour per account
    client = _client(_raw(dns_server, "2/hour"), tmp_path)
    body = {"password": "guess-1", "protocols": ["imap"], "lang": "en"}
    # When alice@good.test is diagnosed twice, from two addresses
    for remote in ("192.0.2.1", "192.0.2.2"):
        response = client.post("/api/v1/diagnostics", json={"email": "alice@good.test", **body},
                               environ_base={"REMOTE_ADDR": remote})
        assert response.status_code == 200, response.json
    # Then every domain whose MX is ours, which logs in as the same alice@good.test, is refused too
    for domain in zones:
        refused = client.post("/api/v1/diagnostics", json={"email": f"alice@{domain}", **body},
                              environ_base={"REMOTE_ADDR": "192.0.2.9"})
        assert refused.status_code == 429, domain
        assert refused.json is not None and refused.json["limit"] == "per_account"
        assert int(refused.headers["Retry-After"]) >= 1
    # while another mailbox, through a borrowed domain, still goes on
    other = client.post("/api/v1/diagnostics", json={"email": f"bob@{zones[0]}", **body})
    assert other.status_code == 200


def test_the_key_is_the_login_not_the_address(zones: list[str], dns_server: KnotServer, tmp_path: Path) -> None:
    config = build_config(_raw(dns_server, "2/hour"), base_dir=tmp_path)
    directory = Services.build(config).directory
    keys = {login_key(settings_for_address(directory, f"{local}@{domain}"))
            for local in ("alice", "ALICE") for domain in ["good.test", *zones]}
    assert len(keys) == 1 and next(iter(keys), "").startswith("account:")
    assert "alice" not in next(iter(keys))  # hashed: the storage never holds the mailbox
    assert login_key(settings_for_address(directory, "bob@good.test")) not in keys
    provider = config.providers[0]
    assert login_key(resolve(provider, "good.test", "good.test", None)) is None  # no address, no login


def test_the_api_and_the_cli_count_in_the_same_bucket(zones: list[str], dns_server: KnotServer,
                                                       redis_server: RedisServer, tmp_path: Path) -> None:
    # Given the API and the CLI sharing one Redis, and a limit of 2 diagnoses an hour per account
    raw = _raw(dns_server, "2/hour")
    raw["provider"][0]["id"] = f"shared-{uuid.uuid4().hex[:8]}"  # a bucket of this test's own
    raw["limits"]["storage_uri"] = redis_server.url.rsplit("/", 1)[0] + "/2"
    path = tmp_path / "autoconfig.toml"
    path.write_text(to_toml(raw), encoding="utf-8")
    client = _client(raw, tmp_path)
    # When the web diagnoses alice@good.test twice
    for _ in range(2):
        assert client.post("/api/v1/diagnostics", json={"email": "alice@good.test", "protocols": ["imap"]}
                           ).status_code == 200
    # Then the helpdesk's CLI is refused the same login through a borrowed domain: exit 2, and why
    result = CliRunner().invoke(main, ["diagnose", "--config", str(path), "--lang", "en", f"alice@{zones[0]}"])
    assert result.exit_code == 2, result.output
    assert "diagnosed too often" in result.output
    # while bob, another login, is diagnosed
    other = CliRunner().invoke(main, ["diagnose", "--config", str(path), "--lang", "en", f"bob@{zones[0]}"])
    assert other.exit_code in (0, 1), other.output
