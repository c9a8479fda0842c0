"""The `autoconfig` command as an admin uses it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from lxml import etree

from autoconfig.cli import main

BIN = Path(sys.executable).parent / "autoconfig"


def test_render_thunderbird_prints_the_document_for_an_address() -> None:
    result = CliRunner().invoke(main, ["render", "thunderbird", "mario.rossi@example.com"])
    assert result.exit_code == 0, result.output
    doc = etree.fromstring(result.output.encode("utf-8"))
    assert doc.find("emailProvider/incomingServer/username").text == "mario.rossi@example.com"


def test_render_for_an_unknown_domain_fails_with_a_message() -> None:
    result = CliRunner().invoke(main, ["render", "thunderbird", "a@unknown.example"])
    assert result.exit_code == 1
    assert "no provider serves the domain unknown.example" in result.output


def test_render_reads_the_config_named_by_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[service]\npublic_url = "https://auto.cliente.example"\n'
        '[[provider]]\nid = "c"\nname = "Cliente"\ndomains = ["cliente.example"]\n'
        '[[provider.server]]\nprotocol = "imap"\nhostname = "imap.cliente.example"\nport = 993\nsecurity = "tls"\n'
        '[[provider.server]]\nprotocol = "smtp"\nhostname = "smtp.cliente.example"\nport = 465\nsecurity = "tls"\n'
    )
    result = CliRunner().invoke(main, ["render", "thunderbird", "a@cliente.example"],
                                env={"AUTOCONFIG_CONFIG": str(path)})
    assert result.exit_code == 0, result.output
    assert "<hostname>imap.cliente.example</hostname>" in result.output


def test_serve_runs_the_demo_configuration_out_of_the_box(tmp_path: Path) -> None:
    # Given a free loopback port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "AUTOCONFIG_CONFIG"}
    # When an admin runs `autoconfig serve` without any configuration
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(BIN), "serve", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=log)
    try:
        url = f"http://127.0.0.1:{port}/mail/config-v1.1.xml?emailaddress=mario.rossi@example.com"
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    body = response.read()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "autoconfig serve did not start"
                time.sleep(0.2)
        # Then the bundled demo provider answers
        assert b"<displayName>Example Hosting S.r.l.</displayName>" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    # and the request is logged as under gunicorn: a JSON access line, without the address
    log_text = log_path.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in log_text.splitlines() if line.startswith("{")]
    assert any(e["logger"] == "autoconfig.access" and e["path"] == "/mail/config-v1.1.xml" for e in lines), log_text
    assert "mario.rossi" not in log_text
    # and werkzeug's coloured banner reaches the JSON without terminal escape codes
    assert any("development server" in e["message"] for e in lines), log_text
    assert "\\u001b" not in log_text and "\x1b" not in log_text
