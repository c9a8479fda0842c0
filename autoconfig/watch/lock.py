"""One watcher at a time: a lease row in the database, renewed while its holder runs.

A second watcher finds the lease held and waits; when the holder dies (killed, its host
gone) it stops renewing, the lease lapses after `lease_s`, and the waiting one takes it.
The same SQL on SQLite and PostgreSQL: an UPDATE that succeeds only for the holder or on
a lapsed lease, else an INSERT that only the first can make. Times are the watchers'
clocks (UTC): keep the instances' clocks in sync (NTP), as any lease needs.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..db.schema import watch_lock

NAME = "watch"


def holder_id() -> str:
    """Who holds it, for people reading the table: host, process, and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:128]


class Lease:
    def __init__(self, engine: sa.Engine, lease_s: float, holder: str | None = None) -> None:
        self.engine = engine
        self.lease_s = lease_s
        self.holder = holder or holder_id()

    def acquire(self) -> bool:
        """Take or renew the lease; False while another live watcher holds it."""
        now = dt.datetime.now(dt.UTC)
        expires = now + dt.timedelta(seconds=self.lease_s)
        update = (
            sa.update(watch_lock)
            .where(watch_lock.c.name == NAME)
            .where(sa.or_(watch_lock.c.holder == self.holder, watch_lock.c.expires_at < now))
            .values(holder=self.holder, expires_at=expires)
        )
        with self.engine.begin() as connection:
            if connection.execute(update).rowcount == 1:
                return True
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.insert(watch_lock).values(name=NAME, holder=self.holder, expires_at=expires))
            return True
        except IntegrityError:
            return False  # someone holds it (or just took it)

    renew = acquire

    def release(self) -> None:
        """Let the next watcher take over at once (a clean stop)."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.delete(watch_lock).where(watch_lock.c.name == NAME).where(watch_lock.c.holder == self.holder)
            )

    def current_holder(self) -> str | None:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(watch_lock.c.holder, watch_lock.c.expires_at)
                                     .where(watch_lock.c.name == NAME)).first()
        if row is None:
            return None
        expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.UTC)
        return str(row.holder) if expires >= dt.datetime.now(dt.UTC) else None
