"""Thunderbird autoconfig 1.1 (also read by Thunderbird for Android/K-9, Evolution, KMail).

Beyond the mail servers, the IETF draft (draft-ietf-mailmaint-autoconfig) adds what this
document carries when the provider configures it: every `<authentication>` method in
preference order (a client takes the first it supports), `<calendar>` and `<addressbook>`
for CalDAV and CardDAV, and `<oAuth2>` with the provider's issuer and endpoints. Clients
that do not know these elements ignore them (the draft's must-ignore rule).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..model import DavType, ResolvedDav, ResolvedServer, Security, ServiceOptions, Settings
from ..texts import N_, translate

SOCKET_TYPES = {Security.TLS: "SSL", Security.STARTTLS: "STARTTLS"}
FAQ_DESCR = N_("Setting up e-mail: POP3 or IMAP, which to choose")
GUIDE_DESCR = N_("How to set up your e-mail program")
DAV_ELEMENTS = {DavType.CALDAV: "calendar", DavType.CARDDAV: "addressbook"}
DAV_AUTH = "http-basic"  # the draft's name for a password over HTTP


def _server(parent: ET.Element, tag: str, server: ResolvedServer) -> ET.Element:
    el = ET.SubElement(parent, tag, type=server.protocol.value)
    ET.SubElement(el, "hostname").text = server.hostname
    ET.SubElement(el, "port").text = str(server.port)
    ET.SubElement(el, "socketType").text = SOCKET_TYPES[server.security]
    ET.SubElement(el, "username").text = server.username
    for method in server.auth_methods:
        ET.SubElement(el, "authentication").text = method.value
    return el


def _dav(parent: ET.Element, dav: ResolvedDav) -> None:
    el = ET.SubElement(parent, DAV_ELEMENTS[dav.type], type=dav.type.value)
    ET.SubElement(el, "url").text = dav.url
    ET.SubElement(el, "username").text = dav.username
    ET.SubElement(el, "authentication").text = DAV_AUTH


def render(settings: Settings, service: ServiceOptions) -> bytes:
    """The config-v1.1.xml document; plain (unencrypted) servers are never published."""
    provider = settings.provider
    root = ET.Element("clientConfig", version="1.1")
    ep = ET.SubElement(root, "emailProvider", id=settings.domain)
    ET.SubElement(ep, "domain").text = settings.domain
    ET.SubElement(ep, "displayName").text = provider.name
    ET.SubElement(ep, "displayShortName").text = provider.short_name
    for server in settings.incoming:
        if server.security in SOCKET_TYPES:
            _server(ep, "incomingServer", server)
    for server in settings.outgoing:
        if server.security in SOCKET_TYPES:
            out = _server(ep, "outgoingServer", server)
            ET.SubElement(out, "useGlobalPreferredServer").text = "false"
    links = service.help_for(provider)
    for url, descr in ((links.documentation_url, GUIDE_DESCR), (links.faq_url, FAQ_DESCR)):
        if url:
            doc = ET.SubElement(ep, "documentation", url=url)
            for lang in service.languages:
                ET.SubElement(doc, "descr", lang=lang).text = translate(lang, descr)
    for dav in settings.dav:
        _dav(root, dav)
    if provider.oauth2 is not None:
        oauth = ET.SubElement(root, "oAuth2")
        ET.SubElement(oauth, "issuer").text = provider.oauth2.issuer
        ET.SubElement(oauth, "scope").text = provider.oauth2.scope
        ET.SubElement(oauth, "authURL").text = provider.oauth2.auth_url
        ET.SubElement(oauth, "tokenURL").text = provider.oauth2.token_url
    if provider.webmail_url:
        webmail = ET.SubElement(root, "webMail")
        ET.SubElement(webmail, "loginPage", url=provider.webmail_url)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
