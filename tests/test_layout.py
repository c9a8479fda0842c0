"""The repository stands on its own: nothing it runs reads files from outside the clone."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import REPO

# A path into a folder beside the clone, as `../shared/…` or `parent / "shared"`.
OUTSIDE = re.compile(r"""\.\./shared|/\s*["']shared["']|shared/reference""")
ROOTS = ("autoconfig", "tests", "deploy", ".ci")


def test_nothing_reads_a_folder_beside_the_clone() -> None:
    # Given every file the service, its tests, deployment and CI run
    this = Path(__file__).resolve()
    files = [p for root in ROOTS for p in (REPO / root).rglob("*") if p.is_file() and p.resolve() != this]
    # Then none of them names a path outside the repository
    offenders = [
        str(p.relative_to(REPO))
        for p in files
        if p.suffix in {".py", ".sh", ".toml", ".cfg", ".ini", ""} and OUTSIDE.search(p.read_text(errors="replace"))
    ]
    assert offenders == []
