"""The words of the client formats (autoconfig `<descr>`, profile names), from the gettext catalogues.

The same `translations/<lang>/LC_MESSAGES/messages.po` files the page uses: a language is
offered when it has a catalogue, so adding one (German, say) is a catalogue file and a line
in `[service] languages`, not code. A string missing from a catalogue stays in English (the
msgid). No Flask here: the formats are pure and the CLI renders them too.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).with_name("translations")
DOMAIN = "messages"
LANGUAGE_CODE = r"^[a-z]{2,3}$"  # what an API may ask for; whether it is spoken is the configuration's call


def translations_dir() -> Path:
    """Where the catalogues are (a module attribute, so a test can point it at a copy)."""
    return TRANSLATIONS


def available_languages(directory: Path | None = None) -> tuple[str, ...]:
    """Every language with a catalogue (`<lang>/LC_MESSAGES/messages.po` or `.mo`)."""
    root = directory or translations_dir()
    found = {
        path.parent.parent.name
        for pattern in (f"*/LC_MESSAGES/{DOMAIN}.po", f"*/LC_MESSAGES/{DOMAIN}.mo")
        for path in root.glob(pattern)
    }
    return tuple(sorted(found))


@functools.cache
def _catalogue(directory: Path, lang: str) -> NullTranslations:
    return Translations.load(str(directory), [lang], DOMAIN)


def translate(lang: str, message: str) -> str:
    """`message` (the English msgid) in `lang`; English when the catalogue lacks it."""
    return _catalogue(translations_dir(), lang).ugettext(message)


def N_(message: str) -> str:
    """Marks a msgid for extraction; translated later with `translate`."""
    return message
