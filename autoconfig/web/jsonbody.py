"""JSON bodies parsed with a depth bound: nesting a thousand deep is a clear 400, never a 500.

Python's json module recurses once per level; a body of a few kilobytes of `[` made
`RecursionError` escape `get_json(silent=True)` (which only catches ValueError) in the
limiter's key function and in the views. No request of ours nests deeper than a few levels.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from ..errors import InvalidInput

MAX_DEPTH = 32
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Does a JSON text nest arrays and objects deeper than `limit`? (pure; strings are skipped)"""
    if text.count("[") + text.count("{") <= limit:
        return False  # the common case costs two counts
    depth = 0
    for match in _BRACKETS.finditer(_STRINGS.sub("", text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > limit:
            return True
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, except that a body nested too deep is refused before it is parsed."""

    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        text = s.decode("utf-8", "replace") if isinstance(s, (bytes, bytearray)) else s
        if too_deep(text):
            raise InvalidInput(f"the JSON body nests arrays or objects more than {MAX_DEPTH} levels deep")
        try:
            return super().loads(s, **kwargs)
        except RecursionError:  # belt and braces: never a 500
            raise InvalidInput("the JSON body nests arrays or objects too deeply") from None


def body_or_none() -> Any:
    """The request's JSON body, or None when there is none or it is not JSON we take (for the
    limiter's key and words, which must not fail: the view then answers the 400)."""
    try:
        return request.get_json(silent=True)
    except InvalidInput:
        return None


def init_app(app: Flask) -> None:
    app.json = BoundedJSONProvider(app)
