"""Outcome code → words, in Italian and English: the one catalogue the API, CLI and page use.

Each entry holds a message and (for problems) a remedy per language. Texts may use
`{name}` fields filled from a result's parameters; a missing parameter leaves the field as is.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("it", "en")


@dataclass(frozen=True)
class Text:
    message: str
    remedy: str | None = None


# code → {lang → Text}. Probes, DNS health and advice each add their codes here.
CATALOGUE: Mapping[str, Mapping[str, Text]] = {
}


class _Keep(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(template: str, params: Mapping[str, Any]) -> str:
    return string.Formatter().vformat(template, (), _Keep(params))


def words(code: str, lang: str, params: Mapping[str, Any] | None = None) -> Text:
    """The message and remedy for `code` in `lang` (falling back to English, then the code)."""
    entry = CATALOGUE.get(code)
    if entry is None:
        return Text(code)
    text = entry.get(lang) or entry["en"]
    values = params or {}
    return Text(_fill(text.message, values), _fill(text.remedy, values) if text.remedy else None)
