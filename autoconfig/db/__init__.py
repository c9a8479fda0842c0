"""The service's database: one lazily made engine per app, the schema brought to the newest
revision on first use, and the random keys the instances sharing it agree on.

`[reports] database_url` names it (config.py resolves the default: SQLite in the state
directory). Nothing connects at import or in create_app: an app that never stores a report
never opens the database, and a database that is away costs a diagnosis only its ticket.
Tables live in `schema.py`, migrations in `migrations/versions/` (Alembic, linear: a new
revision's down_revision is the newest one).
"""

from __future__ import annotations

import secrets
import threading

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from . import migrate
from .engine import make_engine
from .schema import service_keys

__all__ = ["Database", "DatabaseError"]

DatabaseError = SQLAlchemyError  # what callers catch: away, locked, timed out, refused


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._engine: sa.Engine | None = None
        self._quick: sa.Engine | None = None
        self._schema_ready = False
        self._keys: dict[str, str] = {}

    @property
    def engine(self) -> sa.Engine:
        with self._lock:
            if self._engine is None:
                self._engine = make_engine(self.url)
            return self._engine

    def quick(self) -> sa.Engine:
        """For work of one statement each, once the schema is ready: on PostgreSQL an
        autocommit engine (a lookup is one round trip, not four); on SQLite the engine."""
        engine = self.ready()
        if engine.dialect.name == "sqlite":
            return engine
        with self._lock:
            if self._quick is None:
                self._quick = make_engine(self.url, single_statements=True)
            return self._quick

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def ready(self) -> sa.Engine:
        """The engine, once the schema is at the newest revision (migrated here if not:
        the demo's SQLite file needs no separate step). Raises DatabaseError when away."""
        engine = self.engine
        if not self._schema_ready:
            with engine.connect() as connection:
                up_to_date = migrate.current(connection) == migrate.head()
            if not up_to_date:
                migrate.upgrade(engine)
            self._schema_ready = True
        return engine

    def upgrade(self) -> tuple[str | None, str | None]:
        before, after = migrate.upgrade(self.engine)
        self._schema_ready = True
        return before, after

    def key(self, name: str) -> str:
        """A random secret shared by every instance on this database, made on first use."""
        found = self._keys.get(name)
        if found is not None:
            return found
        engine = self.ready()
        query = sa.select(service_keys.c.value).where(service_keys.c.name == name)
        with engine.connect() as connection:
            found = connection.execute(query).scalar()
        if found is None:
            try:
                with engine.begin() as connection:
                    connection.execute(sa.insert(service_keys).values(name=name, value=secrets.token_hex(32)))
            except IntegrityError:
                pass  # another instance made it first: use theirs
            with engine.connect() as connection:
                found = connection.execute(query).scalar_one()
        self._keys[name] = found
        return found

    def dispose(self) -> None:
        with self._lock:
            for engine in (self._engine, self._quick):
                if engine is not None:
                    engine.dispose()
            self._engine = self._quick = None
            self._schema_ready = False
