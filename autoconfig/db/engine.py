"""An SQLAlchemy engine for `[reports] database_url`, tuned to fail fast rather than hang.

A diagnosis must answer even when the database is away or locked, so every wait is short:
SQLite's busy timeout, PostgreSQL's connect and statement timeouts.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

SQLITE_BUSY_TIMEOUT_S = 1.0
PG_CONNECT_TIMEOUT_S = 2
PG_STATEMENT_TIMEOUT_MS = 3000


def normalize_url(url: str) -> URL:
    """`postgresql://` means psycopg 3 (the driver we ship), not SQLAlchemy's psycopg2 default."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, *, single_statements: bool = False) -> sa.Engine:
    """The engine; with `single_statements`, PostgreSQL connections in autocommit with
    asynchronous commit, for work of one statement each (a report stored, a lookup): no
    BEGIN/ROLLBACK round trips, no wait for the disk. SQLite has one engine for both."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite(parsed)
    options = f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}"
    if single_statements:
        return sa.create_engine(
            parsed, isolation_level="AUTOCOMMIT", pool_pre_ping=True, pool_size=5, max_overflow=10,
            pool_timeout=PG_CONNECT_TIMEOUT_S,
            connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S, "options": options + " -c synchronous_commit=off"},
        )
    return sa.create_engine(
        parsed,
        pool_pre_ping=True,  # a restarted server: the next store reconnects instead of failing
        pool_size=5,
        max_overflow=10,
        pool_timeout=PG_CONNECT_TIMEOUT_S,
        connect_args={
            "connect_timeout": PG_CONNECT_TIMEOUT_S,
            "options": f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}",
        },
    )


def _sqlite(parsed: URL) -> sa.Engine:
    database = parsed.database or ""
    if database and database != ":memory:":
        # A folder we cannot make shows up as the database's own error at the first use.
        with contextlib.suppress(OSError):
            Path(database).parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    engine = sa.create_engine(
        parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
    )

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoints; WAL keeps it consistent
        cursor.close()
        if database and database != ":memory:":
            _private(Path(database))

    return engine


def _private(path: Path) -> None:
    """The database file readable by the service's user only (it holds customers' reports)."""
    for candidate in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if candidate.exists() and candidate.stat().st_mode & 0o077:
                os.chmod(candidate, 0o600)
        except OSError:
            pass
