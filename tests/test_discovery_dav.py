"""Will Thunderbird's address book and calendar dialogs find the DAV servers? Replayed as
CardDAVUtils.detectAddressBooks does it, against Knot (SRV and `path=` TXT) and, where there is no
SRV record, nginx serving `https://<domain>/.well-known/caldav` through this service."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from autoconfig import create_app
from autoconfig.config import build_config
from autoconfig.discovery import Client, Discoverer, Verdict
from autoconfig.lookup import resolve
from autoconfig.model import Config, Status
from autoconfig.resolver import make_resolver
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.nginx import NginxServer

HOSTER = "davhoster.test"
DOMAINS = ("davsrv.test", "davwellknown.test", "davwrong.test", "davnone.test")
DAV = [{"type": "caldav", "url": f"https://dav.{HOSTER}/cal/%EMAILADDRESS%/"},
       {"type": "carddav", "url": f"https://dav.{HOSTER}:8443/card/%EMAILADDRESS%/"}]


def raw_config(ca: TestCA, knot: KnotServer) -> dict[str, Any]:
    return {
        "service": {"public_url": f"https://autoconfig.{HOSTER}"},
        "diagnostics": {"budget_s": 6, "connect_timeout_s": 3, "ca_file": str(ca.ca_file),
                        "allow_private_addresses": True},
        "dns": {"nameservers": [knot.nameserver], "timeout_s": 2},
        "provider": [{
            "id": "hoster", "name": "Hoster", "domains": list(DOMAINS), "dav": DAV,
            "server": [{"protocol": "imap", "hostname": f"mail.{HOSTER}", "port": 993, "security": "tls"},
                       {"protocol": "smtp", "hostname": f"mail.{HOSTER}", "port": 465, "security": "tls"}],
        }],
    }


@pytest.fixture(scope="module")
def world(test_ca: TestCA, dns_server: KnotServer,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Config, NginxServer]]:
    # Given: records published right (SRV + TXT), none but a web site that sends /.well-known/caldav
    # to this service, an SRV left at the previous provider, and nothing at all
    dns_server.set_zone("davsrv.test", f"""
        _caldavs._tcp SRV 0 1 443 dav.{HOSTER}.
        _caldavs._tcp TXT "path=/cal/"
        _carddavs._tcp SRV 0 1 8443 dav.{HOSTER}.
        _carddavs._tcp TXT "path=/card/"
    """)
    dns_server.set_zone("davwellknown.test", "@ A 127.0.0.1")
    dns_server.set_zone("davwrong.test", "_caldavs._tcp SRV 0 1 443 cloud.old-provider.test.\n@ A 127.0.0.1")
    dns_server.set_zone("davnone.test", "@ A 127.0.0.1")
    config = build_config(raw_config(test_ca, dns_server), base_dir=tmp_path_factory.mktemp("davdiscovery"))
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site = test_ca.issue(["davwellknown.test", "davwrong.test"])
    default = test_ca.issue(["default.invalid"])
    sites = f"""
    server {{ listen 127.0.0.1:@HTTPS@ ssl default_server; ssl_certificate {default.cert_path};
        ssl_certificate_key {default.key_path}; return 404; }}
    server {{ listen 127.0.0.1:@HTTP@ default_server; return 404; }}
    server {{ listen 127.0.0.1:@HTTPS@ ssl; ssl_certificate {site.cert_path}; ssl_certificate_key {site.key_path};
        server_name davwellknown.test davwrong.test;
        location /.well-known/ {{ proxy_pass http://127.0.0.1:{server.server_port}; proxy_set_header Host $host; }}
        location / {{ return 200 'a web site'; }} }}
    """
    try:
        with NginxServer(sites) as nginx:
            yield config, nginx
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        for name in DOMAINS:
            dns_server.remove_zone(name)


def dav_verdict(world: tuple[Config, NginxServer], domain: str) -> Verdict:
    config, nginx = world
    discoverer = Discoverer.build(config, make_resolver(config.dns, cache=False), nginx.ports)
    found = discoverer.run(resolve(config.providers[0], domain, domain, None))
    (verdict,) = [v for v in found.clients if v.client is Client.THUNDERBIRD_DAV]
    return verdict


def test_srv_and_path_records_lead_thunderbird_to_both_servers(world: tuple[Config, NginxServer]) -> None:
    verdict = dav_verdict(world, "davsrv.test")
    assert (verdict.automatic, verdict.settings_match, verdict.status) == (True, True, Status.OK)
    assert verdict.params["via"] == f"https://dav.{HOSTER}/cal/, https://dav.{HOSTER}:8443/card/"
    assert [s.code for s in verdict.steps] == ["discovery.ok"] * 4


def test_without_srv_the_domains_well_known_redirect_through_this_service_is_found(
    world: tuple[Config, NginxServer]
) -> None:
    verdict = dav_verdict(world, "davwellknown.test")
    assert (verdict.automatic, verdict.status) == (True, Status.OK)
    urls = {s.url: s.code for s in verdict.steps}
    assert urls["https://davwellknown.test/.well-known/caldav"] == "discovery.ok"
    assert urls["https://davwellknown.test/.well-known/carddav"] == "discovery.ok"
    assert urls["dns:_caldavs._tcp.davwellknown.test/SRV"] == "discovery.not_found"


def test_an_srv_record_of_the_previous_provider_is_a_mismatch(world: tuple[Config, NginxServer]) -> None:
    verdict = dav_verdict(world, "davwrong.test")
    assert (verdict.automatic, verdict.settings_match, verdict.status) == (False, False, Status.ERROR)
    assert verdict.code == "discovery.settings_mismatch"
    assert "cloud.old-provider.test" in verdict.params["found"]


def test_nothing_published_is_a_warning_not_an_error(world: tuple[Config, NginxServer]) -> None:
    verdict = dav_verdict(world, "davnone.test")
    assert (verdict.automatic, verdict.status) == (False, Status.WARNING)
    assert verdict.code in ("discovery.not_found", "discovery.tls_failed")
