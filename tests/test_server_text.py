"""Text from servers is cleaned and bounded before it reaches the NDJSON, the page or a
terminal (issue 16, item 6): no C0/C1 control codes, no bidirectional overrides, no
5,000-character capability token."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from autoconfig import create_app
from autoconfig.cli import main
from autoconfig.probes.base import clean_text, printable
from autoconfig.probes.greeting import shown_capabilities
from tests.diagnostics_helpers import make, raw_config, server, to_toml
from tests.support.ca import TestCA
from tests.support.dns import KnotServer
from tests.support.hostile_text import UNSAFE, HostileTextImapServer

HOST = "imap.hostile.test"
ADDRESS = "alice@example.test"


@pytest.fixture
def hostile(dns_zones: Callable[[str, str], None]) -> Iterator[HostileTextImapServer]:
    dns_zones("hostile.test", "imap A 127.0.0.1\n")
    with HostileTextImapServer() as stub:
        yield stub


def _raw(stub: HostileTextImapServer, test_ca: TestCA, dns_server: KnotServer) -> dict[str, Any]:
    servers = [server("imap", HOST, stub.port, "plain"), server("imap", HOST, 1, "tls"),
               server("smtp", HOST, 1, "tls")]
    return raw_config(servers, ca=test_ca, knot=dns_server, domains=["example.test"])


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _assert_clean(text: str) -> None:
    for bad in UNSAFE:
        assert bad not in text, repr(bad)
    assert not [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf") and ch != "\n"]


def test_the_ndjson_stream_carries_no_hostile_text(hostile: HostileTextImapServer, test_ca: TestCA,
                                                   dns_server: KnotServer, tmp_path: Path) -> None:
    # Given a server whose greeting and capabilities hold control codes and overrides
    app = create_app(make(_raw(hostile, test_ca, dns_server), tmp_path))
    # When the diagnosis streams as NDJSON
    response = app.test_client().post("/api/v1/diagnostics", json={"email": ADDRESS, "protocols": ["imap"]},
                                      headers={"Accept": "application/x-ndjson"})
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    # Then the greeting was read and shown, cleaned, with bounded capability tokens
    greeting = next(line for line in lines if line.get("id", "").endswith(f"{hostile.port}-greeting"))
    assert greeting["code"] == "proto.ok"
    banner = greeting["data"]["banner"]
    assert "Benvenuto" in banner and "gnp.exe" in banner and len(banner) <= 120
    assert greeting["data"]["capabilities"] and max(map(len, greeting["data"]["capabilities"])) <= 64
    for line in lines:
        for text in _strings(line):
            _assert_clean(text)


def test_the_terminal_gets_no_hostile_text(hostile: HostileTextImapServer, test_ca: TestCA,
                                           dns_server: KnotServer, tmp_path: Path) -> None:
    path = tmp_path / "autoconfig.toml"
    path.write_text(to_toml(_raw(hostile, test_ca, dns_server)), encoding="utf-8")
    for extra in ([], ["--json"]):
        result = CliRunner().invoke(main, ["diagnose", "--config", str(path), "--lang", "en", *extra, ADDRESS])
        assert result.exit_code in (0, 1), result.output
        _assert_clean(result.output)
        assert "A" * 200 not in result.output


def test_a_capability_that_is_not_ascii_is_the_servers_fault(dns_zones: Callable[[str, str], None],
                                                             test_ca: TestCA, dns_server: KnotServer,
                                                             tmp_path: Path) -> None:
    # Given a server whose CAPABILITY holds bytes that are not ASCII (IMAP is ASCII)
    dns_zones("hostile.test", "imap A 127.0.0.1\n")
    with HostileTextImapServer(non_ascii=True) as stub:
        app = create_app(make(_raw(stub, test_ca, dns_server), tmp_path))
        report = app.test_client().post("/api/v1/diagnostics", json={"email": ADDRESS, "protocols": ["imap"]})
    # Then the greeting check blames the server's answer, not a bug of ours
    check = next(c for c in report.get_json()["checks"] if c["id"] == f"imap-{stub.port}-greeting")
    assert check["code"] == "proto.bad_greeting", check
    _assert_clean(check["message"])


@pytest.mark.parametrize(("raw", "shown"), [
    ("* OK ready", "* OK ready"),
    ("Benvenuto \x1b[31mrosso", "Benvenuto [31mrosso"),
    ("a\u009bb", "a b"),  # C1 CSI
    ("a\x85b", "a b"),  # C1 NEL
    ("\u202egnp.exe\u202c", "gnp.exe"),  # right-to-left override and pop
    ("x\u2066y\u2069z", "x y z"),  # isolates
    ("zero\u200bwidth\ufeff", "zero width"),
    ("line\u2028sep\u2029para", "line sep para"),
    ("caffè già", "caffè già"),  # letters stay
    ("\ud800lone", "lone"),  # a lone surrogate
    ("x" * 500, "x" * 119 + "…"),
    ("tab\there\r\nnext\x7fdel\x00nul", "tab here next del nul"),  # ASCII, yet not printable
])
def test_clean_text(raw: str, shown: str) -> None:
    assert clean_text(raw) == shown


def test_printable_bounds_bytes_before_decoding() -> None:
    text = printable(b"\xc2\x9b" + b"B" * 100_000)
    assert len(text) == 120 and text.endswith("…") and "\u009b" not in text


def test_capability_tokens_are_cut_and_bounded() -> None:
    tokens = {"IMAP4REV1", "X-" + "A" * 5000, "X-\u202eEVIL", *(f"T{i}" for i in range(99))}
    shown = shown_capabilities(frozenset(tokens))
    assert len(shown) == 40 and max(map(len, shown)) <= 64
    assert all("\u202e" not in c for c in shown)
