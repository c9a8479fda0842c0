"""The configuration file: every mistake is named by its key path; the demo config loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from autoconfig.cli import main
from autoconfig.config import DEMO_CONFIG, build_config, config_path_from_env, load_config
from autoconfig.errors import ConfigError
from autoconfig.model import Auth, Protocol, Security
from tests.conftest import base_raw


def errors_of(raw: dict[str, Any], tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        build_config(raw, base_dir=tmp_path)
    return info.value.messages


def test_demo_config_loads_into_frozen_model() -> None:
    config = load_config(DEMO_CONFIG)
    provider = config.providers[0]
    assert provider.id == "example"
    assert provider.servers[0].protocol is Protocol.IMAP
    assert provider.servers[0].security is Security.TLS
    assert provider.servers[0].auth is Auth.PASSWORD_CLEARTEXT
    assert "xn--caff-8oa.example" in provider.domains  # IDN stored as A-label
    with pytest.raises(AttributeError):
        provider.id = "other"  # type: ignore[misc]


def test_env_variable_names_the_file_else_demo(tmp_path: Path) -> None:
    assert config_path_from_env({}) == DEMO_CONFIG
    assert config_path_from_env({"AUTOCONFIG_CONFIG": str(tmp_path / "x.toml")}) == tmp_path / "x.toml"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r["provider"][0]["server"][2].update(port=70000),
         "provider[0].server[2].port: must be between 1 and 65535"),
        (lambda r: r["provider"][0]["server"][0].update(port=0),
         "provider[0].server[0].port: must be between 1 and 65535"),
        (lambda r: r["provider"][0]["server"][1].update(security="ssl"),
         "provider[0].server[1].security: must be one of: tls, starttls, plain"),
        (lambda r: r["provider"][0]["server"][0].update(protocol="jmap"),
         "provider[0].server[0].protocol: must be one of: imap, pop3, smtp"),
        (lambda r: r["provider"][0]["server"][0].update(auth="kerberos"),
         "provider[0].server[0].auth: must be one of"),
        (lambda r: r["provider"][0]["server"][0].update(hostname="mail_server"),
         "provider[0].server[0].hostname: 'mail_server' is not a valid host name"),
        (lambda r: r["provider"][0]["server"][0].update(hostname="mail.%DOMAIN%"),
         "provider[0].server[0].hostname: unknown placeholder '%DOMAIN%'"),
        (lambda r: r["provider"][0].update(colour="blue"), "provider[0].colour: unknown key"),
        (lambda r: r.update(extra={}), "extra: unknown key"),
        (lambda r: r["service"].pop("public_url"), "service.public_url: is required"),
        (lambda r: r["service"].update(languages=["de"]),
         "service.languages[0]: no catalogue for 'de' (there are: en, it)"),
        (lambda r: r["provider"][0].update(domains=["exa mple.com"]), "provider[0].domains[0]:"),
        (lambda r: r["provider"][0].update(username="%EMAILUSER%"), "provider[0].username: unknown placeholder"),
        (lambda r: r["provider"][0].update(domain_patterns=["example.*"]),
         "provider[0].domain_patterns[0]: must look like *.example.net"),
        (lambda r: r["provider"][0].update(server=[{"protocol": "smtp", "hostname": "a.example",
                                                    "port": 25, "security": "starttls"}]),
         "provider[0].server: needs at least one imap or pop3 server with tls or starttls"),
        (lambda r: r["provider"][0].update(domains_file="nope.txt"), "provider[0].domains_file: file not found"),
        (lambda r: r["provider"].append(dict(r["provider"][0])), "provider: provider ids must be unique: example"),
        (lambda r: r.update(limits={"diagnostics_per_ip": "lots"}), "limits.diagnostics_per_ip:"),
        (lambda r: r.update(diagnostics={"budget_s": 5, "connect_timeout_s": 10}),
         "diagnostics.connect_timeout_s: must not exceed budget_s"),
    ],
)
def test_each_mistake_is_named_by_key_path(change: Any, expected: str, tmp_path: Path) -> None:
    # Given a valid configuration with one mistake
    raw = base_raw()
    change(raw)
    # When it is loaded / Then the message names the key path and the problem
    messages = errors_of(raw, tmp_path)
    assert any(m.startswith(expected) for m in messages), messages


def test_all_mistakes_are_reported_at_once(tmp_path: Path) -> None:
    raw = base_raw()
    raw["provider"][0]["server"][0]["port"] = -1
    raw["provider"][0]["server"][1]["security"] = "none"
    raw["service"]["bogus"] = True
    assert len(errors_of(raw, tmp_path)) == 3


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "domains.txt").write_text("customer.it\n")
    text = (DEMO_CONFIG.read_text()
            .replace('domains_file = "domains.txt"', 'domains_file = "domains.txt"'))
    path = tmp_path / "conf" / "autoconfig.toml"
    path.write_text(text)
    config = load_config(path)
    assert config.providers[0].domains_file == tmp_path / "conf" / "domains.txt"


def test_invalid_toml_is_reported_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[service\npublic_url = 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "broken.toml: not valid TOML" in info.value.messages[0]


def test_check_config_cli_lists_every_problem_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        '[service]\npublic_url = "https://a.example"\nbogus = 1\n'
        '[[provider]]\nid = "p"\nname = "P"\ndomains = ["p.example"]\n'
        '[[provider.server]]\nprotocol = "imap"\nhostname = "mail.p.example"\nport = 99999\nsecurity = "tls"\n'
        '[[provider.server]]\nprotocol = "smtp"\nhostname = "mail.p.example"\nport = 465\nsecurity = "tls"\n'
    )
    result = CliRunner().invoke(main, ["check-config", str(path)])
    assert result.exit_code == 2
    assert "service.bogus: unknown key" in result.output
    assert "provider[0].server[0].port: must be between 1 and 65535" in result.output


def test_check_config_cli_summarises_a_good_file() -> None:
    result = CliRunner().invoke(main, ["check-config", str(DEMO_CONFIG)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 1 provider(s), 5 domain(s)")
    assert "6 server(s)" in result.output
