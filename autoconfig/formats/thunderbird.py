"""Thunderbird autoconfig 1.1 (also read by Thunderbird for Android/K-9, Evolution, KMail)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..model import ResolvedServer, Security, ServiceOptions, Settings

SOCKET_TYPES = {Security.TLS: "SSL", Security.STARTTLS: "STARTTLS"}
DOC_DESCR = {
    "it": "Configurare la posta: POP3 o IMAP, quale scegliere",
    "en": "Setting up e-mail: POP3 or IMAP, which to choose",
}


def _server(parent: ET.Element, tag: str, server: ResolvedServer) -> ET.Element:
    el = ET.SubElement(parent, tag, type=server.protocol.value)
    ET.SubElement(el, "hostname").text = server.hostname
    ET.SubElement(el, "port").text = str(server.port)
    ET.SubElement(el, "socketType").text = SOCKET_TYPES[server.security]
    ET.SubElement(el, "username").text = server.username
    ET.SubElement(el, "authentication").text = server.auth.value
    return el


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
    if service.faq_url:
        doc = ET.SubElement(ep, "documentation", url=service.faq_url)
        for lang in service.languages:
            ET.SubElement(doc, "descr", lang=lang).text = DOC_DESCR[lang]
    if provider.webmail_url:
        webmail = ET.SubElement(root, "webMail")
        ET.SubElement(webmail, "loginPage", url=provider.webmail_url)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
