"""One source of truth: Thunderbird XML, Outlook POX and the Apple profile say the same thing.

For each configuration the three documents are fetched over HTTP for the same address, read as
each client reads them, and compared host by host, port by port, security and user name.
"""

from __future__ import annotations

import plistlib
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring as parse_xml
from flask.testing import FlaskClient

from autoconfig import create_app
from tests.conftest import ConfigFactory, base_raw
from tests.test_autodiscover import POX, Read, outlook_reads, pox_request, thunderbird_reads

SOCKET = {"SSL": "tls", "STARTTLS": "starttls", "plain": "plain"}


def server(protocol: str, hostname: str, port: int, security: str) -> dict[str, Any]:
    return {"protocol": protocol, "hostname": hostname, "port": port, "security": security}


CONFIGS = {
    "imap only, implicit TLS": [server("imap", "imap.%EMAILDOMAIN%", 993, "tls"),
                                server("smtp", "smtp.example.com", 465, "tls")],
    "pop3 only": [server("pop3", "pop.example.com", 995, "tls"),
                  server("smtp", "smtp.example.com", 587, "starttls")],
    "both, imap first": [server("imap", "mail.example.com", 993, "tls"),
                         server("pop3", "mail.example.com", 995, "tls"),
                         server("smtp", "smtp.example.com", 587, "starttls")],
    "both, pop3 first, interleaved": [server("pop3", "pop.example.com", 995, "tls"),
                                      server("smtp", "out.example.com", 465, "tls"),
                                      server("imap", "imap.example.com", 993, "tls"),
                                      server("smtp", "out.example.com", 587, "starttls")],
    "STARTTLS everywhere": [server("imap", "mail.example.com", 143, "starttls"),
                            server("pop3", "mail.example.com", 110, "starttls"),
                            server("smtp", "mail.example.com", 587, "starttls")],
    "implicit TLS everywhere": [server("imap", "mail.example.com", 993, "tls"),
                                server("pop3", "mail.example.com", 995, "tls"),
                                server("smtp", "mail.example.com", 465, "tls")],
    "plain ones first (never published)": [server("imap", "legacy.example.com", 143, "plain"),
                                           server("imap", "mail.example.com", 993, "tls"),
                                           server("pop3", "legacy.example.com", 110, "plain"),
                                           server("smtp", "legacy.example.com", 25, "plain"),
                                           server("smtp", "mail.example.com", 587, "starttls")],
}
USERNAMES = ["%EMAILADDRESS%", "%EMAILLOCALPART%"]


def thunderbird_autoconfig_reads(body: bytes) -> list[Read]:
    root = parse_xml(body)
    return [
        Read(el.get("type") or "", el.findtext("hostname") or "", int(el.findtext("port") or 0),
             SOCKET[el.findtext("socketType") or ""], el.findtext("username") or "")
        for el in root.iter()
        if el.tag in ("incomingServer", "outgoingServer")
    ]


def profile_reads(body: bytes) -> tuple[Read, Read]:
    (mail,) = [p for p in plistlib.loads(body)["PayloadContent"] if p["PayloadType"] == "com.apple.mail.managed"]
    protocol = {"EmailTypeIMAP": "imap", "EmailTypePOP": "pop3"}[mail["EmailAccountType"]]

    def read(prefix: str, proto: str) -> Read:
        assert mail[f"{prefix}MailServerUseSSL"] is True  # Apple: TLS, implicit or STARTTLS by port
        return Read(proto, mail[f"{prefix}MailServerHostName"], mail[f"{prefix}MailServerPortNumber"],
                    "encrypted", mail[f"{prefix}MailServerUsername"])

    return read("Incoming", protocol), read("Outgoing", "smtp")


def incoming(reads: list[Read]) -> list[Read]:
    return [r for r in reads if r.protocol != "smtp"]


def outgoing(reads: list[Read]) -> list[Read]:
    return [r for r in reads if r.protocol == "smtp"]


def encrypted(read: Read) -> Read:
    return Read(read.protocol, read.hostname, read.port, "encrypted", read.username)


@pytest.fixture(params=list(CONFIGS), ids=list(CONFIGS))
def config_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.mark.parametrize("username", USERNAMES)
def test_thunderbird_outlook_and_apple_agree(make_config: ConfigFactory, config_name: str, username: str) -> None:
    # Given a provider with this set of servers
    raw = base_raw()
    raw["provider"][0]["server"] = CONFIGS[config_name]
    raw["provider"][0]["username"] = username
    client: FlaskClient = create_app(make_config(raw)).test_client()
    address = "giulia.bianchi@example.org"
    expected = [
        Read(s["protocol"], s["hostname"].replace("%EMAILDOMAIN%", "example.org"), s["port"], s["security"],
             address if username == "%EMAILADDRESS%" else "giulia.bianchi")
        for s in CONFIGS[config_name]
        if s["security"] != "plain"
    ]

    # When each client fetches its document for the same address
    tb = thunderbird_autoconfig_reads(client.get(f"/mail/config-v1.1.xml?emailaddress={address}").data)
    pox_body = client.post(POX, data=pox_request(address)).data
    outlook = outlook_reads(pox_body)
    tb_exchange = thunderbird_reads(pox_body)

    # Then Thunderbird autoconfig and both readings of POX list the same servers, in preference order
    for reads in (tb, outlook, tb_exchange):
        assert incoming(reads) == incoming(expected)
        assert outgoing(reads) == outgoing(expected)
        assert all(r.security != "plain" for r in reads)

    # And the Apple profile, for each incoming protocol offered, holds that protocol's first server
    # and the first SMTP server, as everyone else prefers them
    for protocol in ("imap", "pop3"):
        offered = [r for r in incoming(expected) if r.protocol == protocol]
        response = client.get(f"/mobileconfig?email={address}&protocol={protocol}")
        if not offered:
            assert response.status_code == 400
            continue
        apple_in, apple_out = profile_reads(response.data)
        assert apple_in == encrypted(offered[0])
        assert apple_out == encrypted(outgoing(expected)[0])
    default_in, _ = profile_reads(client.get(f"/mobileconfig?email={address}").data)
    assert default_in == encrypted(incoming(expected)[0])

    # And the settings API, the source they all render from, agrees too
    api = client.get(f"/api/v1/settings?email={address}").json
    api_servers = [Read(s["protocol"], s["hostname"], s["port"], s["security"], s["username"])
                   for s in api["incoming"] + api["outgoing"] if s["security"] != "plain"]
    assert incoming(api_servers) == incoming(expected)
    assert outgoing(api_servers) == outgoing(expected)


def test_thunderbird_misreads_starttls_on_a_non_standard_port_from_pox(make_config: ConfigFactory) -> None:
    """Thunderbird ignores `Encryption` and guesses STARTTLS from the port (143/110/25/587 only).

    Outlook reads our `Encryption` TLS correctly; Thunderbird asks the autoconfig URL first, which
    says STARTTLS explicitly, so this only matters when a Thunderbird falls back to autodiscover.
    """
    raw = base_raw()
    raw["provider"][0]["server"] = [server("imap", "mail.example.com", 1143, "starttls"),
                                    server("smtp", "mail.example.com", 2525, "starttls")]
    client = create_app(make_config(raw)).test_client()
    body = client.post(POX, data=pox_request("a@example.com")).data
    assert [r.security for r in outlook_reads(body)] == ["starttls", "starttls"]
    assert [r.security for r in thunderbird_reads(body)] == ["tls", "tls"]  # Thunderbird's own rule
    tb = thunderbird_autoconfig_reads(client.get("/mail/config-v1.1.xml?emailaddress=a@example.com").data)
    assert [r.security for r in tb] == ["starttls", "starttls"]
