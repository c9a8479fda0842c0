"""deploy/postfix/domains-from-postfix.sh, run against Debian's real postconf and postmap:
the domains Postfix receives mail for become a `domains_file` the service reads."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from autoconfig.directory import read_domains

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "deploy" / "postfix" / "domains-from-postfix.sh"


@pytest.fixture
def postfix_dir(tmp_path: Path) -> Path:
    """A Postfix configuration directory: a list, a hash table built by postmap, a file."""
    conf = tmp_path / "postfix"
    conf.mkdir()
    (conf / "master.cf").write_text("")
    (conf / "vdomains").write_text("shop.example OK\nbücher.example OK\n", encoding="utf-8")
    (conf / "more").write_text("# domains moved from the old server\nfile.example\n")
    (conf / "main.cf").write_text(
        "virtual_mailbox_domains = example.com, Cliente.Example,"
        " hash:$config_directory/vdomains, $config_directory/more\n"
        "relay_domains = relay.example\n"
    )
    subprocess.run(["postmap", "-c", str(conf), f"hash:{conf}/vdomains"], check=True)
    return conf


def run(conf: Path, out: Path, *params: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(SCRIPT), str(out), *params], env={"PATH": "/usr/sbin:/usr/bin:/bin",
                          "POSTFIX_CONFIG": str(conf)}, capture_output=True, text=True, timeout=30)


def test_every_kind_of_postfix_entry_becomes_a_served_domain(postfix_dir: Path, tmp_path: Path) -> None:
    # Given Postfix's virtual_mailbox_domains as a list, a hash table and a file
    out = tmp_path / "domains.txt"
    # When the generator runs
    result = run(postfix_dir, out)
    # Then the service reads every domain, in lower case, IDN as A-labels
    assert result.returncode == 0, result.stderr
    assert read_domains(out) == {"example.com", "cliente.example", "shop.example", "xn--bcher-kva.example",
                                 "file.example"}
    assert "5 domains written" in result.stdout


def test_more_parameters_add_their_domains(postfix_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "domains.txt"
    assert run(postfix_dir, out, "virtual_mailbox_domains", "relay_domains").returncode == 0
    assert "relay.example" in read_domains(out)


def test_a_table_postfix_cannot_list_keeps_the_old_file(postfix_dir: Path, tmp_path: Path) -> None:
    # Given a domains file the service already reads
    out = tmp_path / "domains.txt"
    assert run(postfix_dir, out).returncode == 0
    before = out.read_bytes()
    # When a parameter names a table postmap cannot list (an SQL map)
    with (postfix_dir / "main.cf").open("a") as fh:
        fh.write(f"virtual_alias_domains = mysql:{postfix_dir}/aliases.cf\n")
    result = run(postfix_dir, out, "virtual_alias_domains")
    # Then the script fails, the service keeps its list, and no half-written file is left behind
    assert result.returncode != 0
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["domains.txt", "postfix"]
