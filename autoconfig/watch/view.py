"""The watch as the web side reads it: the last snapshot from the database, kept a few
seconds so that diagnoses, the status API, the page and /metrics cost one query per
instance every few seconds, and never fail because the database is away."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from ..db import Database, DatabaseError
from .notices import Notice, effective
from .store import EMPTY, Snapshot, WatchStore

log = logging.getLogger("autoconfig.watch")

TTL_S = 5.0


class WatchView:
    def __init__(self, database: Database, ttl_s: float = TTL_S,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.database = database
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot = EMPTY
        self._read_at: float | None = None

    def snapshot(self) -> Snapshot:
        with self._lock:
            now = self._clock()
            if self._read_at is not None and now - self._read_at < self.ttl_s:
                return self._snapshot
            try:
                self._snapshot = WatchStore(self.database.ready()).snapshot()
            except DatabaseError as exc:
                log.warning("watch results unavailable: %s", type(exc).__name__)
                self._snapshot = EMPTY  # nothing known: no banner rather than a stale one
            self._read_at = now
            return self._snapshot

    def notices(self) -> tuple[Notice, ...]:
        """Open incidents and maintenance in force (maintenance replaces a host's incidents)."""
        return self.effective(self.snapshot())

    @staticmethod
    def effective(snapshot: Snapshot) -> tuple[Notice, ...]:
        return effective(snapshot.notices)
