"""docs/architecture.md stays true: every path it names exists, and it names every package."""

from __future__ import annotations

import re

from tests.conftest import REPO

DOC = REPO / "docs" / "architecture.md"
# `autoconfig/…`, `tests/…`, `templates/…`, `docs/…` in backquotes; `<lang>`-style parts are patterns.
PATH = re.compile(r"`((?:autoconfig|tests|templates|docs|deploy)/[^`\s]*)`")


def named_paths(text: str) -> list[str]:
    return [p for p in PATH.findall(text) if "<" not in p]


def test_every_path_the_architecture_names_exists() -> None:
    names = named_paths(DOC.read_text(encoding="utf-8"))
    assert len(names) > 40
    missing = [name for name in names if not (REPO / name).exists()]
    assert missing == []


def test_the_architecture_names_every_package_and_top_level_module() -> None:
    # A newcomer finds every room of the house in it: each package and each module of autoconfig/
    text = DOC.read_text(encoding="utf-8")
    package = REPO / "autoconfig"
    rooms = [p for p in package.iterdir() if p.name != "__init__.py" and not p.name.startswith((".", "_"))
             and (p.suffix == ".py" or (p / "__init__.py").exists())]
    unnamed = [p.name for p in rooms if f"autoconfig/{p.name}" not in text]
    assert unnamed == []


def test_the_check_catches_a_path_that_is_gone() -> None:
    assert named_paths("see `autoconfig/nowhere.py` and `autoconfig/translations/<lang>/x.po`") == [
        "autoconfig/nowhere.py"
    ]
    assert not (REPO / "autoconfig/nowhere.py").exists()
