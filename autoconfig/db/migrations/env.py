"""Alembic's environment: always run on a connection handed in by autoconfig.db.migrate."""

from __future__ import annotations

from alembic import context

from autoconfig.db.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
