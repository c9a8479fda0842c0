"""Which language a person gets: the one chooser for the page, the API, the fast path, the CLI
and diagnoses. Pure: the callers say what was asked for; no Flask here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from .errors import InvalidInput


class Accepted(Protocol):
    """What a client accepts, as werkzeug parses Accept-Language (`request.accept_languages`)."""

    def best_match(self, matches: Iterable[str]) -> str | None: ...


def choose_language(
    requested: str | None,
    accepted: Accepted | None,
    languages: Sequence[str],
    *,
    strict: bool = False,
    field: str = "lang",
) -> str:
    """An explicit choice if we speak it, else the client's best match, else the default (the first).

    `strict`: an explicit choice we do not speak is the caller's mistake (a 400 naming `field`),
    as on the API; the page instead falls back, since a person follows a stale link.
    """
    if requested:
        wanted = requested.strip().lower()
        if wanted in languages:
            return wanted
        if strict:
            raise InvalidInput(f"{field} must be one of: {', '.join(languages)}", field=field)
    if accepted is not None:
        match = accepted.best_match(languages)
        if match:
            return match
    return languages[0]
