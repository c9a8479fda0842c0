"""The tables, as SQLAlchemy Core metadata: what the migrations create and the stores query.

Core rather than the ORM: a report is stored and read as one row of plain values, and a
store is on the path of every diagnosis (docs/performance.md).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# An integer key that SQLite makes a rowid alias and PostgreSQL a bigint.
Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

reports = sa.Table(
    "reports",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(6), nullable=False, unique=True),  # staff-only key, read over the phone
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),  # sha256 of the secret link token
    sa.Column("email_hash", sa.String(64), nullable=False),  # keyed hash of the lower-case address
    sa.Column("client_hash", sa.String(64), nullable=False),  # keyed hash of the client's IP address
    sa.Column("lang", sa.String(5), nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("created_at", Timestamp, nullable=False),
    sa.Column("expires_at", Timestamp, nullable=False),
    sa.Column("report", sa.Text(), nullable=False),  # the report JSON as the customer saw it
    sa.Index(None, "email_hash", "created_at"),
    sa.Index(None, "expires_at"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", Id, primary_key=True, autoincrement=True),
    sa.Column("at", Timestamp, nullable=False, index=True),
    sa.Column("actor", sa.String(200), nullable=False),  # staff name, or "token:<name>"
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(300), nullable=False),
)

# Random keys the instances sharing a database must agree on (session signing, the keyed
# hashes); made once, on first use, by whichever instance comes first.
service_keys = sa.Table(
    "service_keys",
    metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(128), nullable=False),
)
