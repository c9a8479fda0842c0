"""`autoconfig diagnose` as the helpdesk uses it: a readable table, --json, --lang, the
password only from standard input, and exit codes a script can use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from autoconfig.cli import main
from tests.diagnostics_helpers import dovecot_servers, make, publish_example_zone, raw_config, to_toml
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.dovecot import ALICE, DovecotServer


@pytest.fixture(scope="module")
def config_file(dovecot_healthy: DovecotServer, test_ca: TestCA, dns_server: KnotServer,
                tmp_path_factory: pytest.TempPathFactory) -> str:
    tmp = Path(tmp_path_factory.mktemp("cli"))
    raw = raw_config(dovecot_servers(dovecot_healthy), ca=test_ca, knot=dns_server)
    publish_example_zone(dns_server, make(raw, tmp))
    path = tmp / "autoconfig.toml"
    path.write_text(to_toml(raw), encoding="utf-8")
    return str(path)


def test_table_in_italian_with_remedies(config_file: str) -> None:
    result = CliRunner().invoke(
        main, ["diagnose", "--config", config_file, "--password-stdin", "--lang", "it", ALICE.address],
        input=ALICE.password + "\n",
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(f"{ALICE.address} (example): warning")
    assert "stato" in out and "verifica" in out and "esito" in out
    assert "imap-folders" in out and "Accesso riuscito" in out
    assert "Cosa fare:" in out and "imap-subscriptions" in out
    assert "Consiglio: IMAP" in out
    assert ALICE.password not in out


def test_json_is_the_api_report(config_file: str) -> None:
    result = CliRunner().invoke(main, ["diagnose", "--config", config_file, "--json", "--lang", "en",
                                       ALICE.address])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["lang"] == "en"
    auth = [c for c in report["checks"] if c["kind"] == "auth"]
    assert {c["code"] for c in auth} == {"auth.skipped"}


def test_an_error_exits_1(config_file: str) -> None:
    result = CliRunner().invoke(main, ["diagnose", "--config", config_file, "--password-stdin",
                                       "--lang", "en", ALICE.address], input="wrong-password\n")
    assert result.exit_code == 1
    assert "auth.failed" not in result.output  # words, not codes
    assert "refused the user name or password" in result.output
    # The verdict first, under the heading line: one wrong password is one problem
    lines = result.output.splitlines()
    assert lines[1] == "There is one problem to fix."
    assert lines[2].startswith("  1. The server refused the user name or password")


@pytest.mark.parametrize("address", ["not an address", "someone@nowhere.example.com"])
def test_an_address_that_cannot_be_diagnosed_exits_2(config_file: str, address: str) -> None:
    result = CliRunner().invoke(main, ["diagnose", "--config", config_file, address])
    assert result.exit_code == 2
    assert result.output.startswith("error: ")


def test_there_is_no_password_option() -> None:
    result = CliRunner().invoke(main, ["diagnose", "--password", "x", ALICE.address])
    assert result.exit_code == 2
    assert "No such option" in result.output
