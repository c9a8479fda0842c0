"""A hoster set up for the DNS tests: MX hosts, servers and a service host under example.test.

Knot (the session's ``dns_server``) serves the hoster's own zone plus one fresh customer
zone per test (``customer_zone``), so tests never see each other's records.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from autoconfig.config import build_config
from autoconfig.model import Config
from tests.conftest import base_raw
from tests.support.dns import KnotServer

PUBLIC_URL = "https://autoconfig.example.test"
SERVICE_ADDRESS = "127.0.0.10"
MX_HOSTS = ["mx1.example.test", "mx2.example.test"]
SERVERS: list[dict[str, Any]] = [
    {"protocol": "imap", "hostname": "mail.example.test", "port": 993, "security": "tls"},
    {"protocol": "imap", "hostname": "mail.example.test", "port": 143, "security": "starttls"},
    {"protocol": "pop3", "hostname": "mail.example.test", "port": 995, "security": "tls"},
    {"protocol": "pop3", "hostname": "mail.example.test", "port": 110, "security": "plain"},
    {"protocol": "smtp", "hostname": "smtp.%EMAILDOMAIN%", "port": 465, "security": "tls"},
    {"protocol": "smtp", "hostname": "mail.example.test", "port": 587, "security": "starttls"},
]
HOSTER_ZONE = f"""
autoconfig IN A {SERVICE_ADDRESS}
mx1 IN A 127.0.0.11
mx2 IN A 127.0.0.12
mail IN A 127.0.0.13
"""


def hoster_raw(nameservers: list[str], timeout_s: float = 2.0, mx_hosts: list[str] | None = None) -> dict[str, Any]:
    """The base config with our hoster's servers, MX hosts and resolver settings."""
    raw = base_raw()
    raw["service"]["public_url"] = PUBLIC_URL
    raw["dns"] = {"nameservers": nameservers, "timeout_s": timeout_s}
    provider = raw["provider"][0]
    provider["domains"] = ["example.test"]
    provider["domain_patterns"] = []
    provider["mx_hosts"] = list(MX_HOSTS if mx_hosts is None else mx_hosts)
    provider["server"] = [dict(s) for s in SERVERS]
    return raw


def hoster_config(tmp_path: Path, nameservers: list[str], **kwargs: Any) -> Config:
    return build_config(hoster_raw(nameservers, **kwargs), base_dir=tmp_path)


def customer_zone(server: KnotServer, records: str) -> str:
    """Serve ``records`` as a fresh customer zone (plus the hoster's zone); its name."""
    server.set_zone("example.test", HOSTER_ZONE)
    domain = f"c{uuid.uuid4().hex[:10]}.test"
    server.set_zone(domain, records)
    return domain
