"""Hatch build hook: compile the page's translations (.po → .mo) whenever a wheel is built.

Runs for `pip install .` (the .mo files go into the wheel as artifacts, though git ignores
them) and for `pip install -e .` (the editable install reads the package from the source
tree, so the .mo files are written beside their .po files). A catalogue with errors stops
the build.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TRANSLATIONS = Path("autoconfig") / "translations"


def compile_catalogues(root: Path) -> list[Path]:
    """Compile every translations/<lang>/LC_MESSAGES/*.po under `root`; return the .mo paths."""
    written = []
    for po_path in sorted((root / TRANSLATIONS).glob("*/LC_MESSAGES/*.po")):
        lang = po_path.parent.parent.name
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        problems = [f"{po_path}: {message.id!r}: {error}" for message, errors in catalog.check() for error in errors]
        if problems:
            raise ValueError("translation errors:\n" + "\n".join(problems))
        mo_path = po_path.with_suffix(".mo")
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, prefix=".messages-", suffix=".mo")
        try:
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalog, use_fuzzy=False)
            os.chmod(tmp, 0o644)  # mkstemp makes it private; a service user must read it
            os.replace(tmp, mo_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(mo_path)
    if not written:
        raise ValueError(f"no translation catalogues found under {root / TRANSLATIONS}")
    return written


class TranslationsBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        for mo_path in compile_catalogues(root):
            build_data["artifacts"].append("/" + mo_path.relative_to(root).as_posix())
