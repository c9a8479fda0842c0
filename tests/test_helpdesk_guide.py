"""docs/helpdesk-guide.md tells the helpdesk the truth: its list of outcome codes is what
autoconfig/docs_gen.py writes from the catalogue (a code added without regenerating fails
here), and what it says about reports, ids and the page matches the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from autoconfig import docs_gen
from autoconfig.config import load_config
from autoconfig.directory import Directory
from autoconfig.lookup import settings_for_address
from autoconfig.messages import CATALOGUE, LANGUAGES, Text
from autoconfig.model import Status
from autoconfig.probes import _planned_ids, plan, stages_for
from autoconfig.probes.base import Kind
from autoconfig.resolver import make_resolver
from tests.conftest import REPO

GUIDE = REPO / "docs" / "helpdesk-guide.md"
DEMO = REPO / "autoconfig" / "demo" / "autoconfig.toml"


def guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def section(title: str) -> str:
    text = guide()
    start = text.index(f"\n{title}\n")
    end = re.search(r"^#", text[start + len(title) + 2 :], re.M)
    return text[start : start + len(title) + 2 + end.start()] if end else text[start:]


def first_column(table_text: str) -> list[str]:
    return re.findall(r"^\| `([\w-]+)` \|", table_text, re.M)


# --- the generated list of codes -------------------------------------------------------


def test_the_committed_guide_is_what_the_generator_writes() -> None:
    assert docs_gen.update(guide()) == guide(), f"docs/helpdesk-guide.md is out of date: run {docs_gen.COMMAND}"


def test_every_code_has_its_entry_with_both_languages() -> None:
    text = guide()
    for code, texts in CATALOGUE.items():
        entry = text.split(f"#### `{code}`\n", 1)[1].split("\n#### ", 1)[0].split("\n### ", 1)[0]
        rows = {lang: (meaning, remedy) for lang, meaning, remedy
                in re.findall(r"^\| (Italiano|English) \| (.+) \| (.+) \|$", entry, re.M)}
        assert set(rows) == {"Italiano", "English"}, code
        assert f"[`{code}`](#{docs_gen.anchor_of(code)})" in text  # in the index too
        label = "*Needs action · Da risolvere*" if texts["it"].remedy else "*Information · Informazione*"
        assert label in entry, code


def test_the_words_are_the_catalogue_words() -> None:
    text = guide()
    # one sample per family: the message, placeholders shown as code
    assert "Il certificato di `{host}` è scaduto il `{not_after}`" in text
    assert "The certificate of `{host}` expired on `{not_after}`" in text
    for texts in CATALOGUE.values():
        for lang in LANGUAGES:
            assert docs_gen.markdown_text(texts[lang].message) in text


def test_a_code_added_without_regenerating_fails_the_check(tmp_path: Path) -> None:
    # Given the committed guide and a catalogue with one more code
    copy = tmp_path / "helpdesk-guide.md"
    copy.write_text(guide(), encoding="utf-8")
    grown = {**CATALOGUE, "imap.new_check": {"it": Text("Nuovo.", "Fai così."), "en": Text("New.", "Do this.")}}
    generators = {"outcome-codes": lambda: docs_gen.outcome_codes(grown)}
    # When the guide is checked against it, it is out of date; regenerated, it lists the code
    assert docs_gen.update(guide(), generators) != guide()
    assert "#### `imap.new_check`" in docs_gen.update(guide(), generators)
    # And the command says the committed file is current, and fixes a stale one
    assert docs_gen.main(["--check", str(copy)]) == 0
    copy.write_text(guide().replace("#### `tls.expired`", "#### `tls.expired` (edited)"), encoding="utf-8")
    assert docs_gen.main(["--check", str(copy)]) == 1
    assert docs_gen.main([str(copy)]) == 0
    assert copy.read_text(encoding="utf-8") == guide()


def test_catalogue_text_cannot_break_the_markdown() -> None:
    text = docs_gen.markdown_text("a | b <script>x</script> *bold* [link](u) `code` {host}\nnext_line")
    assert "|" not in text.replace("\\|", "")
    assert "<" not in text.replace("\\<", "")
    assert "`{host}`" in text and "\n" not in text
    assert "\\*bold\\*" in text and "next\\_line" in text


def test_an_unknown_family_is_listed_under_its_own_name() -> None:
    out = docs_gen.outcome_codes({"zzz.thing": {"it": Text("x"), "en": Text("y")}})
    assert "### zzz · zzz" in out and "#### `zzz.thing`" in out


def test_a_block_without_its_end_marker_is_an_error() -> None:
    begin, _end = docs_gen._markers("outcome-codes")
    with pytest.raises(ValueError, match="no end marker"):
        docs_gen.update(f"# x\n{begin}\n")


# --- what the prose says ---------------------------------------------------------------


def test_the_statuses_and_kinds_are_the_models() -> None:
    statuses = section("### Statuses, and the worst one wins")
    assert set(first_column(statuses)) == {s.value for s in Status}
    assert set(first_column(section("### Kinds and ids"))) == {k.value for k in Kind}
    # "error, warning, ok, skipped": the order the guide gives is the model's ranking
    order = [s.value for s in sorted(Status, key=lambda s: s.rank, reverse=True)]
    assert ", ".join(order) in guide()


def test_the_check_ids_it_names_exist() -> None:
    # The ids a diagnosis of the demo configuration plans (the connection check adds -ipv6/-ipv4).
    config = load_config(DEMO)
    settings = settings_for_address(Directory(config.providers, make_resolver(config.dns)), "mario.rossi@example.com")
    planned = {
        check_id
        for target in plan(settings)
        for stage in stages_for(target.protocol, target.security)
        for check_id in _planned_ids(target, stage)
    }
    planned |= {f"{i}-{family}" for i in planned if i.endswith("-tcp") for family in ("ipv4", "ipv6")}
    kinds = section("### Kinds and ids")
    named = set(re.findall(r"`((?:imap|pop3|smtp)-[\w-]+)`", kinds))
    assert named and named <= planned


def test_the_page_labels_it_quotes_are_the_pages(client: FlaskClient) -> None:
    italian = client.get("/?email=mario.rossi@example.com&lang=it").get_data(as_text=True)
    english = client.get("/?email=mario.rossi@example.com&lang=en").get_data(as_text=True)
    for it, en in [
        ("Verifica l’account", "Check the account"),
        ("Avvia la verifica", "Run the check"),
        ("Password (facoltativa)", "Password (optional)"),
        ("Riepilogo per l’assistenza", "Summary for the helpdesk"),
        ("Copia per l’assistenza", "Copy for the helpdesk"),
        ("Mostra le impostazioni", "Show settings"),
        ("Attenzione", "Attention"),
        ("Problema", "Problem"),
        ("Non verificato", "Not checked"),
        ("Cosa fare:", "What to do:"),
    ]:
        assert it in italian and en in english, (it, en)
        assert it.rstrip(":") in guide() and en.rstrip(":") in guide(), (it, en)
