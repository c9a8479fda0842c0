"""A small internet on loopback for discovery: Knot serves the customers' zones, Debian's nginx
serves their autoconfig and autodiscover names with certificates from a test CA (valid,
expired, for another name; an HTTP-only host; redirects to HTTP and in a loop; documents of
another provider; a Thunderbird file with a plain block), and proxies the good names to this
service, which runs behind it on a loopback port.

Discovery uses ports 443 and 80; nginx here listens on free ports, and the discoverer is
given that port map (a test-only door: the config file has no such key).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from autoconfig import create_app
from autoconfig.config import build_config
from autoconfig.discovery import Discoverer
from autoconfig.lookup import resolve
from autoconfig.model import Config, Settings
from autoconfig.resolver import make_resolver
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.nginx import NginxServer

HOSTER = "hoster.test"
SERVICE = f"autoconfig.{HOSTER}"
HTTP_ONLY_IP = "127.0.0.4"
DOMAINS = ("healthy.test", "expired.test", "othername.test", "httponly.test", "tohttp.test", "loop.test",
           "foreign.test", "plain.test", "mxonly.test")

FOREIGN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="other-provider.test">
<domain>foreign.test</domain>
<incomingServer type="imap"><hostname>imap.other-provider.test</hostname><port>993</port>
<socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
</incomingServer>
<outgoingServer type="smtp"><hostname>smtp.other-provider.test</hostname><port>465</port>
<socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
</outgoingServer></emailProvider></clientConfig>"""

FOREIGN_POX = """<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">
<Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">
<Account><AccountType>email</AccountType><Action>settings</Action>
<Protocol><Type>IMAP</Type><Server>imap.other-provider.test</Server><Port>993</Port><SSL>on</SSL></Protocol>
<Protocol><Type>SMTP</Type><Server>smtp.other-provider.test</Server><Port>465</Port><SSL>on</SSL></Protocol>
</Account></Response></Autodiscover>"""

# Ours first (Thunderbird desktop sets it up), then a plain block Thunderbird for Android rejects.
PLAIN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1"><emailProvider id="plain.test">
<domain>plain.test</domain>
<incomingServer type="imap"><hostname>mail.hoster.test</hostname><port>993</port>
<socketType>SSL</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
</incomingServer>
<incomingServer type="imap"><hostname>mail.hoster.test</hostname><port>143</port>
<socketType>plain</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
</incomingServer>
<outgoingServer type="smtp"><hostname>mail.hoster.test</hostname><port>587</port>
<socketType>STARTTLS</socketType><username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
</outgoingServer></emailProvider></clientConfig>"""


def _nginx_string(text: str) -> str:
    return "'" + " ".join(text.split()).replace("\\", "\\\\").replace("'", "\\'") + "'"


def zones(knot: KnotServer) -> None:
    knot.set_zone(HOSTER, "autoconfig A 127.0.0.1\nmx1 A 127.0.0.1\nmail A 127.0.0.1")
    knot.set_zone("healthy.test", f"""
        @ A 127.0.0.1
        @ MX 10 mx1.{HOSTER}.
        autoconfig CNAME mailsetup
        autodiscover CNAME mailsetup
        mailsetup A 127.0.0.1
        _imaps._tcp SRV 0 0 993 mail.{HOSTER}.
        _submission._tcp SRV 0 0 587 mail.{HOSTER}.
        _autodiscover._tcp SRV 0 0 443 {SERVICE}.
    """)
    for name in ("expired.test", "othername.test", "tohttp.test", "loop.test", "foreign.test", "plain.test"):
        knot.set_zone(name, "autoconfig A 127.0.0.1\nautodiscover A 127.0.0.1")
    knot.set_zone("httponly.test", f"autoconfig A {HTTP_ONLY_IP}")
    knot.set_zone("mxonly.test", f"@ MX 10 mx1.{HOSTER}.")


def sites(ca: TestCA, app_port: int) -> str:
    default = ca.issue(["default.invalid"])
    valid = ca.issue([SERVICE, "autoconfig.healthy.test", "autodiscover.healthy.test"])
    expired = ca.expired(["autoconfig.expired.test", "autodiscover.expired.test"])
    other = ca.issue(["www.elsewhere.test"])
    misc = ca.issue([f"{label}.{d}" for d in ("tohttp.test", "loop.test", "foreign.test", "plain.test")
                     for label in ("autoconfig", "autodiscover")])
    proxy = f"proxy_pass http://127.0.0.1:{app_port}; proxy_set_header Host $host;"

    def tls(cert: Any) -> str:
        return f"ssl_certificate {cert.cert_path}; ssl_certificate_key {cert.key_path};"

    return f"""
    server {{ listen 127.0.0.1:@HTTPS@ ssl default_server; {tls(default)} return 404; }}
    server {{ listen 127.0.0.1:@HTTP@ default_server; return 404; }}
    server {{ listen 127.0.0.1:@HTTPS@ ssl; {tls(valid)}
        server_name {SERVICE} autoconfig.healthy.test autodiscover.healthy.test;
        location / {{ {proxy} }} }}
    server {{ listen 127.0.0.1:@HTTP@; server_name {SERVICE} autoconfig.healthy.test;
        location / {{ {proxy} }} }}
    server {{ listen 127.0.0.1:@HTTP@; server_name autodiscover.healthy.test;
        location / {{ return 302 https://{SERVICE}$request_uri; }} }}
    server {{ listen 127.0.0.1:@HTTPS@ ssl; {tls(expired)}
        server_name autoconfig.expired.test autodiscover.expired.test; location / {{ {proxy} }} }}
    server {{ listen 127.0.0.1:@HTTPS@ ssl; {tls(other)}
        server_name autoconfig.othername.test autodiscover.othername.test; location / {{ {proxy} }} }}
    server {{ listen {HTTP_ONLY_IP}:@HTTP@; server_name autoconfig.httponly.test; location / {{ {proxy} }} }}
    server {{ listen 127.0.0.1:@HTTPS@ ssl; {tls(misc)}
        server_name autoconfig.tohttp.test autodiscover.tohttp.test;
        location / {{ return 301 http://$host$request_uri; }} }}
    server {{ listen 127.0.0.1:@HTTP@; server_name autodiscover.tohttp.test;
        location / {{ return 302 http://{SERVICE}$request_uri; }} }}
    server {{ listen 127.0.0.1:@HTTPS@ ssl; {tls(misc)} server_name autoconfig.loop.test autodiscover.loop.test;
        location = /a {{ return 302 https://$host/b; }}
        location = /b {{ return 302 https://$host/a; }}
        location / {{ return 302 https://$host/a; }} }}
    server {{ listen 127.0.0.1:@HTTPS@ ssl; {tls(misc)} server_name autoconfig.foreign.test;
        location / {{ default_type application/xml; return 200 {_nginx_string(FOREIGN_XML)}; }} }}
    server {{ listen 127.0.0.1:@HTTPS@ ssl; {tls(misc)} server_name autodiscover.foreign.test;
        location / {{ default_type text/xml; return 200 {_nginx_string(FOREIGN_POX)}; }} }}
    server {{ listen 127.0.0.1:@HTTPS@ ssl; {tls(misc)} server_name autoconfig.plain.test;
        location / {{ default_type application/xml; return 200 {_nginx_string(PLAIN_XML)}; }} }}
    """


def raw_config(ca: TestCA, knot: KnotServer, *, allow_private: bool = True, budget_s: float = 6.0) -> dict[str, Any]:
    signer = ca.issue_signing()
    return {
        "service": {"public_url": f"https://{SERVICE}", "languages": ["it", "en"],
                    "faq_url": "https://support.hoster.test/faq"},
        "diagnostics": {"budget_s": budget_s, "connect_timeout_s": min(3.0, budget_s), "ca_file": str(ca.ca_file),
                        "allow_private_addresses": allow_private},
        "dns": {"nameservers": [knot.nameserver], "timeout_s": 2},
        "limits": {"diagnostics_per_ip": "1000/minute"},
        "provider": [{
            "id": "hoster", "name": "Hoster S.r.l.", "short_name": "Hoster",
            "domains": list(DOMAINS), "mx_hosts": [f"mx1.{HOSTER}"],
            "server": [
                {"protocol": "imap", "hostname": f"mail.{HOSTER}", "port": 993, "security": "tls"},
                {"protocol": "smtp", "hostname": f"mail.{HOSTER}", "port": 587, "security": "starttls"},
            ],
            "mobileconfig": {"identifier": "test.hoster.mail", "signing_cert": str(signer.cert_path),
                             "signing_key": str(signer.key_path), "signing_chain": str(signer.chain_path)},
        }],
    }


@dataclass
class World:
    config: Config
    raw: dict[str, Any]
    nginx: NginxServer
    knot: KnotServer
    ca: TestCA
    app: Flask
    url: str  # this service, straight (not through nginx)

    def discoverer(self, config: Config | None = None, ports: dict[str, int] | None = None) -> Discoverer:
        config = config or self.config
        return Discoverer.build(config, make_resolver(config.dns, cache=False), ports or self.nginx.ports)

    def settings(self, domain: str, config: Config | None = None) -> Settings:
        config = config or self.config
        provider = config.providers[0]
        return resolve(provider, domain, domain, None)

    def build(self, base_dir: Path, **changes: Any) -> Config:
        raw = raw_config(self.ca, self.knot, **changes)
        return build_config(raw, base_dir=base_dir)


class _Quiet(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextlib.contextmanager
def world(ca: TestCA, knot: KnotServer, base_dir: Path) -> Iterator[World]:
    zones(knot)
    raw = raw_config(ca, knot)
    config = build_config(raw, base_dir=base_dir)
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="discovery-app", daemon=True)
    thread.start()
    try:
        with NginxServer(sites(ca, server.server_port), hosts=("127.0.0.1", HTTP_ONLY_IP)) as nginx:
            app.config["DISCOVERY_PORTS"] = nginx.ports
            yield World(config, raw, nginx, knot, ca, app, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        for name in (HOSTER, "healthy.test", "expired.test", "othername.test", "tohttp.test", "loop.test",
                     "foreign.test", "plain.test", "httponly.test", "mxonly.test"):
            knot.remove_zone(name)
