"""GET /api/v1/dns and `autoconfig dns`: what the helpdesk sees about a customer's DNS."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner
from flask.testing import FlaskClient

from autoconfig import create_app
from autoconfig.cli import main
from autoconfig.config import build_config
from autoconfig.formats import zone
from autoconfig.messages import words
from tests.support.dns import KnotServer
from tests.support.dns_cases import PUBLIC_URL, customer_zone, hoster_raw
from tests.support.silent_dns import SilentNameserver


def raw_for(nameserver: str, *listed: str, **kwargs: Any) -> dict[str, Any]:
    """Our hoster's config, with `listed` customer domains named in it."""
    raw = hoster_raw([nameserver], **kwargs)
    raw["provider"][0]["domains"] += list(listed)
    return raw


def client_for(tmp_path: Path, raw: dict[str, Any]) -> FlaskClient:
    app = create_app(build_config(raw, base_dir=tmp_path))
    app.config["TESTING"] = True
    return app.test_client()


def good_zone(dns_server: KnotServer, tmp_path: Path) -> str:
    """A customer domain (found by its MX) whose zone holds exactly the recommended lines."""
    domain = customer_zone(dns_server, "")
    provider = build_config(raw_for(dns_server.nameserver), base_dir=tmp_path).providers[0]
    dns_server.set_zone(domain, "\n".join(zone.lines(provider, domain, PUBLIC_URL)))
    return domain


def check_named(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in body["checks"] if c["name"] == name)


# -- the API ----------------------------------------------------------------------------


def test_a_healthy_domain_in_the_default_language(tmp_path: Path, dns_server: KnotServer) -> None:
    domain = good_zone(dns_server, tmp_path)
    client = client_for(tmp_path, raw_for(dns_server.nameserver))
    response = client.get(f"/api/v1/dns?domain={domain}")
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["domain"], body["provider"], body["lang"], body["status"]) == (domain, "example", "it", "ok")
    mx = check_named(body, domain)
    assert mx["code"] == "dns.mx_ok"
    assert mx["expected"] == mx["found"] == ["10 mx1.example.test.", "20 mx2.example.test."]
    assert mx["message"] == words("dns.mx_ok", "it", mx["params"]).message
    assert mx["remedy"] is None
    provider = build_config(raw_for(dns_server.nameserver), base_dir=tmp_path).providers[0]
    assert body["zone_lines"] == list(zone.lines(provider, domain, PUBLIC_URL))
    assert len(body["checks"]) == 10


def test_foreign_mx_in_english_with_a_remedy(tmp_path: Path, dns_server: KnotServer) -> None:
    domain = customer_zone(dns_server, "@ IN MX 10 mx.other-provider.test.")
    client = client_for(tmp_path, raw_for(dns_server.nameserver, domain))
    body = client.get(f"/api/v1/dns?domain={domain.upper()}&lang=en").json
    assert (body["lang"], body["status"]) == ("en", "error")
    mx = check_named(body, domain)
    assert (mx["status"], mx["code"], mx["found"]) == ("error", "dns.mx_foreign", ["10 mx.other-provider.test."])
    assert "another provider (mx.other-provider.test)" in mx["message"]
    assert "10 mx1.example.test." in mx["remedy"]
    assert any(line.endswith("IN MX    10 mx1.example.test.") for line in body["zone_lines"])


def test_the_check_shows_a_fix_at_once(tmp_path: Path, dns_server: KnotServer) -> None:
    # Given a listed customer whose MX (TTL one hour) still points at the old provider
    domain = customer_zone(dns_server, "@ 3600 IN MX 10 mx.old-provider.test.")
    client = client_for(tmp_path, raw_for(dns_server.nameserver, domain))
    assert client.get(f"/api/v1/dns?domain={domain}").json["status"] == "error"
    # When the customer fixes it
    dns_server.set_zone(domain, "@ 3600 IN MX 10 mx1.example.test.")
    # Then the next check sees it, cache or no cache
    assert check_named(client.get(f"/api/v1/dns?domain={domain}").json, domain)["code"] == "dns.mx_ok"


def test_an_internationalised_domain(tmp_path: Path, dns_server: KnotServer) -> None:
    label = f"caffè-{uuid.uuid4().hex[:6]}"
    unicode_domain = f"{label}.test"
    ascii_domain = zone.fqdn(unicode_domain.encode("idna").decode()).rstrip(".")
    dns_server.set_zone(ascii_domain, "@ IN MX 10 mx1.example.test.")
    client = client_for(tmp_path, raw_for(dns_server.nameserver))
    body = client.get(f"/api/v1/dns?domain={unicode_domain}").json
    assert (body["domain"], body["domain_unicode"]) == (ascii_domain, unicode_domain)
    assert check_named(body, ascii_domain)["code"] == "dns.mx_ok"
    assert body["zone_lines"][0].startswith(f"{ascii_domain}. ")


def test_a_domain_no_provider_serves_is_a_404(tmp_path: Path, dns_server: KnotServer) -> None:
    domain = customer_zone(dns_server, "@ IN MX 10 mx.other-provider.test.")
    response = client_for(tmp_path, raw_for(dns_server.nameserver)).get(f"/api/v1/dns?domain={domain}")
    assert response.status_code == 404
    assert response.json["error"] == "unknown_domain"
    assert domain in response.json["message"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("", "domain"),
        ("?domain=", "domain"),
        ("?domain=exa%20mple.com", "domain"),
        ("?domain=a..example.com", "domain"),
        ("?domain=-bad-.example.com", "domain"),
        ("?domain=127.0.0.1", "domain"),
        ("?domain=example.com.", "domain"),
        ("?domain=localhost", "domain"),
        ("?domain=example.test&lang=de", "lang"),
    ],
)
def test_malformed_input_is_a_400_that_says_why(
    tmp_path: Path, dns_server: KnotServer, query: str, field: str
) -> None:
    response = client_for(tmp_path, raw_for(dns_server.nameserver)).get(f"/api/v1/dns{query}")
    assert response.status_code == 400
    assert response.is_json
    assert response.json["field"] == field
    assert response.json["message"]


def test_a_silent_nameserver_gives_a_prompt_answer(tmp_path: Path) -> None:
    with SilentNameserver() as silent:
        client = client_for(tmp_path, raw_for(silent.nameserver, "listed.test", timeout_s=0.5))
        # a listed domain: our resolver answered nothing, said as that one root cause (not as
        # ten records the customer should fix), within about one timeout
        started = time.monotonic()
        response = client.get("/api/v1/dns?domain=listed.test&lang=en")
        assert time.monotonic() - started < 2.5
        assert response.status_code == 200
        body = response.json
        assert body["status"] == "error"
        assert [c["code"] for c in body["checks"]] == ["dns.resolver_down"]
        assert "Our DNS resolver" in body["checks"][0]["message"]
        assert "[dns] nameservers" in body["checks"][0]["remedy"]
        assert body["zone_lines"]  # what to publish does not depend on DNS answering
        # a domain we could only know by its MX: 503, not 404, not 500
        started = time.monotonic()
        response = client.get("/api/v1/dns?domain=unlisted.test")
        assert time.monotonic() - started < 2.5
        assert (response.status_code, response.json["error"]) == (503, "dns_unavailable")


# -- the command line -------------------------------------------------------------------


def config_file(tmp_path: Path, raw: dict[str, Any]) -> str:
    path = tmp_path / "autoconfig.toml"
    path.write_text(tomli_w.dumps(raw), encoding="utf-8")
    return str(path)


def test_cli_table_then_zone_lines_and_exit_1_on_error(tmp_path: Path, dns_server: KnotServer) -> None:
    domain = customer_zone(dns_server, "@ IN MX 10 mx.other-provider.test.")
    path = config_file(tmp_path, raw_for(dns_server.nameserver, domain))
    result = CliRunner().invoke(main, ["dns", domain, "--config", path])
    assert result.exit_code == 1, result.output
    out = result.output
    lines = out.splitlines()
    assert lines[0].split() == ["stato", "record", "atteso", "trovato"]
    mx_row = next(line for line in lines if line.startswith("error"))
    assert mx_row.split()[:4] == ["error", domain, "MX", "10"]
    assert "10 mx.other-provider.test." in mx_row
    assert "puntano a un altro fornitore (mx.other-provider.test)" in out
    provider = build_config(raw_for(dns_server.nameserver), base_dir=tmp_path).providers[0]
    expected_zone = zone.lines(provider, domain, PUBLIC_URL)
    assert lines[-len(expected_zone):] == list(expected_zone)
    assert "Righe da pubblicare nella zona DNS:" in out


def test_cli_exit_0_when_healthy_in_english(tmp_path: Path, dns_server: KnotServer) -> None:
    domain = good_zone(dns_server, tmp_path)
    path = config_file(tmp_path, raw_for(dns_server.nameserver))
    result = CliRunner().invoke(main, ["dns", domain, "--config", path, "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0].split() == ["status", "record", "expected", "found"]
    assert "Lines to publish in the DNS zone:" in result.output


def test_cli_json_is_the_api_json(tmp_path: Path, dns_server: KnotServer) -> None:
    import json

    domain = customer_zone(dns_server, "@ IN MX 10 mx1.example.test.\n_imap._tcp IN SRV 0 0 143 x.test.")
    raw = raw_for(dns_server.nameserver)
    result = CliRunner().invoke(main, ["dns", domain, "--config", config_file(tmp_path, raw), "--json", "--lang", "en"])
    assert result.exit_code == 1, result.output  # the stray SRV record is an error
    api = client_for(tmp_path, raw).get(f"/api/v1/dns?domain={domain}&lang=en").json
    assert json.loads(result.output) == api


def test_cli_unknown_or_malformed_domain_exits_2(tmp_path: Path, dns_server: KnotServer) -> None:
    domain = customer_zone(dns_server, "@ IN MX 10 mx.other-provider.test.")
    path = config_file(tmp_path, raw_for(dns_server.nameserver))
    unknown = CliRunner().invoke(main, ["dns", domain, "--config", path])
    assert unknown.exit_code == 2
    assert "no provider serves the domain" in unknown.output
    malformed = CliRunner().invoke(main, ["dns", "exa mple.com", "--config", path])
    assert malformed.exit_code == 2
    assert "white space" in malformed.output
