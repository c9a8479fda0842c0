"""Rendered client documents, memoised per app: Settings are frozen, so equal inputs give equal bytes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable
from functools import lru_cache
from typing import Any

DEFAULT_SIZE = 8192


class RenderMemo:
    """A bounded LRU of `(renderer, *args) → (body, etag)`; thread-safe (functools.lru_cache)."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._cached = lru_cache(maxsize=size)(self._render)

    @staticmethod
    def _render(renderer: Callable[..., bytes], *args: Hashable, **kwargs: Any) -> tuple[bytes, str]:
        body = renderer(*args, **kwargs)
        return body, hashlib.sha1(body, usedforsecurity=False).hexdigest()

    def __call__(self, renderer: Callable[..., bytes], *args: Hashable, **kwargs: Hashable) -> tuple[bytes, str]:
        return self._cached(renderer, *args, **kwargs)

    def clear(self) -> None:
        self._cached.cache_clear()
