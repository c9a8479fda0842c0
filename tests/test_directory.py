"""Which provider serves a domain: exact, domains file (reloaded live), pattern; first wins."""

from __future__ import annotations

import os
import time
from pathlib import Path

from autoconfig import create_app
from autoconfig.config import build_config
from autoconfig.directory import Directory, DomainsFile
from tests.conftest import ConfigFactory, base_raw


def test_exact_pattern_and_case_insensitive(make_config: ConfigFactory) -> None:
    directory = Directory(make_config().providers, resolver=None)
    assert directory.lookup("example.com") is not None
    assert directory.lookup("a.example.net") is not None
    assert directory.lookup("deep.a.example.net") is not None
    assert directory.lookup("example.net") is None  # a pattern needs a label in front
    assert directory.lookup("example.co") is None


def test_a_domain_belongs_to_the_first_provider_that_lists_it(tmp_path: Path) -> None:
    raw = base_raw()
    second = dict(raw["provider"][0], id="second", domains=["example.com", "second.example"])
    raw["provider"].append(second)
    raw["provider"][0]["domains"] = ["first.example"]
    raw["provider"][0]["domain_patterns"] = ["*.example.com"]
    directory = Directory(build_config(raw, base_dir=tmp_path).providers, resolver=None)
    # exact before pattern, even across providers
    assert directory.lookup("example.com").id == "second"  # type: ignore[union-attr]
    assert directory.lookup("www.example.com").id == "example"  # type: ignore[union-attr]


def test_domains_file_is_read_again_when_it_changes(tmp_path: Path) -> None:
    # Given a provider whose customers are listed in a file
    domains = tmp_path / "domains.txt"
    domains.write_text("# customers\ncliente-uno.it\nCLIENTE-DUE.IT  # upper case\nnot a domain\n")
    raw = base_raw()
    raw["provider"][0]["domains_file"] = "domains.txt"
    client = create_app(build_config(raw, base_dir=tmp_path)).test_client()
    assert client.get("/api/v1/settings?email=a@cliente-due.it").status_code == 200
    assert client.get("/api/v1/settings?email=a@cliente-tre.it").status_code == 404
    # When the admin adds a customer (no restart)
    time.sleep(1.1)
    domains.write_text("cliente-uno.it\ncliente-tre.it\n")
    os.utime(domains, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    time.sleep(1.1)
    # Then the new domain is served and the removed one is not
    assert client.get("/api/v1/settings?email=a@cliente-tre.it").status_code == 200
    assert client.get("/api/v1/settings?email=a@cliente-due.it").status_code == 404


def test_domains_file_being_replaced_keeps_the_last_good_list(tmp_path: Path) -> None:
    path = tmp_path / "domains.txt"
    path.write_text("kept.example\n")
    now = [0.0]
    domains = DomainsFile(path, clock=lambda: now[0])
    path.unlink()
    now[0] = 5.0
    assert "kept.example" in domains


def test_idn_in_domains_file_matches_both_spellings(tmp_path: Path) -> None:
    (tmp_path / "domains.txt").write_text("pâtisserie.example\n")
    raw = base_raw()
    raw["provider"][0]["domains_file"] = "domains.txt"
    app_client = create_app(build_config(raw, base_dir=tmp_path)).test_client()
    assert app_client.get("/api/v1/settings?email=a@pâtisserie.example").status_code == 200
    assert app_client.get("/api/v1/settings?email=a@xn--ptisserie-b2a.example").status_code == 200


def test_hundred_thousand_domains_are_all_found(tmp_path: Path) -> None:
    path = tmp_path / "domains.txt"
    path.write_text("".join(f"cliente{i}.it\n" for i in range(100_000)))
    raw = base_raw()
    raw["provider"][0]["domains_file"] = "domains.txt"
    directory = Directory(build_config(raw, base_dir=tmp_path).providers, resolver=None)
    assert all(directory.lookup(f"cliente{i}.it") is not None for i in range(0, 100_000, 997))
    assert directory.lookup("cliente100000.it") is None
