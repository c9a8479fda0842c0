"""Which language a request gets, and Flask-Babel wired to our compiled catalogues.

The page's own strings are gettext messages in `translations/<lang>/LC_MESSAGES/messages.po`
(compiled to .mo when the package is built or installed: deploy/hatch_build.py); the words
for outcome and advice codes come from `messages.CATALOGUE` instead.
"""

from __future__ import annotations

from babel.support import NullTranslations
from flask import Flask, current_app, g, request
from flask_babel import Babel, get_locale, get_translations

from . import texts
from .languages import choose_language

TRANSLATIONS = texts.TRANSLATIONS
DOMAIN = texts.DOMAIN


def _languages() -> tuple[str, ...]:
    return current_app.extensions["autoconfig"].config.service.languages  # type: ignore[no-any-return]


def request_language(requested: str | None = None) -> str:
    """The language for this request: `requested` (e.g. a JSON body's "lang"), then ?lang=,
    then Accept-Language, then the configured default."""
    languages = _languages()
    explicit = requested if requested in languages else request.args.get("lang")
    return choose_language(explicit, request.accept_languages, languages)


def check_language(value: str | None, field: str = "lang") -> str | None:
    """An explicitly asked language must be one the configuration speaks (a 400 otherwise)."""
    if value is None or value == "":
        return None
    return choose_language(value, None, _languages(), strict=True, field=field)


def current_language() -> str:
    """The language Flask-Babel chose for this request, as a bare code ("it", "en")."""
    locale = get_locale()
    return locale.language if locale is not None else _languages()[0]


def _translations() -> NullTranslations:
    """This request's catalogue, looked up once: Flask-Babel's own lookup costs tens of
    microseconds a string, and the page has about a hundred strings."""
    found: NullTranslations | None = g.get("_autoconfig_translations")
    if found is None:
        found = g._autoconfig_translations = get_translations()
    return found


def init_app(app: Flask) -> None:
    languages = app.extensions["autoconfig"].config.service.languages
    app.config["BABEL_DEFAULT_LOCALE"] = languages[0]
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(texts.translations_dir())
    app.config["BABEL_DOMAIN"] = DOMAIN
    Babel(app, locale_selector=request_language)
    # Templates' _() and gettext(): the same newstyle callables Flask-Babel installs, minus
    # its per-string lookup of the catalogue.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
    )
