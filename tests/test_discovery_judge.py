"""Discovery's pure parts: each client's reader, Thunderbird's MX places, and the verdicts."""

from __future__ import annotations

import pytest

from autoconfig.config import build_config
from autoconfig.discovery import AppleFacts, Client, Lookups, Outcome, isp_urls, judge, mx_domains
from autoconfig.formats import autodiscover, readers, thunderbird
from autoconfig.formats.readers import Identity, Rejected
from autoconfig.lookup import resolve
from autoconfig.model import Security, Settings
from autoconfig.probes.web import Fetched, Hop
from tests.conftest import base_raw
from tests.discovery_world import FOREIGN_POX, PLAIN_XML

WHO = Identity("postmaster", "example.com")


@pytest.fixture
def settings(tmp_path: object) -> Settings:
    config = build_config(base_raw(), base_dir=tmp_path)  # type: ignore[arg-type]
    return resolve(config.providers[0], "example.com", "example.com", None)


def test_our_own_documents_are_read_back_as_our_settings(settings: Settings) -> None:
    config = build_config(base_raw(), base_dir=".")  # type: ignore[arg-type]
    xml = thunderbird.render(settings, config.service)
    for reader in (readers.thunderbird_desktop, readers.thunderbird_android):
        read = reader(xml, WHO)
        assert readers.foreign(read.chosen, settings, WHO) == ()
    pox = readers.outlook_pox(autodiscover.render(settings), WHO)
    assert readers.foreign(pox.chosen, settings, WHO) == ()
    assert pox.chosen[0].hostname == "mail.example.com" and pox.chosen[0].username == "postmaster@example.com"


def test_android_rejects_a_plain_imap_block_that_desktop_just_skips_over() -> None:
    who = Identity("postmaster", "plain.test")
    desktop = readers.thunderbird_desktop(PLAIN_XML.encode(), who)
    assert desktop.chosen[0].security is Security.TLS
    with pytest.raises(Rejected, match="plain"):
        readers.thunderbird_android(PLAIN_XML.encode(), who)


@pytest.mark.parametrize(("body", "why"), [
    (b"<clientConfig><emailProvider id='%EMAILDOMAIN%'><domain>x.test</domain></emailProvider></clientConfig>",
     "not a host name"),
    (b"<clientConfig><emailProvider id='x.test'></emailProvider></clientConfig>", "domain"),
    (b"<html>not found</html>", "clientConfig"),
    (b"<!DOCTYPE x [<!ENTITY a 'b'>]><clientConfig/>", "DOCTYPE"),
    (b"x" * (64 * 1024 + 1), "larger"),
])
def test_documents_no_client_accepts(body: bytes, why: str) -> None:
    for reader in (readers.thunderbird_desktop, readers.thunderbird_android):
        with pytest.raises(Rejected, match=why):
            reader(body, WHO)


def test_pox_encryption_is_read_as_each_client_reads_it() -> None:
    body = (b'<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006">'
            b'<Response xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a">'
            b"<Account><Protocol><Type>IMAP</Type><Server>mail.example.com</Server><Port>1143</Port>"
            b"<SSL>on</SSL><Encryption>TLS</Encryption></Protocol>"
            b"<Protocol><Type>SMTP</Type><Server>mail.example.com</Server><Port>587</Port><SSL>on</SSL></Protocol>"
            b"</Account></Response></Autodiscover>")
    assert readers.outlook_pox(body, WHO).incoming[0].security is Security.STARTTLS
    assert readers.outlook_pox(body, WHO, thunderbird=True).incoming[0].security is Security.TLS
    assert readers.outlook_pox(FOREIGN_POX.encode(), WHO).incoming[0].hostname == "imap.other-provider.test"


@pytest.mark.parametrize(("mx", "places"), [
    ("mx1.hoster.it", ("hoster.it",)),
    ("mx1.in.hoster.co.uk", ("in.hoster.co.uk", "hoster.co.uk")),
    ("mx.example.com", ()),  # the MX is in the domain itself: nothing new to look at
])
def test_thunderbird_looks_at_the_mx_hosts_parent_and_base_domain(mx: str, places: tuple[str, ...]) -> None:
    assert mx_domains("example.com", mx) == places


def test_the_first_usable_step_in_priority_order_decides(settings: Settings) -> None:
    config = build_config(base_raw(), base_dir=".")  # type: ignore[arg-type]
    xml = thunderbird.render(settings, config.service)
    urls = isp_urls("example.com", "postmaster@example.com")

    def got(url: str, outcome: str, body: bytes = b"") -> Outcome:
        return Outcome(url, Fetched(url, outcome, (Hop(url, "192.0.2.1", 200),), body=body), 12)

    found = Lookups({
        "isp0": (got(urls[0], "tls_failed"),),
        "isp1": (got(urls[1], "not_found"),),
        "isp2": (got(urls[2], "ok", xml),),
        "isp3": (got(urls[3], "not_found"),),
    }, "postmaster@example.com")
    verdicts = {v.client: v for v in judge(settings, found, AppleFacts("https://x/m", False, False), "https://x")}
    tb = verdicts[Client.THUNDERBIRD]
    assert (tb.automatic, tb.code, tb.via) == (True, "discovery.http_only", urls[2])
    # what did not end in time is a timeout, never a silent success
    android = verdicts[Client.THUNDERBIRD_ANDROID]
    assert (android.automatic, android.code) == (False, "discovery.timeout")
    assert verdicts[Client.APPLE].code == "discovery.profile_unsigned"
