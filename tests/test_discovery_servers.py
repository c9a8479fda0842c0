"""Discovery against real servers on loopback: nginx with a test CA, Knot, this service behind nginx.

Each case is a customer domain set up the way we meet them; each client's verdict is the one
that client would reach, with its code.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from autoconfig.cli import main
from autoconfig.discovery import Client, Discovery, Verdict
from autoconfig.messages import words
from tests.discovery_world import SERVICE, World, world
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.silent import CountingServer, SilentServer


@pytest.fixture(scope="module")
def net(test_ca: TestCA, dns_server: KnotServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(test_ca, dns_server, tmp_path_factory.mktemp("discovery")) as built:
        yield built


def run(net: World, domain: str) -> Discovery:
    return net.discoverer().run(net.settings(domain))


def client(found: Discovery, which: Client) -> Verdict:
    return next(v for v in found.clients if v.client is which)


def test_a_healthy_domain_is_automatic_for_every_client(net: World) -> None:
    found = run(net, "healthy.test")
    assert [(v.client, v.automatic, v.settings_match) for v in found.clients] == [
        (c, True, True) for c in Client if c is not Client.THUNDERBIRD_DAV  # only with [[provider.dav]]
    ]
    assert found.status.value == "ok"
    tb = client(found, Client.THUNDERBIRD)
    assert tb.code == "discovery.ok"
    assert tb.via == "https://autoconfig.healthy.test/mail/config-v1.1.xml?emailaddress=postmaster@healthy.test"
    assert client(found, Client.THUNDERBIRD_ANDROID).via == "https://autoconfig.healthy.test/mail/config-v1.1.xml"
    assert client(found, Client.OUTLOOK).via == "https://autodiscover.healthy.test/autodiscover/autodiscover.xml"
    assert client(found, Client.APPLE).code == "discovery.profile_signed"
    assert found.certificate_names == ("autoconfig.healthy.test", "autodiscover.healthy.test")
    # every step says where it went and how long it took; the central ISPDB is not ours
    steps = tb.steps
    assert steps[0].url == tb.via and steps[0].status.value == "ok" and steps[0].duration_ms >= 0
    assert any(s.code == "discovery.skipped" and "thunderbird.net" in s.url for s in steps)


def test_an_expired_certificate_stops_the_https_lookups(net: World) -> None:
    found = run(net, "expired.test")
    for which in (Client.THUNDERBIRD, Client.THUNDERBIRD_ANDROID, Client.OUTLOOK):
        verdict = client(found, which)
        assert (verdict.automatic, verdict.code) == (False, "discovery.tls_failed"), which
    step = client(found, Client.THUNDERBIRD_ANDROID).steps[0]
    assert step.data.tls == "expired"


def test_a_certificate_for_another_name_is_refused(net: World) -> None:
    verdict = client(run(net, "othername.test"), Client.THUNDERBIRD_ANDROID)
    assert (verdict.automatic, verdict.code) == (False, "discovery.tls_failed")
    assert verdict.steps[0].data.tls == "hostname_mismatch"


def test_an_http_only_host_works_for_thunderbird_with_a_warning_and_not_for_android(net: World) -> None:
    found = run(net, "httponly.test")
    tb = client(found, Client.THUNDERBIRD)
    assert (tb.automatic, tb.code, tb.status.value) == (True, "discovery.http_only", "warning")
    assert tb.via is not None and tb.via.startswith("http://autoconfig.httponly.test/")
    android = client(found, Client.THUNDERBIRD_ANDROID)
    assert (android.automatic, android.code) == (False, "discovery.unreachable")


def test_a_redirect_from_https_to_http_is_refused(net: World) -> None:
    found = run(net, "tohttp.test")
    for which in (Client.THUNDERBIRD, Client.THUNDERBIRD_ANDROID, Client.OUTLOOK):
        verdict = client(found, which)
        assert (verdict.automatic, verdict.code) == (False, "discovery.redirect_refused"), which
    # Outlook's HTTP GET is redirected, but to another http:// URL: not followed either
    http_step = next(s for s in client(found, Client.OUTLOOK).steps if s.url.startswith("http://"))
    assert http_step.code == "discovery.redirect_refused"


def test_a_redirect_loop_is_refused(net: World) -> None:
    verdict = client(run(net, "loop.test"), Client.THUNDERBIRD_ANDROID)
    assert (verdict.automatic, verdict.code) == (False, "discovery.redirect_refused")
    assert verdict.params["reason"] == "redirect_loop"  # the token, for staff; the words say it
    assert "un giro di rinvii che torna a https://" in words(verdict.code, "it", verdict.params).message
    assert "loop" in verdict.steps[0].data.reason
    assert len(verdict.steps[0].data.hops) <= 6


def test_a_document_naming_other_servers_is_a_mismatch(net: World) -> None:
    found = run(net, "foreign.test")
    for which in (Client.THUNDERBIRD, Client.THUNDERBIRD_ANDROID, Client.OUTLOOK):
        verdict = client(found, which)
        assert (verdict.automatic, verdict.settings_match, verdict.code) == (
            True, False, "discovery.settings_mismatch"), which
        assert "other-provider.test" in str(verdict.params["found"])
    assert found.status.value == "error"


def test_a_plain_block_is_fine_for_thunderbird_and_rejected_by_android(net: World) -> None:
    found = run(net, "plain.test")
    assert client(found, Client.THUNDERBIRD).code == "discovery.ok"
    android = client(found, Client.THUNDERBIRD_ANDROID)
    assert (android.automatic, android.code) == (False, "discovery.bad_document")
    assert android.params["reason"] == "unusable_document"
    assert "plain" in next(s for s in android.steps if s.code == "discovery.bad_document").data.reason


def test_no_autoconfig_name_but_our_mx_is_automatic_for_thunderbird_through_the_mx(net: World) -> None:
    found = run(net, "mxonly.test")
    tb = client(found, Client.THUNDERBIRD)
    assert (tb.automatic, tb.settings_match, tb.code) == (True, True, "discovery.via_mx")
    assert tb.via == f"https://{SERVICE}/mail/config-v1.1.xml?emailaddress=postmaster@mxonly.test"
    android = client(found, Client.THUNDERBIRD_ANDROID)
    assert (android.automatic, android.code) == (False, "discovery.not_found")


def test_a_name_at_a_private_address_is_refused_without_a_connection(net: World, tmp_path: Path) -> None:
    # Given the customer's names resolve to loopback, where something listens
    config = net.build(tmp_path, allow_private=False)
    with CountingServer("127.0.0.1") as listener:
        discoverer = net.discoverer(config, {"https": listener.port, "http": listener.port})
        # When discovery runs with internal addresses refused
        found = discoverer.run(net.settings("healthy.test", config))
        time.sleep(0.1)
        # Then every HTTP lookup is refused by address, and the listener saw no connection
        assert listener.connections == 0
    android = client(found, Client.THUNDERBIRD_ANDROID)
    assert (android.automatic, android.code) == (False, "discovery.private_address_refused")
    assert "127.0.0.1" in words(android.code, "it", android.params).message


def test_a_domain_whose_names_all_hang_ends_within_the_budget(net: World, tmp_path: Path) -> None:
    config = net.build(tmp_path, budget_s=2.0)
    with SilentServer("127.0.0.1") as silent:
        discoverer = net.discoverer(config, {"https": silent.port, "http": silent.port})
        started = time.monotonic()
        found = discoverer.run(net.settings("healthy.test", config))
        took = time.monotonic() - started
    assert took <= 2.0 + 0.5
    android = client(found, Client.THUNDERBIRD_ANDROID)
    assert (android.automatic, android.code) == (False, "discovery.timeout")


def test_the_api_answers_per_client_in_the_language_asked(net: World) -> None:
    web = net.app.test_client()
    answer = web.get("/api/v1/discovery?domain=plain.test&lang=en")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["domain"] == "plain.test" and body["status"] == "error"
    android = next(c for c in body["clients"] if c["client"] == "thunderbird-android")
    assert android["automatic"] is False and android["code"] == "discovery.bad_document"
    assert android["message"].startswith("Rejects the document") and android["remedy"]
    assert android["steps"][0]["url"] == "https://autoconfig.plain.test/mail/config-v1.1.xml"
    assert body["certificate_names"] == ["autoconfig.plain.test", "autodiscover.plain.test"]
    italian = web.get("/api/v1/discovery?domain=plain.test&lang=it").get_json()
    assert next(c for c in italian["clients"] if c["client"] == "thunderbird-android")["message"].startswith("Scarta")


@pytest.mark.parametrize(("query", "status"), [
    ("domain=nobody.hoster.test", 404), ("domain=", 400), ("domain=a..b", 400), ("", 400),
    ("domain=healthy.test&lang=xx", 400),
])
def test_the_api_refuses_what_it_cannot_check(net: World, query: str, status: int) -> None:
    assert net.app.test_client().get(f"/api/v1/discovery?{query}").status_code == status


def test_the_cli_exit_codes(net: World, tmp_path: Path) -> None:
    import tomli_w

    path = tmp_path / "autoconfig.toml"
    path.write_text(tomli_w.dumps(net.raw), encoding="utf-8")
    obj = {"discovery_ports": net.nginx.ports}
    runner = CliRunner()
    healthy = runner.invoke(main, ["discover", "healthy.test", "--config", str(path), "--json"], obj=obj)
    assert healthy.exit_code == 0, healthy.output
    broken = runner.invoke(main, ["discover", "expired.test", "--config", str(path), "--lang", "en"], obj=obj)
    assert broken.exit_code == 1
    assert "Thunderbird for Android" in broken.output and "What to do" in broken.output
    unknown = runner.invoke(main, ["discover", "unknown.test", "--config", str(path)], obj=obj)
    assert unknown.exit_code == 2


def test_every_diagnosis_report_carries_a_discovery_check_per_client(net: World) -> None:
    # Given the page's API, When a diagnosis runs for an address of the healthy domain
    answer = net.app.test_client().post("/api/v1/diagnostics", json={"email": "anna@healthy.test", "lang": "en"})
    assert answer.status_code == 200
    checks = [c for c in answer.get_json()["checks"] if c["kind"] == "discovery"]
    # Then each client has its verdict, in words, with where it finds the settings
    assert [c["id"] for c in checks] == [f"discovery-{c.value}" for c in Client
                                         if c is not Client.THUNDERBIRD_DAV]  # only with [[provider.dav]]
    tb = checks[0]
    assert tb["status"] == "ok" and tb["code"] == "discovery.ok" and tb["message"].startswith("Finds the settings")
    assert tb["data"]["automatic"] is True and tb["data"]["via"].startswith("https://autoconfig.healthy.test/")


def test_in_a_diagnosis_a_client_that_will_not_set_itself_up_is_a_warning(net: World) -> None:
    answer = net.app.test_client().post("/api/v1/diagnostics", json={"email": "anna@expired.test", "lang": "it"})
    android = next(c for c in answer.get_json()["checks"] if c["id"] == "discovery-thunderbird-android")
    assert (android["status"], android["code"]) == ("warning", "discovery.tls_failed")
    assert android["remedy"] and "certbot" in android["remedy"]


def test_the_page_says_per_program_whether_it_sets_itself_up_and_what_to_fix(net: World) -> None:
    from playwright.sync_api import expect

    from tests.conftest import REPO
    from tests.support.browser import chromium

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # Given the page for an address of a domain whose file Thunderbird for Android rejects
        page.goto(f"{net.url}/?email=anna@plain.test&lang=en#discovery")
        expect(page.locator("#discovery-title")).to_have_text("Will my programs set themselves up?")
        # When the customer asks
        page.click("#discovery-run")
        android = page.locator("#discovery-results li[data-client='thunderbird-android']")
        expect(android).to_be_visible(timeout=15_000)
        # Then each program says whether it sets itself up, and the one that will not says what to fix
        expect(android.locator("h3")).to_contain_text("Will not set itself up")
        expect(android.locator(".remedy")).to_contain_text("What to do:")
        thunderbird = page.locator("#discovery-results li[data-client='thunderbird']")
        expect(thunderbird.locator("h3")).to_contain_text("Sets itself up")
        expect(thunderbird.locator(".discovery-via code")).to_contain_text("https://autoconfig.plain.test/")
        assert page.locator("#discovery-results > li").count() == 5
        (REPO / "tests" / "artifacts").mkdir(exist_ok=True)
        page.locator("#discovery").screenshot(path=str(REPO / "tests" / "artifacts" / "discovery.png"))
        assert errors == []
