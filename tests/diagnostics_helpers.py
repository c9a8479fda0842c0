"""Shared set-up for the diagnostics tests: a provider for example.test whose servers are
the fixture Dovecots, a Knot zone that maps the names to 127.0.0.x, and a runner."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from autoconfig.config import build_config
from autoconfig.diagnose import DiagnosisRequest, Diagnostician, Report
from autoconfig.formats import zone
from autoconfig.model import Config, Protocol, Secret
from autoconfig.services import Services
from tests.conftest import base_raw
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import FAULT_ADDRESSES, HEALTHY_IP, DovecotServer

DOMAIN = "example.test"
HOST = "mail.example.test"
PUBLIC_URL = "https://autoconfig.example.com"

# (protocol, service in DovecotServer.ports, security)
SERVICES = (
    ("imap", "imaps", "tls"),
    ("imap", "imap", "starttls"),
    ("pop3", "pop3s", "tls"),
    ("pop3", "pop3", "starttls"),
    ("smtp", "submissions", "tls"),
    ("smtp", "submission", "starttls"),
)


def server(protocol: str, hostname: str, port: int, security: str) -> dict[str, Any]:
    return {"protocol": protocol, "hostname": hostname, "port": port, "security": security}


def dovecot_servers(
    dovecot: DovecotServer, hostname: str = HOST, protocols: Iterable[str] = ("imap", "pop3", "smtp")
) -> list[dict[str, Any]]:
    """One server entry per listener of a Dovecot (a closed port where it has none)."""
    wanted = set(protocols)
    ports = {**dovecot.closed_ports, **dovecot.ports}
    return [server(p, hostname, ports[svc], sec) for p, svc, sec in SERVICES if p in wanted]


def raw_config(
    servers: list[dict[str, Any]],
    *,
    ca: TestCA,
    knot: KnotServer,
    domains: Iterable[str] = (DOMAIN,),
    **diagnostics: Any,
) -> dict[str, Any]:
    raw = base_raw()
    provider = raw["provider"][0]
    provider["domains"] = list(domains)
    provider["domain_patterns"] = []
    provider["mx_hosts"] = [HOST]
    provider["server"] = servers
    raw["diagnostics"] = {
        "ca_file": str(ca.ca_file),
        "allow_private_addresses": True,
        "budget_s": 8,
        "connect_timeout_s": 3,
        **diagnostics,
    }
    raw["dns"] = {"nameservers": [knot.nameserver], "timeout_s": 2}
    raw["limits"] = {"diagnostics_per_ip": "10000/minute", "diagnostics_per_account": "10000/hour"}
    return raw


def make(raw: dict[str, Any], tmp: Path) -> Config:
    return build_config(raw, base_dir=tmp)


def diagnostician(config: Config) -> Diagnostician:
    services = Services.build(config)
    return Diagnostician(config, services.directory, services.resolver)


def diagnose(
    config: Config | Diagnostician,
    email: str,
    password: str | None = None,
    protocols: Iterable[str] = (),
    lang: str = "en",
) -> Report:
    owner = config if isinstance(config, Diagnostician) else diagnostician(config)
    request = DiagnosisRequest(
        email, Secret(password) if password else None, tuple(Protocol(p) for p in protocols), lang
    )
    return owner.start(request).run()


def by_id(report: Report) -> dict[str, Any]:
    return {c.check.id: c for c in report.checks}


def codes(report: Report) -> dict[str, str]:
    return {c.check.id: c.check.code for c in report.checks}


def address_records() -> str:
    """A/AAAA for the healthy server and one name per fault instance."""
    lines = [f"mail A {HEALTHY_IP}", "mail AAAA ::1"]
    lines += [f"{host.split('.')[0]} A {ip}" for ip, host in FAULT_ADDRESSES.values()]
    return "\n".join(lines)


def publish_example_zone(knot: KnotServer, config: Config) -> None:
    """example.test with every record we tell customers to publish, plus the addresses;
    example.com with the service host, so autoconfig/autodiscover resolve."""
    provider = config.providers[0]
    lines = "\n".join(zone.lines(provider, DOMAIN, PUBLIC_URL))
    knot.set_zone(DOMAIN, lines + "\n" + address_records())
    knot.set_zone("example.com", "autoconfig A 127.0.0.9\n")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def to_toml(raw: dict[str, Any]) -> str:
    """The raw config dict as a TOML file (for the CLI): tables, provider arrays, servers."""
    out: list[str] = []

    def table(name: str, values: dict[str, Any], array: bool = False) -> None:
        out.append(f"[[{name}]]" if array else f"[{name}]")
        nested = []
        for key, value in values.items():
            if isinstance(value, dict):
                nested.append((key, value, False))
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                nested.append((key, value, True))
            elif value is not None:
                out.append(f"{key} = {_toml_value(value)}")
        for key, value, is_array in nested:
            for item in value if is_array else [value]:
                table(f"{name}.{key}", item, is_array)

    for section in ("service", "diagnostics", "dns", "limits", "reports", "helpdesk", "watch"):
        if section in raw:
            table(section, raw[section])
    for provider in raw["provider"]:
        table("provider", provider, array=True)
    return "\n".join(out) + "\n"
