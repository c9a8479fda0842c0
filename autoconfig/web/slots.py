"""How many long checks (diagnoses and discoveries) one process runs at once.

Each holds a gunicorn thread for up to `budget_s`; when a server dies and everyone checks at
once, the excess is refused at once (503, in the visitor's language) so the other threads
stay free for the client-setup answers.
"""

from __future__ import annotations

import math
import threading

from flask import Flask, Response, current_app

from ..config import worker_threads
from ..i18n import current_language
from ..messages import words
from .answers import Answer, json_bytes
from .context import services

SLOTS = "autoconfig.slots"
BUSY = "http.busy"


class Slots:
    """At most `limit` long checks at once in this process."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._free = threading.BoundedSemaphore(limit)

    def take(self) -> bool:
        return self._free.acquire(blocking=False)

    def give_back(self) -> None:
        self._free.release()


def slot_limit(max_concurrent: int, threads: int) -> int:
    """`[diagnostics] max_concurrent`, or half the worker's threads (at least one)."""
    return max_concurrent if max_concurrent > 0 else max(1, threads // 2)


def init_app(app: Flask) -> None:
    app.extensions[SLOTS] = Slots(slot_limit(services(app).config.diagnostics.max_concurrent, worker_threads()))


def slots() -> Slots:
    return current_app.extensions[SLOTS]  # type: ignore[no-any-return]


def busy() -> Response:
    """The 503 of a full instance: Retry-After (a running check ends within budget_s), and
    words in the visitor's language."""
    retry_after = math.ceil(services().config.diagnostics.budget_s)
    text = words(BUSY, current_language(), {"retry_after": retry_after})
    body = {"error": "busy", "message": text.message, "remedy": text.remedy, "retry_after": retry_after}
    headers = (("Retry-After", str(retry_after)), ("Cache-Control", "no-store"))
    return Answer(503, json_bytes(body), headers=headers).response()
