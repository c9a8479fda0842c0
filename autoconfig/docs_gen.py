"""The generated parts of the documentation, written from the code that is their truth.

docs/helpdesk-guide.md explains how to read a report by hand, and lists every outcome code
with its words in Italian and English between two markers; this module writes that list
from `messages.CATALOGUE`, so a new code reaches the helpdesk with the next regeneration,
and a test fails while it has not:

    python -m autoconfig.docs_gen docs/helpdesk-guide.md           # rewrite the marked blocks
    python -m autoconfig.docs_gen --check docs/helpdesk-guide.md   # exit 1 when out of date

Pure: text in, text out; only `main` touches files.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from .messages import CATALOGUE, LANGUAGES, Text

COMMAND = "python -m autoconfig.docs_gen docs/helpdesk-guide.md"
LANGUAGE_NAMES = {"it": "Italiano", "en": "English"}

# A code's family is all but its last part (`tls.expired` → `tls`, `advice.imap.webmail` →
# `advice.imap`); families appear in catalogue order under these titles (a new family
# without a title is listed under its own name). Keys are the family's parts, so that no
# literal here looks like an outcome code to tests/test_messages.py's scan of the package.
FAMILIES: Mapping[tuple[str, ...], tuple[str, str]] = {
    ("dns",): ("DNS records of the customer's domain", "Record DNS del dominio del cliente"),
    ("discovery",): ("Automatic setup: does each program find the settings?",
                     "Configurazione automatica: ogni programma trova le impostazioni?"),
    ("net",): ("Network: names and connections", "Rete: nomi e connessioni"),
    ("proto",): ("The server's greeting and replies", "Saluto e risposte del server"),
    ("tls",): ("TLS: encryption and certificates", "TLS: cifratura e certificati"),
    ("starttls",): ("STARTTLS", "STARTTLS"),
    ("auth",): ("Login", "Accesso"),
    ("imap",): ("IMAP folders and quota", "Cartelle e quota IMAP"),
    ("pop3",): ("POP3 mailbox", "Casella POP3"),
    ("smtp",): ("Outgoing mail (SMTP submission)", "Posta in uscita (invio SMTP)"),
    ("skip",): ("Checks not run, and why", "Verifiche non eseguite e perché"),
    ("diag",): ("The diagnosis itself", "La diagnosi stessa"),
    ("verdict",): ("The verdict a customer reads first", "Il verdetto che il cliente legge per primo"),
    ("http",): ("Requests the service refused", "Richieste rifiutate dal servizio"),
    ("advice", "imap"): ("Recommendation: reasons for IMAP", "Consiglio: motivi per IMAP"),
    ("advice", "pop3"): ("Recommendation: reasons for POP3", "Consiglio: motivi per POP3"),
    ("advice", "caution"): ("Recommendation: cautions", "Consiglio: da tenere presente"),
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|#~])")


def family_of(code: str) -> str:
    return code.rsplit(".", 1)[0]


def anchor_of(code: str) -> str:
    """The GitHub anchor of a code's heading (`tls.expired` → `tlsexpired`)."""
    return re.sub(r"[^a-z0-9_-]", "", code.lower())


def markdown_text(text: str) -> str:
    """A catalogue text as Markdown: `{fields}` as code (the report fills them in), the rest
    escaped so no text can open a table cell, a tag or emphasis."""
    pieces = _PLACEHOLDER.split(" ".join(text.split()))
    return "".join(f"`{{{piece}}}`" if i % 2 else _MARKDOWN.sub(r"\\\1", piece) for i, piece in enumerate(pieces))


def _entry(code: str, texts: Mapping[str, Text]) -> list[str]:
    needs_action = any(texts[lang].remedy for lang in LANGUAGES if lang in texts)
    lines = [
        f"#### `{code}`",
        "",
        "*Needs action · Da risolvere*" if needs_action else "*Information · Informazione*",
        "",
        "| | Meaning · Significato | Remedy · Rimedio |",
        "|---|---|---|",
    ]
    for lang in LANGUAGES:
        text = texts.get(lang)
        if text is None:
            continue
        remedy = markdown_text(text.remedy) if text.remedy else "—"
        lines.append(f"| {LANGUAGE_NAMES.get(lang, lang)} | {markdown_text(text.message)} | {remedy} |")
    return [*lines, ""]


def outcome_codes(catalogue: Mapping[str, Mapping[str, Text]] = CATALOGUE) -> str:
    """Every code of the catalogue, by family: an index, then each code's words."""
    families: dict[str, list[str]] = {}
    for code in catalogue:
        families.setdefault(family_of(code), []).append(code)
    lines = [f"{len(catalogue)} codes in {len(families)} families.", ""]
    for family, codes in families.items():
        english, italian = FAMILIES.get(tuple(family.split(".")), (family, family))
        links = ", ".join(f"[`{code}`](#{anchor_of(code)})" for code in codes)
        lines.append(f"- **{english}** · {italian}: {links}")
    lines.append("")
    for family, codes in families.items():
        english, italian = FAMILIES.get(tuple(family.split(".")), (family, family))
        lines += [f"### {english} · {italian}", ""]
        for code in codes:
            lines += _entry(code, catalogue[code])
    return "\n".join(lines).rstrip("\n") + "\n"


GENERATORS: Mapping[str, Callable[[], str]] = {"outcome-codes": outcome_codes}


def _markers(name: str) -> tuple[str, str]:
    return (
        f"<!-- generated: {name} ({COMMAND}); do not edit by hand -->",
        f"<!-- end generated: {name} -->",
    )


def update(text: str, generators: Mapping[str, Callable[[], str]] = GENERATORS) -> str:
    """`text` with every marked block rewritten by its generator; other text untouched."""
    for name, generate in generators.items():
        begin, end = _markers(name)
        start = text.find(begin)
        if start == -1:
            continue
        stop = text.find(end, start)
        if stop == -1:
            raise ValueError(f"the block {name!r} has no end marker: {end}")
        text = text[: start + len(begin)] + "\n\n" + generate() + "\n" + text[stop:]
    return text


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autoconfig.docs_gen", description="Rewrite generated blocks.")
    parser.add_argument("files", nargs="+", type=Path, help="Markdown files with generated blocks")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is out of date")
    args = parser.parse_args(argv)
    stale = []
    for path in args.files:
        current = path.read_text(encoding="utf-8")
        fresh = update(current)
        if fresh == current:
            continue
        stale.append(path)
        if not args.check:
            path.write_text(fresh, encoding="utf-8")
    for path in stale:
        print(f"{path}: {'out of date; run ' + COMMAND if args.check else 'regenerated'}", file=sys.stderr)
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
