"""A bounded per-app memo for pure functions of frozen values (addresses, settings, documents)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any, TypeVar

T = TypeVar("T")
DEFAULT_SIZE = 8192


def _call(fn: Callable[..., Any], *args: Hashable) -> Any:
    return fn(*args)


class Memo:
    """`memo(fn, *args)` is `fn(*args)`, remembered (LRU, thread-safe); exceptions are not.

    Only for pure functions of hashable, immutable arguments: equal inputs, equal result.
    """

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._cached = lru_cache(maxsize=size)(_call)

    def __call__(self, fn: Callable[..., T], *args: Hashable) -> T:
        return self._cached(fn, *args)  # type: ignore[no-any-return]

    def clear(self) -> None:
        self._cached.cache_clear()


def body_and_etag(renderer: Callable[..., bytes], *args: Hashable) -> tuple[bytes, str]:
    """A rendered document and its ETag, computed together so a memo keeps both."""
    body = renderer(*args)
    return body, hashlib.sha1(body, usedforsecurity=False).hexdigest()
